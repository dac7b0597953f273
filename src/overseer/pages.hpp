// The overseer's GET pages beside the JSON API: the live dashboard (dashboard.cpp) and the
// Prometheus /metrics exposition (metrics.cpp). http_api asks each in turn and answers with the
// first that claims the path.
//
// Threads: called on the API's worker threads (http_api.hpp), never the network thread; they
// read the overseer through its public snapshot members only.
#pragma once

#include <optional>
#include <string_view>

#include "rpc/server.hpp"

namespace bts::overseer {

class overseer;

// GET / and the dashboard's own files; nullopt for any other path.
std::optional<rpc::http_response> dashboard_http(overseer& o, std::string_view path);

// GET /metrics (Prometheus text format); nullopt for any other path.
std::optional<rpc::http_response> metrics_http(overseer& o, std::string_view path);

}  // namespace bts::overseer
