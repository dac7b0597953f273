#include "rpc/counters.hpp"

namespace bts::rpc {

namespace {
std::uint64_t get(const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); }
}  // namespace

void client_counters::count_error_code(std::int64_t code) {
  std::lock_guard lock(mu_);
  ++errors_by_code_[code];
}

std::map<std::int64_t, std::uint64_t> client_counters::errors_by_code() const {
  std::lock_guard lock(mu_);
  return errors_by_code_;
}

client_stats client_counters::snapshot() const {
  client_stats s;
  s.connect_attempts = get(connect_attempts);
  s.connect_failures = get(connect_failures);
  s.connects = get(connects);
  s.reconnects = get(reconnects);
  s.disconnects = get(disconnects);
  s.calls = get(calls);
  s.succeeded = get(succeeded);
  s.server_errors = get(server_errors);
  s.timeouts = get(timeouts);
  s.disconnected = get(disconnected);
  s.protocol_errors = get(protocol_errors);
  s.invalid_messages = get(invalid_messages);
  s.late_responses = get(late_responses);
  s.notices = get(notices);
  s.unhandled_notices = get(unhandled_notices);
  s.callback_exceptions = get(callback_exceptions);
  s.bytes_sent = get(bytes_sent);
  s.bytes_received = get(bytes_received);
  s.errors_by_code = errors_by_code();
  return s;
}

server_stats server_counters::snapshot() const {
  server_stats s;
  s.connections = get(connections);
  s.sessions_opened = get(sessions_opened);
  s.sessions_closed = get(sessions_closed);
  s.http_requests = get(http_requests);
  s.auth_rejections = get(auth_rejections);
  s.requests = get(requests);
  s.responses = get(responses);
  s.error_responses = get(error_responses);
  s.invalid_messages = get(invalid_messages);
  s.notices = get(notices);
  s.bytes_sent = get(bytes_sent);
  s.bytes_received = get(bytes_received);
  return s;
}

}  // namespace bts::rpc
