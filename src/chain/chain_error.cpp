#include "chain/chain_error.hpp"

#include <chrono>

#include "util/time.hpp"

namespace bts::chain {
namespace {

std::string_view source_file_of(std::string_view method) {
  if (method == "_apply_transaction" || method == "push_transaction" ||
      method == "_push_transaction" || method == "_precompute_parallel") {
    return "db_block.cpp";
  }
  if (method == "verify_authority" || method == "get_signature_keys" || method == "validate") {
    return "transaction.cpp";
  }
  if (method == "public_key") return "elliptic_secp256k1.cpp";
  if (method == "get") return "index.hpp";
  if (method == "adjust_balance") return "db_balance.cpp";
  if (method == "evaluate" || method == "prepare_fee") return "evaluator.cpp";
  return "";
}

void append_value(std::string& out, const boost::json::value& v) {
  if (const auto* s = v.if_string()) {
    out.append(s->data(), s->size());
  } else if (v.is_null()) {
    // fc prints a null variant as an empty string.
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::string format_fc_string(std::string_view format, const boost::json::object& data) {
  std::string out;
  out.reserve(format.size() + 16);
  std::size_t pos = 0;
  while (pos < format.size()) {
    const std::size_t open = format.find("${", pos);
    if (open == std::string_view::npos) {
      out.append(format.substr(pos));
      break;
    }
    const std::size_t close = format.find('}', open + 2);
    if (close == std::string_view::npos) {
      out.append(format.substr(pos));
      break;
    }
    out.append(format.substr(pos, open - pos));
    const std::string_view key = format.substr(open + 2, close - open - 2);
    const auto it = data.find(key);
    if (it != data.end()) {
      append_value(out, it->value());
    } else {
      out.append(format.substr(open, close - open + 1));
    }
    pos = close + 1;
  }
  return out;
}

chain_error::chain_error(const fc_exception_kind& kind, fc_log_message message) : kind_(kind) {
  if (message.file.empty()) message.file = source_file_of(message.method);
  log_.push_back(std::move(message));
  text_ = to_string();
}

void chain_error::append(fc_log_message message) {
  if (message.file.empty()) message.file = source_file_of(message.method);
  log_.push_back(std::move(message));
  text_ = to_string();
}

std::string chain_error::to_string() const {
  std::string out(kind_.what);
  out += ':';
  for (const auto& m : log_) {
    if (m.format.empty()) continue;
    out += ' ';
    out += format_fc_string(m.format, m.data);
  }
  return out;
}

boost::json::object chain_error::to_json() const {
  const auto now = std::chrono::system_clock::now();
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::string timestamp = format_time_point_sec(static_cast<std::uint32_t>(secs));
  boost::json::array stack;
  for (const auto& m : log_) {
    boost::json::object context;
    context["level"] = "error";
    context["file"] = m.file;
    context["line"] = 0;
    context["method"] = m.method;
    context["hostname"] = "";
    context["thread_name"] = "th_a";
    context["timestamp"] = timestamp;
    boost::json::object entry;
    entry["context"] = std::move(context);
    entry["format"] = m.format;
    entry["data"] = m.data;
    stack.push_back(std::move(entry));
  }
  boost::json::object out;
  out["code"] = kind_.code;
  out["name"] = kind_.name;
  out["message"] = kind_.what;
  out["stack"] = std::move(stack);
  return out;
}

void throw_assert(std::string_view expression, std::string_view method, std::string_view format,
                  boost::json::object data) {
  std::string text(expression);
  text += ": ";
  text += format;
  throw chain_error(fc_kind::assert_exception, {std::move(text), std::move(data), method, {}});
}

void throw_error(const fc_exception_kind& kind, std::string_view method, std::string_view format,
                 boost::json::object data) {
  throw chain_error(kind, {std::string(format), std::move(data), method, {}});
}

}  // namespace bts::chain
