#include "rpc/url.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace bts::rpc {

namespace {

[[noreturn]] void fail(std::string_view text, const std::string& problem) {
  throw input_error("url", problem + " in \"" + std::string(text) + "\"");
}

std::uint16_t default_port(const std::string& scheme) {
  return (scheme == "wss" || scheme == "https") ? 443 : 80;
}

}  // namespace

url parse_url(std::string_view text) {
  if (text.empty()) throw input_error("url", "empty URL");
  for (const char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      fail(text, "whitespace or control character");
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    fail(text, "missing scheme (expected ws://, wss://, http:// or https://)");
  }
  url u;
  u.scheme.assign(text.substr(0, sep));
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (u.scheme != "ws" && u.scheme != "wss" && u.scheme != "http" && u.scheme != "https") {
    fail(text, "unsupported scheme \"" + u.scheme + "\" (expected ws, wss, http or https)");
  }
  std::string_view rest = text.substr(sep + 3);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);  // fragments never reach the server
  }
  const std::size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  if (path_at != std::string_view::npos) {
    u.target.assign(rest.substr(path_at));
    if (u.target.front() == '?') u.target.insert(0, "/");
  }
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    u.user.assign(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) u.password.assign(userinfo.substr(colon + 1));
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) fail(text, "unterminated '[' in IPv6 host");
    u.host.assign(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') fail(text, "unexpected text after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) fail(text, "empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    u.host.assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) fail(text, "empty port");
      if (port_text.find(':') != std::string_view::npos) {
        fail(text, "IPv6 hosts must be written in brackets, e.g. ws://[::1]:8090");
      }
    }
  }
  if (u.host.empty()) fail(text, "missing host");
  if (port_text.empty()) {
    u.port = default_port(u.scheme);
  } else {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size()) {
      fail(text, "port \"" + std::string(port_text) + "\" is not a number");
    }
    if (value == 0 || value > 65535) {
      fail(text, "port " + std::string(port_text) + " is out of range 1..65535");
    }
    u.port = static_cast<std::uint16_t>(value);
  }
  return u;
}

std::pair<std::string, std::uint16_t> parse_host_port(std::string_view text,
                                                      const std::string& flag) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    throw input_error(flag, "expected HOST:PORT, got " + quoted);
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port = text.substr(colon + 1);
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    throw input_error(flag, "expected HOST:PORT with a port from 0 to 65535, got " + quoted);
  }
  return {std::string(host), static_cast<std::uint16_t>(value)};
}

std::string url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) h += ":" + std::to_string(port);
  return h;
}

std::string url::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port) + target;
}

}  // namespace bts::rpc
