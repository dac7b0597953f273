// Errors of transaction and block processing, shaped like bitshares-core's fc::exception so the
// API layer can answer exactly as witness_node does.
//
// bitshares-core reports a rejected transaction as an fc::exception: a numeric code
// (10 assert_exception, 3030001 duplicate_transaction, 4010001 tx_missing_active_auth, ...), a
// name, a fixed "what" text, and a log of messages, each a format string with named arguments
// ("Missing Active Authority ${id}", {"id":"1.2.17"}). FC_ASSERT(expr, fmt) logs "<expr>: <fmt>";
// FC_RETHROW_EXCEPTIONS appends another message on the way up. The websocket server sends
//   error.code    = the fc code
//   error.message = "Execution error: " + to_string()  (what + ":" + " " + each formatted message)
//   error.data    = the exception as a variant (to_json()).
// chain_error carries exactly that, with bitshares-core's expression texts, so that messages
// match witness_node's prefix for prefix.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace bts::chain {

// One fc exception type: its code, name() and what().
struct fc_exception_kind {
  std::int64_t code;
  std::string_view name;
  std::string_view what;
};

// The exception types bitshares-core throws on the paths the chain module implements.
namespace fc_kind {
inline constexpr fc_exception_kind unspecified{0, "exception", "unspecified"};
inline constexpr fc_exception_kind parse_error{4, "parse_error_exception", "Parse Error"};
inline constexpr fc_exception_kind bad_cast{7, "bad_cast_exception", "Bad Cast"};
inline constexpr fc_exception_kind assert_exception{10, "assert_exception", "Assert Exception"};
inline constexpr fc_exception_kind duplicate_transaction{3030001, "duplicate_transaction",
                                                         "duplicate transaction"};
inline constexpr fc_exception_kind tx_missing_active_auth{4010001, "tx_missing_active_auth",
                                                          "missing required active authority"};
inline constexpr fc_exception_kind tx_missing_owner_auth{4010002, "tx_missing_owner_auth",
                                                         "missing required owner authority"};
inline constexpr fc_exception_kind tx_missing_other_auth{4010003, "tx_missing_other_auth",
                                                         "missing required other authority"};
inline constexpr fc_exception_kind tx_irrelevant_sig{4010004, "tx_irrelevant_sig",
                                                     "irrelevant signature included"};
inline constexpr fc_exception_kind tx_duplicate_sig{4010005, "tx_duplicate_sig",
                                                    "duplicate signature included"};
inline constexpr fc_exception_kind invalid_committee_approval{
    4010006, "invalid_committee_approval", "committee account cannot directly approve transaction"};
inline constexpr fc_exception_kind insufficient_fee{4010007, "insufficient_fee",
                                                    "insufficient fee"};
// Operation evaluation exceptions: 3050000 + 100 * operation tag + n.
inline constexpr fc_exception_kind transfer_from_account_not_whitelisted{
    3050001, "transfer_from_account_not_whitelisted", "owner mismatch"};
inline constexpr fc_exception_kind transfer_to_account_not_whitelisted{
    3050002, "transfer_to_account_not_whitelisted", "owner mismatch"};
inline constexpr fc_exception_kind transfer_restricted_transfer_asset{
    3050003, "transfer_restricted_transfer_asset", "restricted transfer asset"};
inline constexpr fc_exception_kind limit_order_create_kill_unfilled{
    3050101, "limit_order_create_kill_unfilled", "Killing limit order due to unable to fill"};
inline constexpr fc_exception_kind limit_order_create_market_not_whitelisted{
    3050102, "limit_order_create_market_not_whitelisted",
    "The market has not been whitelisted by the selling asset"};
inline constexpr fc_exception_kind limit_order_create_market_blacklisted{
    3050103, "limit_order_create_market_blacklisted",
    "The market has been blacklisted by the selling asset"};
inline constexpr fc_exception_kind limit_order_create_selling_asset_unauthorized{
    3050104, "limit_order_create_selling_asset_unauthorized",
    "The account is not allowed to transact the selling asset"};
inline constexpr fc_exception_kind limit_order_create_receiving_asset_unauthorized{
    3050105, "limit_order_create_receiving_asset_unauthorized",
    "The account is not allowed to transact the receiving asset"};
inline constexpr fc_exception_kind limit_order_create_insufficient_balance{
    3050106, "limit_order_create_insufficient_balance", "Insufficient balance"};
inline constexpr fc_exception_kind limit_order_cancel_nonexist_order{
    3050201, "limit_order_cancel_nonexist_order", "Order does not exist"};
inline constexpr fc_exception_kind limit_order_cancel_owner_mismatch{
    3050202, "limit_order_cancel_owner_mismatch", "Order owned by someone else"};
inline constexpr fc_exception_kind account_create_max_auth_exceeded{
    3050501, "account_create_max_auth_exceeded", "Exceeds max authority fan-out"};
inline constexpr fc_exception_kind account_create_auth_account_not_found{
    3050502, "account_create_auth_account_not_found", "Auth account not found"};
}  // namespace fc_kind

// One message in an fc exception's log.
struct fc_log_message {
  std::string format;        // e.g. "now <= trx.expiration: "
  boost::json::object data;  // the named arguments of the format
  std::string_view method;   // the bitshares-core function that logged it
  std::string_view file;     // its source file in bitshares-core
};

class chain_error : public std::exception {
 public:
  chain_error(const fc_exception_kind& kind, fc_log_message message);

  std::int64_t code() const { return kind_.code; }
  std::string_view name() const { return kind_.name; }
  std::string_view what_text() const { return kind_.what; }
  const std::vector<fc_log_message>& log() const { return log_; }

  // FC_RETHROW_EXCEPTIONS / FC_CAPTURE_AND_RETHROW: adds a message on the way up.
  void append(fc_log_message message);

  // fc::exception::to_string(): what() + ":" then " " + each non-empty formatted message.
  std::string to_string() const;
  // What the websocket server puts in error.message.
  std::string rpc_message() const { return "Execution error: " + to_string(); }
  // fc::variant(exception): {"code","name","message","stack":[{context,format,data}...]}.
  boost::json::object to_json() const;

  const char* what() const noexcept override { return text_.c_str(); }

 private:
  fc_exception_kind kind_;
  std::vector<fc_log_message> log_;
  std::string text_;
};

// fc::format_string: replaces ${name} by data[name] (strings verbatim, other values as JSON).
std::string format_fc_string(std::string_view format, const boost::json::object& data);

// FC_ASSERT(expression, format, data...) failing in `method`.
[[noreturn]] void throw_assert(std::string_view expression, std::string_view method,
                               std::string_view format = {}, boost::json::object data = {});
// GRAPHENE_ASSERT / FC_THROW_EXCEPTION(kind, format, data...).
[[noreturn]] void throw_error(const fc_exception_kind& kind, std::string_view method,
                              std::string_view format, boost::json::object data = {});

}  // namespace bts::chain
