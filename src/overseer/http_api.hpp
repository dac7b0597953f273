// The overseer's HTTP side as a thin adapter over its public operations: the JSON API under
// /api/ (overseer.hpp lists the routes), the dashboard and /metrics pages (pages.hpp), and the
// token checks every HTTP request passes first.
//
//   http_api api(o, core);
//   so.authenticate = [&](const rpc::http_request_info& r) { return api.authenticate(r); };
//   so.http_async = [&](rpc::http_request_info r, rpc::http_responder respond) {
//     api.serve(std::move(r), std::move(respond));
//   };
//   ...
//   api.stop();  // before the store stops
//
// Answers: 200 (201 for a created run) with JSON; 400 {"error": "field: problem"} for a bad
// request (input_error), 404 for an unknown run or path, 401 for a missing or wrong token (one
// log line naming the peer, never the token), 500 for anything else.
//
// Why a worker: an operation may take seconds (create reads each node_load source once and
// waits for the store), so serve() runs every request on the API's own worker threads and
// completes on the connection's strand when the answer is ready. The network thread, and with
// it every beacon's heartbeats and stats, never waits for the API.
//
// Ownership: refers to the overseer and its core, which outlive it; owns its worker threads.
// Threads: authenticate() on the network thread (cheap); serve() from any thread (the
// connection's strand); the routes, and `respond`, run on a worker thread; stop() from a
// thread that is neither.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <map>
#include <optional>
#include <string>

#include "overseer/detail/core.hpp"
#include "overseer/overseer.hpp"
#include "rpc/server.hpp"

namespace bts::overseer {

class http_api {
 public:
  // `workers`: requests answered at once (a slow create leaves the others to answer GETs).
  http_api(overseer& o, detail::core& c, std::size_t workers = 2);
  ~http_api();  // stop()

  // The token checks: nullopt lets the request through, else the 401 (or 404) to refuse with.
  std::optional<rpc::http_response> authenticate(const rpc::http_request_info& r) const;
  // Answers one HTTP request: queues it for a worker thread, which calls `respond` with the
  // answer. Returns at once.
  void serve(rpc::http_request_info req, rpc::http_responder respond);
  // Drops the requests not started, waits for those running. Idempotent.
  void stop();

 private:
  // The route table. Runs on a worker thread; never throws.
  rpc::http_response route(const rpc::http_request_info& req);
  rpc::http_response route_api(const rpc::http_request_info& req, std::string_view path,
                               const std::map<std::string, std::string>& query);
  rpc::http_response start(const std::string& id, const rpc::http_request_info& req);

  overseer& o_;
  detail::core& c_;
  boost::asio::thread_pool workers_;
};

}  // namespace bts::overseer
