// The overseer's live dashboard (pages.hpp). Not served yet.
#include "overseer/overseer.hpp"
#include "overseer/pages.hpp"

namespace bts::overseer {

std::optional<rpc::http_response> dashboard_http(overseer&, std::string_view) {
  return std::nullopt;
}

}  // namespace bts::overseer
