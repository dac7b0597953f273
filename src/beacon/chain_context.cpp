#include "beacon/chain_context.hpp"

#include <boost/json.hpp>

#include <cstring>

#include "protocol/json.hpp"
#include "protocol/wire.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace bts::beacon {

namespace json = boost::json;

namespace {

std::int64_t data_fee(std::size_t bytes, std::int64_t price_per_kbyte) {
  return static_cast<std::int64_t>((static_cast<__int128>(bytes) * price_per_kbyte) / 1024);
}

// bitshares-core account_create_operation::is_cheap_name.
bool is_cheap_name(const std::string& n) {
  bool v = false;
  for (char c : n) {
    if (c >= '0' && c <= '9') return true;
    if (c == '.' || c == '-' || c == '/') return true;
    switch (c) {
      case 'a':
      case 'e':
      case 'i':
      case 'o':
      case 'u':
      case 'y':
        v = true;
        break;
      default:
        break;
    }
  }
  return !v;
}

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

std::int64_t fee_schedule::fee_of(const protocol::operation& op) const {
  using namespace protocol;
  std::int64_t base = 0;
  if (const auto* t = op.get_if<transfer_operation>()) {
    base = transfer_fee;
    // pack_size(memo) of an optional<memo_data>, as bitshares-core computes it: the presence byte
    // counts.
    if (t->memo) base += data_fee(pack_to_bytes(*t->memo).size() + 1, transfer_price_per_kbyte);
  } else if (op.get_if<limit_order_create_operation>()) {
    base = limit_order_create_fee;
  } else if (op.get_if<limit_order_cancel_operation>()) {
    base = limit_order_cancel_fee;
  } else if (const auto* a = op.get_if<account_create_operation>()) {
    base = is_cheap_name(a->name) ? account_create_basic_fee : account_create_premium_fee;
    base += data_fee(pack_to_bytes(*a).size(), account_create_price_per_kbyte);
  } else if (const auto* c = op.get_if<asset_create_operation>()) {
    const auto len = c->symbol.size();
    base = len == 3   ? asset_create_3_char
           : len == 4 ? asset_create_4_char
                      : asset_create_long_symbol;
    base += data_fee(pack_to_bytes(*c).size(), asset_create_price_per_kbyte);
  } else if (const auto* i = op.get_if<asset_issue_operation>()) {
    base = asset_issue_fee;
    if (i->memo) base += data_fee(pack_to_bytes(*i->memo).size() + 1, asset_issue_price_per_kbyte);
  }
  // bitshares-core: scaled = base * scale / GRAPHENE_100_PERCENT, 128-bit intermediate.
  return static_cast<std::int64_t>(static_cast<__int128>(base) * scale / 10000);
}

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
  const auto& cf = protocol::expect_object(member(params, "current_fees", ppath));
  const std::string fpath = ppath + ".current_fees";
  out.fees.scale = static_cast<std::uint32_t>(int_member_or(cf, "scale", fpath, 10000));
  const auto& list = protocol::expect_array(member(cf, "parameters", fpath));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = fpath + ".parameters[" + std::to_string(i) + "]";
    const auto& pair = protocol::expect_array(list[i]);
    if (pair.size() != 2) throw input_error(path, "expected [operation tag, {fee parameters}]");
    const auto tag = protocol::read_json_unsigned(pair[0], 1000, "operation tag");
    const auto& p = protocol::expect_object(pair[1]);
    const std::string pp = path + "[1]";
    auto& f = out.fees;
    switch (tag) {
      case 0:
        f.transfer_fee = int_member_or(p, "fee", pp, 0);
        f.transfer_price_per_kbyte = int_member_or(p, "price_per_kbyte", pp, 0);
        break;
      case 1:
        f.limit_order_create_fee = int_member_or(p, "fee", pp, 0);
        break;
      case 2:
        f.limit_order_cancel_fee = int_member_or(p, "fee", pp, 0);
        break;
      case 5:
        f.account_create_basic_fee = int_member_or(p, "basic_fee", pp, 0);
        f.account_create_premium_fee = int_member_or(p, "premium_fee", pp, 0);
        f.account_create_price_per_kbyte = int_member_or(p, "price_per_kbyte", pp, 0);
        break;
      case 10:
        f.asset_create_3_char = int_member_or(p, "symbol3", pp, 0);
        f.asset_create_4_char = int_member_or(p, "symbol4", pp, 0);
        f.asset_create_long_symbol = int_member_or(p, "long_symbol", pp, 0);
        f.asset_create_price_per_kbyte = int_member_or(p, "price_per_kbyte", pp, 0);
        break;
      case 14:
        f.asset_issue_fee = int_member_or(p, "fee", pp, 0);
        f.asset_issue_price_per_kbyte = int_member_or(p, "price_per_kbyte", pp, 0);
        break;
      default:
        break;
    }
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
