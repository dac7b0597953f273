// One blocking request to the overseer's JSON API (http:// or https://), for `bts-infra ctl`
// and tests. Plain Beast over the TLS settings of src/rpc/tls.hpp.
//
// Threads: a free function; each call uses its own io_context and connection.
#pragma once

#include <chrono>
#include <string>

#include "rpc/tls.hpp"

namespace bts::overseer {

struct api_response {
  unsigned status = 0;
  std::string body;
};

// `base` is the overseer URL (http://host:port, https://..., or ws[s]://, mapped to http[s]);
// `target` the path and query ("/api/runs"). A non-empty `token` is sent as
// Authorization: Bearer. Throws input_error for a bad URL, std::runtime_error when the
// overseer cannot be reached or does not answer within `timeout`.
api_response api_request(const std::string& base, const std::string& method,
                         const std::string& target, const std::string& body = {},
                         const std::string& token = {}, const rpc::tls_client_options& tls = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace bts::overseer
