// `bts-infra key`: derive or generate a key and print it as one JSON object.
//
//   --wif WIF          -> {"public_key": ..., "address": ...}
//   --brain-key WORDS  -> {"wif": ..., "public_key": ...}   (cli_wallet derivation, --sequence N)
//   --generate         -> {"wif": ..., "public_key": ...}
//
// Secrets given as "-" are read from the first line of stdin, so they never appear in process
// lists or shell history.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <string>

#include "cli/command.hpp"
#include "crypto/keys.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

struct key_options {
  std::string wif;
  std::string brain_key;
  std::uint32_t sequence = 0;
  bool generate = false;
  std::string prefix{crypto::default_prefix};
};

// The secret itself, or the first line of stdin when the flag's value is "-".
std::string secret_argument(const std::string& value, const std::string& flag, io& s) {
  if (value != "-") return value;
  std::string line;
  if (!std::getline(s.in, line)) {
    throw input_error(flag, "expected the secret on the first line of stdin, got end of input");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string trim(const std::string& text) {
  const char* space = " \t\r\n\v\f";
  const std::size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

void print(io& s, const boost::json::object& result) {
  s.out << boost::json::serialize(result) << "\n";
}

int run_key(const key_options& opt, const CLI::Option* wif_flag, const CLI::Option* brain_flag,
            const CLI::Option* sequence_flag, io& s) {
  const bool use_wif = wif_flag->count() > 0;
  const bool use_brain = brain_flag->count() > 0;
  if (int(use_wif) + int(use_brain) + int(opt.generate) != 1) {
    throw input_error("use exactly one of --wif, --brain-key or --generate");
  }
  if (sequence_flag->count() > 0 && !use_brain) {
    throw input_error("--sequence", "only applies to --brain-key");
  }
  if (opt.prefix.empty() ||
      opt.prefix.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
          std::string::npos) {
    throw input_error("--prefix",
                      "must be letters only (such as BTS or TEST), got '" + opt.prefix + "'");
  }

  if (use_wif) {
    const std::string wif = trim(secret_argument(opt.wif, "--wif", s));
    try {
      const crypto::public_key pub = crypto::private_key::from_wif(wif).get_public_key();
      print(s, {{"public_key", crypto::to_string(pub, opt.prefix)},
                {"address", crypto::address_to_string(crypto::to_address(pub), opt.prefix)}});
    } catch (const input_error& e) {
      throw e.within("--wif");
    }
    return 0;
  }

  const crypto::private_key key = [&] {
    if (opt.generate) return crypto::private_key::generate();
    const std::string words = secret_argument(opt.brain_key, "--brain-key", s);
    if (crypto::normalize_brain_key(words).empty()) {
      throw input_error("--brain-key", "brain key is empty");
    }
    return crypto::private_key::from_brain_key(words, opt.sequence);
  }();
  print(s, {{"wif", key.to_wif()},
            {"public_key", crypto::to_string(key.get_public_key(), opt.prefix)}});
  return 0;
}

}  // namespace

command make_key_command() {
  return {"key", "Show, derive or generate a key: public key, address, WIF", [](CLI::App& app) {
            auto opt = std::make_shared<key_options>();
            app.description(
                "Show, derive or generate a key. Use exactly one of --wif, --brain-key, "
                "--generate; prints one JSON object.");
            CLI::Option* wif = app.add_option(
                "--wif", opt->wif,
                "WIF private key; prints {\"public_key\", \"address\"}. Use '-' to read it from "
                "the first line of stdin, which keeps it out of process lists and shell history");
            CLI::Option* brain = app.add_option(
                "--brain-key", opt->brain_key,
                "brain key words (normalised as cli_wallet does); prints {\"wif\", "
                "\"public_key\"}. Use '-' to read them from the first line of stdin");
            CLI::Option* sequence = app.add_option(
                "--sequence", opt->sequence,
                "brain key sequence number: secret = sha256(sha512(words + \" \" + N)); default 0");
            app.add_flag("--generate", opt->generate,
                         "generate a fresh random key; prints {\"wif\", \"public_key\"}");
            app.add_option("--prefix", opt->prefix,
                           "public key and address prefix (BTS mainnet, TEST testnet)")
                ->capture_default_str();
            return [opt, wif, brain, sequence](io& s) -> int {
              return run_key(*opt, wif, brain, sequence, s);
            };
          }};
}

}  // namespace bts::cli
