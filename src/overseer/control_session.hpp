// One connected beacon, as the overseer sees its control websocket (docs/control-protocol.md):
// one handler per message type (register, heartbeat, pong, stats, event, ack) over the shared
// fleet state (detail/core.hpp), and what a closed connection means for the beacon.
//
//   so.handler = [&](std::shared_ptr<rpc::session> s, rpc::rpc_request r) {
//     return control_session::handle(core, merger, std::move(s), std::move(r));
//   };
//   so.on_close = [](rpc::session& s) { control_session::closed(s); };
//
// Messages: every one but register needs a register on the same connection first ("register
// first"). register names the beacon (a second connection under the same name closes the
// first) and, for a beacon of a known run, resumes it (beacon_joined event, stored_second in
// the answer). Every message counts as a sign of life (the tick disconnects a beacon silent
// for options.silence_limit). stats rows and blocks are stored through the store thread and
// acknowledged only once committed; then they are handed to the run_merger. A malformed or
// misdirected message is answered with an error naming the path; the connection stays open.
//
// Ownership: a control_session lives in its rpc::session's state() (shared), created by the
// first message; it refers to the core and the merger, which outlive every session.
// Threads: handle() and closed() run on the session's strand (rpc::server's contract); the
// handlers take core.mu for in-memory work only, never across the store.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "overseer/detail/core.hpp"
#include "overseer/run_merger.hpp"

namespace bts::overseer {

class control_session {
 public:
  control_session(detail::core& c, run_merger& merger) : c_(c), merger_(merger) {}

  // Answers one control call of session `s`.
  static boost::asio::awaitable<rpc::call_result> handle(detail::core& c, run_merger& merger,
                                                         std::shared_ptr<rpc::session> s,
                                                         rpc::rpc_request req);
  // The connection closed: its beacon (if it registered and this is still its connection) is
  // lost, with a beacon_lost event in its run.
  static void closed(rpc::session& s);

  // The registered beacon's name; empty before register.
  const std::string& name() const { return name_; }

  // REQUIRES (each): a message of a registered session, except on_register; called on the
  // session's strand. They take core.mu themselves.
  boost::json::value on_register(const std::shared_ptr<rpc::session>& s,
                                 const control::register_msg& m);
  boost::json::value on_heartbeat(const control::heartbeat_msg& m);
  boost::json::value on_pong(const control::pong_msg& m);
  boost::json::value on_event(const control::event_msg& m);
  boost::json::value on_ack(const control::ack_msg& m);
  boost::asio::awaitable<rpc::call_result> on_stats(std::shared_ptr<control::stats_msg> m);

 private:
  void on_closed(const rpc::session& s);
  rpc::call_result dispatch(const std::shared_ptr<rpc::session>& s,
                            const control::beacon_message& m);
  // The steps of on_stats that do not suspend are plain functions: GCC 12 mishandles some
  // locals of coroutines that hold large frames (double destruction).
  std::optional<rpc::rpc_error> stats_check(const control::stats_msg& m);
  boost::asio::awaitable<rpc::call_result> stats_store(const control::stats_msg& m);
  rpc::call_result stats_stored(const control::stats_msg& m, const rpc::call_result& stored);
  // The registered beacon, marked seen now. REQUIRES: core.mu held.
  detail::beacon_entry& seen(unix_us t);

  detail::core& c_;
  run_merger& merger_;
  std::string name_;  // set by register (on the strand)
};

}  // namespace bts::overseer
