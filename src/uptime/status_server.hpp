// `bts-infra uptime serve`'s HTTP side, over rpc::server (GET only; POSTs get JSON-RPC's
// method-not-found, websocket upgrades are refused):
//   /                                 the status page (groups, states, uptime, charts,
//   certificates,
//                                     incidents); uPlot and the page's script from /assets/
//   /api/v1/status                    every endpoint's current state, uptime 24h/7d/30d, phases,
//                                     chain facts, certificate; incidents; certificate inventory
//   /api/v1/endpoints/KEY/history?window=24h|7d|30d   response time and worst state per bucket
//   /badge/KEY.svg, /badge/KEY/uptime/24h.svg         SVG badges
//   /nodes.json                       healthy ws(s) nodes as bitshares-ui's WS_NODE_LIST entries
//   /metrics                          Prometheus text format
// Everything there is read-only. The one write path is for remote probe locations: with a probe
// token, a websocket or POST JSON-RPC call ["uptime", "report", [location, key, state, failed,
// ts_ms]] carrying "Authorization: Bearer <token>" feeds tracker::remote_result; without the
// token (or with no token configured) upgrades and POSTs are refused (401 / 405).
//
// Ownership: borrows the tracker (and its store), which must outlive the server.
// Threads: requests are answered on the executor; run it on the tracker's single thread, so the
// store is used by one thread only.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rpc/server.hpp"
#include "uptime/tracker.hpp"

namespace bts::uptime {

class status_server {
 public:
  // Binds at once. Throws boost::system::system_error when the address cannot be bound.
  status_server(boost::asio::any_io_executor executor, tracker& t, std::string host,
                std::uint16_t port, std::optional<rpc::tls_server_options> tls = {},
                std::string probe_token = {});
  ~status_server();

  std::uint16_t port() const;
  void stop();

  // The response for one GET, without the network (tests).
  rpc::http_response handle(const rpc::http_request_info& request) const;

 private:
  tracker& tracker_;
  std::unique_ptr<rpc::server> server_;
};

// Pieces, for tests.
std::string status_json(const tracker& t);
std::string nodes_json(const tracker& t);
std::string metrics_text(const tracker& t);
std::string badge_svg(std::string_view label, std::string_view value, std::string_view color);

}  // namespace bts::uptime
