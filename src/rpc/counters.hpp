// Counters of a client or a server, readable at any time from any thread.
//
// Every field is a relaxed atomic incremented by the connection's strand; reads may see a
// moment where related counters disagree by one or two. snapshot() copies them into plain
// values for printing or diffing. errors_by_code is a small map under a mutex.
//
// Accounting identity of a client once no call is pending:
//   calls == succeeded + server_errors + timeouts + disconnected + protocol_errors
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

namespace bts::rpc {

struct client_stats {
  std::uint64_t connect_attempts = 0;
  std::uint64_t connect_failures = 0;  // includes on_connect hooks that failed
  std::uint64_t connects = 0;          // successful handshakes
  std::uint64_t reconnects = 0;        // successful handshakes after the first
  std::uint64_t disconnects = 0;       // established connections that dropped
  std::uint64_t calls = 0;             // calls issued
  std::uint64_t succeeded = 0;         // answered with a result
  std::uint64_t server_errors = 0;     // answered with an error (see errors_by_code)
  std::uint64_t timeouts = 0;
  std::uint64_t disconnected = 0;         // calls failed because the connection was down or dropped
  std::uint64_t protocol_errors = 0;      // calls failed because the answer was not valid
  std::uint64_t invalid_messages = 0;     // unusable messages (bad JSON, unknown shape)
  std::uint64_t late_responses = 0;       // answers to calls that had already timed out
  std::uint64_t notices = 0;              // dispatched to a subscriber
  std::uint64_t unhandled_notices = 0;    // no subscriber for the callback id
  std::uint64_t callback_exceptions = 0;  // thrown by completion or notice handlers (caught)
  std::uint64_t bytes_sent = 0;           // message payload bytes (not framing, not HTTP headers)
  std::uint64_t bytes_received = 0;
  std::map<std::int64_t, std::uint64_t> errors_by_code;
};

class client_counters {
 public:
  using counter = std::atomic<std::uint64_t>;
  counter connect_attempts{0}, connect_failures{0}, connects{0}, reconnects{0}, disconnects{0},
      calls{0}, succeeded{0}, server_errors{0}, timeouts{0}, disconnected{0}, protocol_errors{0},
      invalid_messages{0}, late_responses{0}, notices{0}, unhandled_notices{0},
      callback_exceptions{0}, bytes_sent{0}, bytes_received{0};

  void count_error_code(std::int64_t code);
  std::map<std::int64_t, std::uint64_t> errors_by_code() const;
  client_stats snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::int64_t, std::uint64_t> errors_by_code_;
};

struct server_stats {
  std::uint64_t connections = 0;      // TCP connections accepted
  std::uint64_t sessions_opened = 0;  // websocket sessions
  std::uint64_t sessions_closed = 0;
  std::uint64_t http_requests = 0;  // plain HTTP requests (POST and others)
  std::uint64_t auth_rejections = 0;
  std::uint64_t requests = 0;          // JSON-RPC requests handed to the handler
  std::uint64_t responses = 0;         // JSON-RPC responses sent (results and errors)
  std::uint64_t error_responses = 0;   // of which errors, including invalid messages
  std::uint64_t invalid_messages = 0;  // rejected before the handler (-32700, -32600, ...)
  std::uint64_t notices = 0;           // notices queued by session::notify
  std::uint64_t bytes_sent = 0;        // message/body payload bytes
  std::uint64_t bytes_received = 0;
};

class server_counters {
 public:
  using counter = std::atomic<std::uint64_t>;
  counter connections{0}, sessions_opened{0}, sessions_closed{0}, http_requests{0},
      auth_rejections{0}, requests{0}, responses{0}, error_responses{0}, invalid_messages{0},
      notices{0}, bytes_sent{0}, bytes_received{0};

  server_stats snapshot() const;
};

// Relaxed increment, the only ordering counters need.
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace bts::rpc
