// `bts-infra tx`: sign and decode transactions offline.
//
//   tx sign --chain-id HEX (--wif WIF | --wif-file PATH | $BTS_WIF)... [FILE|-]
//       reads ONE transaction in bitshares-core's JSON form and prints
//       {"unsigned_hex", "digest", "id", "signed_transaction"}   (digest = sig_digest)
//   tx decode HEX|-
//       prints the JSON form of a packed transaction, signed or unsigned.
//
// Bad input of any kind throws bts::input_error naming where (a JSON path, a flag, a file
// line); the framework prints it as one line and exits with 2. Output is written only once the
// whole result exists.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <istream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "crypto/keys.hpp"
#include "protocol/transaction.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::cli {
namespace {

constexpr const char* wif_env = "BTS_WIF";

struct sign_options {
  std::string chain_id;
  std::vector<std::string> wifs;
  std::string wif_file;
  std::string input = "-";
  std::string prefix{crypto::default_prefix};
};

struct decode_options {
  std::string hex;
  std::string prefix{crypto::default_prefix};
};

std::string trim(std::string_view text) {
  const char* space = " \t\r\n\v\f";
  const std::size_t begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  return std::string(text.substr(begin, text.find_last_not_of(space) - begin + 1));
}

void check_prefix(const std::string& prefix) {
  if (prefix.empty() ||
      prefix.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
          std::string::npos) {
    throw input_error("--prefix", "must be letters only (such as BTS or TEST), got '" + prefix + "'");
  }
}

std::string read_stream(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The text of FILE, or of stdin for "-".
std::string read_input(const std::string& path, io& s) {
  if (path == "-") return read_stream(s.in);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw input_error(path, std::string("cannot open: ") + std::strerror(errno));
  return read_stream(file);
}

crypto::private_key parse_wif(const std::string& wif, const std::string& where) {
  try {
    return crypto::private_key::from_wif(wif);
  } catch (const input_error& e) {
    // Never echo the key: only where it came from and what is wrong with it.
    throw input_error(where, e.problem());
  }
}

// A signing key and where it came from ("--wif #2", "keys.txt:3", "BTS_WIF #1").
struct labelled_key {
  crypto::private_key key;
  std::string source;
};

// Keys from --wif, --wif-file (one per line, blank lines and #comments skipped) and $BTS_WIF
// (comma-separated), in that order. The same key twice is an error: the node rejects duplicate
// signatures.
std::vector<crypto::private_key> collect_keys(const sign_options& opt) {
  std::vector<labelled_key> keys;
  const auto add = [&](const std::string& wif, std::string source) {
    crypto::private_key key = parse_wif(wif, source);
    for (const labelled_key& earlier : keys) {
      if (earlier.key.secret() == key.secret()) {
        throw input_error(source, "the same key as " + earlier.source +
                                      " (bitshares-core rejects duplicate signatures)");
      }
    }
    keys.push_back({std::move(key), std::move(source)});
  };
  for (std::size_t i = 0; i < opt.wifs.size(); ++i) {
    add(trim(opt.wifs[i]), "--wif #" + std::to_string(i + 1));
  }
  if (!opt.wif_file.empty()) {
    std::ifstream file(opt.wif_file);
    if (!file) {
      throw input_error("--wif-file " + opt.wif_file, std::string("cannot open: ") + std::strerror(errno));
    }
    std::string line;
    for (std::size_t number = 1; std::getline(file, line); ++number) {
      const std::string wif = trim(line);
      if (wif.empty() || wif.front() == '#') continue;
      add(wif, opt.wif_file + ":" + std::to_string(number));
    }
  }
  if (const char* env = std::getenv(wif_env); env != nullptr) {
    std::string_view rest(env);
    for (std::size_t index = 1; !rest.empty(); ++index) {
      const std::size_t comma = rest.find(',');
      const std::string wif = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (wif.empty()) continue;
      add(wif, std::string(wif_env) + " #" + std::to_string(index));
    }
  }
  if (keys.empty()) {
    throw input_error("no signing key: give --wif, --wif-file or the environment variable " +
                      std::string(wif_env));
  }
  std::vector<crypto::private_key> out;
  out.reserve(keys.size());
  for (labelled_key& k : keys) out.push_back(std::move(k.key));
  return out;
}

int run_sign(const sign_options& opt, io& s) {
  check_prefix(opt.prefix);
  protocol::chain_id_type chain_id;
  try {
    chain_id = protocol::chain_id_from_hex(trim(opt.chain_id));
  } catch (const input_error& e) {
    throw e.within("--chain-id");
  }
  const std::vector<crypto::private_key> keys = collect_keys(opt);

  const std::string source = opt.input == "-" ? "stdin" : opt.input;
  const boost::json::value json = protocol::parse_json(read_input(opt.input, s), source);
  protocol::signed_transaction tx = protocol::transaction_from_json(json);
  for (const crypto::private_key& key : keys) tx.sign(key, chain_id);

  const protocol::json_write_options out_options{opt.prefix};
  boost::json::object result;
  result["unsigned_hex"] = to_hex(tx.pack_unsigned());
  result["digest"] = to_hex(tx.sig_digest(chain_id));
  result["id"] = to_hex(tx.id());
  result["signed_transaction"] = protocol::transaction_to_json(tx, out_options);
  s.out << boost::json::serialize(result) << "\n";
  return 0;
}

int run_decode(const decode_options& opt, io& s) {
  check_prefix(opt.prefix);
  const std::string hex = trim(opt.hex == "-" ? read_stream(s.in) : opt.hex);
  std::vector<std::uint8_t> bytes;
  try {
    bytes = from_hex(hex);
  } catch (const input_error& e) {
    throw input_error("HEX", e.problem());
  }
  if (bytes.empty()) throw input_error("HEX", "no transaction bytes given");
  const protocol::signed_transaction tx = protocol::unpack_transaction(bytes);
  s.out << boost::json::serialize(protocol::transaction_to_json(tx, {opt.prefix})) << "\n";
  return 0;
}

}  // namespace

command make_tx_command() {
  return {"tx", "Sign or decode BitShares transactions offline", [](CLI::App& app) {
            app.require_subcommand(1);

            auto sign = std::make_shared<sign_options>();
            CLI::App* sign_cmd = app.add_subcommand(
                "sign",
                "Sign one transaction given in bitshares-core's JSON form; prints "
                "{\"unsigned_hex\", \"digest\", \"id\", \"signed_transaction\"}");
            sign_cmd->add_option("--chain-id", sign->chain_id,
                                 "Chain id, 64 hex characters (mainnet "
                                 "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8)")
                ->required();
            sign_cmd->add_option("--wif", sign->wifs,
                                 "Private key in WIF; repeat for several signers. Visible in process "
                                 "lists: prefer --wif-file or BTS_WIF")
                ->allow_extra_args(false);
            sign_cmd->add_option("--wif-file", sign->wif_file,
                                 "File with one WIF per line (blank lines and #comments ignored)");
            sign_cmd->add_option("--prefix", sign->prefix,
                                 "Public key prefix in the output JSON (input accepts any)");
            sign_cmd->add_option("file", sign->input,
                                 "Transaction JSON file, or - for stdin (the default)");
            sign_cmd->footer(
                "Keys are taken from --wif, --wif-file and the environment variable BTS_WIF "
                "(comma-separated WIFs), in that order; each key adds one signature.\n"
                "Input: {\"ref_block_num\", \"ref_block_prefix\", \"expiration\": "
                "\"YYYY-MM-DDTHH:MM:SS\", \"operations\": [[tag, {...}], ...], \"extensions\": []}; "
                "int64 values as numbers or decimal strings.\n");

            auto decode = std::make_shared<decode_options>();
            CLI::App* decode_cmd = app.add_subcommand(
                "decode", "Print the JSON form of a packed transaction (signed or unsigned)");
            decode_cmd->add_option("hex", decode->hex, "Transaction bytes as hex, or - for stdin")
                ->required();
            decode_cmd->add_option("--prefix", decode->prefix, "Public key prefix in the output JSON");

            return [sign, decode, sign_cmd, decode_cmd](io& s) -> int {
              if (sign_cmd->parsed()) return run_sign(*sign, s);
              if (decode_cmd->parsed()) return run_decode(*decode, s);
              throw input_error("expected a subcommand: sign or decode");
            };
          }};
}

}  // namespace bts::cli
