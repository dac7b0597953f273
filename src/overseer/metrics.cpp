// The overseer's Prometheus /metrics (pages.hpp). Not served yet.
#include "overseer/overseer.hpp"
#include "overseer/pages.hpp"

namespace bts::overseer {

std::optional<rpc::http_response> metrics_http(overseer&, std::string_view) { return std::nullopt; }

}  // namespace bts::overseer
