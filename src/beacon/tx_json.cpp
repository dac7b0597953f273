#include "beacon/tx_json.hpp"

#include <charconv>
#include <limits>

#include "util/time.hpp"

namespace bts::beacon {

namespace {

using namespace protocol;

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// fc's stringify_large_ints_and_doubles.
void append_int64(std::string& out, std::int64_t v) {
  if (v < std::numeric_limits<std::int32_t>::min() ||
      v > std::numeric_limits<std::int32_t>::max()) {
    out.push_back('"');
    append_int(out, v);
    out.push_back('"');
  } else {
    append_int(out, v);
  }
}

void append_uint64(std::string& out, std::uint64_t v) {
  if (v > 0xffffffffULL) {
    out.push_back('"');
    append_uint(out, v);
    out.push_back('"');
  } else {
    append_uint(out, v);
  }
}

template <std::uint8_t S, std::uint8_t T>
void append_id(std::string& out, const object_id<S, T>& id) {
  out.push_back('"');
  append_uint(out, S);
  out.push_back('.');
  append_uint(out, T);
  out.push_back('.');
  append_uint(out, id.instance);
  out.push_back('"');
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * bytes.size());
  char* p = out.data() + at;
  for (std::uint8_t b : bytes) {
    *p++ = digits[b >> 4];
    *p++ = digits[b & 15];
  }
}

void append_asset(std::string& out, const asset& a) {
  out.append(R"({"amount":)");
  append_int64(out, a.amount);
  out.append(R"(,"asset_id":)");
  append_id(out, a.asset_id);
  out.push_back('}');
}

void append_time(std::string& out, time_point_sec t) {
  out.push_back('"');
  out.append(format_time_point_sec(t.sec_since_epoch));
  out.push_back('"');
}

bool append_operation(std::string& out, const operation& op, const key_text_fn& key_text) {
  if (const auto* t = op.get_if<transfer_operation>()) {
    if (!t->extensions.empty()) return false;
    out.append(R"([0,{"fee":)");
    append_asset(out, t->fee);
    out.append(R"(,"from":)");
    append_id(out, t->from);
    out.append(R"(,"to":)");
    append_id(out, t->to);
    out.append(R"(,"amount":)");
    append_asset(out, t->amount);
    if (t->memo) {
      out.append(R"(,"memo":{"from":")");
      out.append(key_text(t->memo->from));
      out.append(R"(","to":")");
      out.append(key_text(t->memo->to));
      out.append(R"(","nonce":)");
      append_uint64(out, t->memo->nonce);
      out.append(R"(,"message":")");
      append_hex(out, t->memo->message);
      out.append(R"("})");
    }
    out.append(R"(,"extensions":[]}])");
    return true;
  }
  if (const auto* o = op.get_if<limit_order_create_operation>()) {
    if (o->extensions.value.on_fill) return false;
    out.append(R"([1,{"fee":)");
    append_asset(out, o->fee);
    out.append(R"(,"seller":)");
    append_id(out, o->seller);
    out.append(R"(,"amount_to_sell":)");
    append_asset(out, o->amount_to_sell);
    out.append(R"(,"min_to_receive":)");
    append_asset(out, o->min_to_receive);
    out.append(R"(,"expiration":)");
    append_time(out, o->expiration);
    out.append(o->fill_or_kill ? R"(,"fill_or_kill":true)" : R"(,"fill_or_kill":false)");
    out.append(R"(,"extensions":{}}])");
    return true;
  }
  if (const auto* c = op.get_if<limit_order_cancel_operation>()) {
    if (!c->extensions.empty()) return false;
    out.append(R"([2,{"fee":)");
    append_asset(out, c->fee);
    out.append(R"(,"fee_paying_account":)");
    append_id(out, c->fee_paying_account);
    out.append(R"(,"order":)");
    append_id(out, c->order);
    out.append(R"(,"extensions":[]}])");
    return true;
  }
  return false;
}

}  // namespace

bool append_transaction_json(std::string& out, const signed_transaction& tx,
                             const key_text_fn& key_text) {
  // Unsigned transactions may omit "signatures" in the generic form: not covered.
  if (!tx.extensions.empty() || tx.signatures.empty()) return false;
  const std::size_t start = out.size();
  out.append(R"({"ref_block_num":)");
  append_uint(out, tx.ref_block_num);
  out.append(R"(,"ref_block_prefix":)");
  append_uint(out, tx.ref_block_prefix);
  out.append(R"(,"expiration":)");
  append_time(out, tx.expiration);
  out.append(R"(,"operations":[)");
  for (std::size_t i = 0; i < tx.operations.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (!append_operation(out, tx.operations[i], key_text)) {
      out.resize(start);
      return false;
    }
  }
  out.append(R"(],"extensions":[],"signatures":[)");
  for (std::size_t i = 0; i < tx.signatures.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    append_hex(out, tx.signatures[i]);
    out.push_back('"');
  }
  out.append("]}");
  return true;
}

}  // namespace bts::beacon
