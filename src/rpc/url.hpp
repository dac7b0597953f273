// Endpoint URLs: ws://, wss://, http://, https://.
//
// Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace bts::rpc {

struct url {
  std::string scheme;        // lower case: "ws", "wss", "http" or "https"
  std::string host;          // without brackets for IPv6 literals ("::1")
  std::uint16_t port = 0;    // explicit, or 80 (ws/http) / 443 (wss/https)
  std::string target = "/";  // path and query, always starting with '/'
  std::string user;          // from "user:password@host", empty if absent
  std::string password;

  bool tls() const { return scheme == "wss" || scheme == "https"; }
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
  // "host" or "host:port" (port omitted when it is the scheme's default), IPv6 in brackets;
  // the value of the HTTP Host header.
  std::string host_header() const;
  // The URL back as text (without credentials).
  std::string to_string() const;
};

// Throws bts::input_error("url", "...") naming the problem, e.g.
//   url: unsupported scheme "ftp" in "ftp://x" (expected ws, wss, http or https)
url parse_url(std::string_view text);

// A listening address as the --listen flags take it: "HOST:PORT", the last ':' separating the
// port, IPv6 in brackets ("[::1]:9464"; the host comes back without them), PORT 0 to 65535
// (0: an ephemeral port). Returns {host, port}.
// Throws bts::input_error(flag, "expected HOST:PORT, got \"TEXT\"") (or "... with a port from
// 0 to 65535, ...") for an empty host or port, or a port that is not such a number.
std::pair<std::string, std::uint16_t> parse_host_port(std::string_view text,
                                                      const std::string& flag);

}  // namespace bts::rpc
