#include "beacon/chain_context.hpp"

#include <boost/json.hpp>

#include <cstring>

#include "chain/names.hpp"
#include "protocol/json.hpp"
#include "protocol/wire.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace bts::beacon {

namespace json = boost::json;

namespace {

const json::value& member(const json::object& o, std::string_view key, const std::string& path) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) throw input_error(path, "missing member " + std::string(key));
  return *v;
}

std::int64_t int_member(const json::object& o, std::string_view key, const std::string& path) {
  try {
    return protocol::read_json_signed(member(o, key, path), 0, INT64_MAX, "int64");
  } catch (const input_error& e) {
    throw e.within(path + "." + std::string(key));
  }
}

std::int64_t int_member_or(const json::object& o, std::string_view key, const std::string& path,
                           std::int64_t fallback) {
  return o.contains(key) ? int_member(o, key, path) : fallback;
}

}  // namespace

chain_parameters parse_global_properties(const json::value& gp) {
  chain_parameters out;
  const std::string root = "get_global_properties";
  const auto& gpo = protocol::expect_object(gp);
  const auto& params = protocol::expect_object(member(gpo, "parameters", root));
  const std::string ppath = root + ".parameters";
  out.maximum_transaction_size =
      static_cast<std::uint32_t>(int_member_or(params, "maximum_transaction_size", ppath, 2048));
  out.maximum_time_until_expiration = static_cast<std::uint32_t>(
      int_member_or(params, "maximum_time_until_expiration", ppath, 86400));
  out.block_interval =
      static_cast<std::uint32_t>(int_member_or(params, "block_interval", ppath, 3));
  out.maximum_block_size =
      static_cast<std::uint32_t>(int_member_or(params, "maximum_block_size", ppath, 2000000));
  try {
    out.fees = chain::fee_schedule::from_json(member(params, "current_fees", ppath));
  } catch (const input_error& e) {
    throw e.within(ppath + ".current_fees");
  }
  return out;
}

head_info parse_dynamic_global_properties(const json::value& dgp) {
  const std::string root = "get_dynamic_global_properties";
  const auto& o = protocol::expect_object(dgp);
  head_info h;
  h.head_block_number = static_cast<std::uint32_t>(int_member(o, "head_block_number", root));
  h.last_irreversible_block_num =
      static_cast<std::uint32_t>(int_member_or(o, "last_irreversible_block_num", root, 0));
  try {
    protocol::json_read_fixed_hex(member(o, "head_block_id", root), h.head_block_id.data(),
                                  h.head_block_id.size());
  } catch (const input_error& e) {
    throw e.within(root + ".head_block_id");
  }
  try {
    h.head_time = bts::parse_time_point_sec(protocol::expect_string(member(o, "time", root)));
  } catch (const input_error& e) {
    throw e.within(root + ".time");
  }
  return h;
}

std::vector<account_entry> parse_accounts(std::string_view text, const std::string& source) {
  std::vector<account_entry> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t end = text.find_first_of("\n;");
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_no;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line = line.substr(first);
    const auto space = line.find_first_of(" \t");
    const std::string where = source + ":" + std::to_string(line_no);
    if (space == std::string_view::npos)
      throw input_error(where, "expected \"<account name> <WIF key>\"");
    const std::string name(line.substr(0, space));
    // A first column that is no account name may be the key itself (columns swapped): it is
    // never echoed, nor anything else on the line.
    if (!chain::is_valid_name(name))
      throw input_error(where,
                        "the first column is not an account name (expected \"<account name> <WIF "
                        "key>\"; are the columns swapped?)");
    std::string_view rest = line.substr(space);
    const auto ks = rest.find_first_not_of(" \t");
    rest = rest.substr(ks);
    const auto ke = rest.find_first_of(" \t\r");
    const std::string_view wif = rest.substr(0, ke);
    try {
      out.push_back({name, crypto::private_key::from_wif(wif)});
    } catch (const input_error& e) {
      // Never echo the key.
      throw input_error(where, "account " + name + ": " + e.problem());
    }
  }
  if (out.empty())
    throw input_error(source, "no accounts (expected lines of \"<account name> <WIF key>\")");
  return out;
}

std::string format_accounts(const std::vector<account_entry>& accounts) {
  std::string out =
      "# bts-infra beacon accounts: <name> <WIF>. Keep this file private (mode 0600).\n";
  for (const auto& a : accounts) out += a.name + " " + a.key.to_wif() + "\n";
  return out;
}

}  // namespace bts::beacon
