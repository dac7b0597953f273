#include "web/assets.hpp"

#include <vector>

namespace bts::web {
namespace {

std::string_view type_for(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

const std::vector<asset>& table() {
  static const std::vector<asset> t = [] {
    std::vector<asset> v;
    for (std::size_t i = 0; i < detail::embedded_count; ++i) {
      const auto& e = detail::embedded[i];
      v.push_back({e.name, type_for(e.name), e.body});
    }
    return v;
  }();
  return t;
}

}  // namespace

const asset* find_asset(std::string_view name) {
  for (const auto& a : table()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::span<const asset> assets() { return table(); }

const asset* asset_for_target(std::string_view target) {
  constexpr std::string_view prefix = "/assets/";
  if (!target.starts_with(prefix)) return nullptr;
  auto name = target.substr(prefix.size());
  if (auto q = name.find_first_of("?#"); q != std::string_view::npos) name = name.substr(0, q);
  if (name.empty() || name.find('/') != std::string_view::npos) return nullptr;
  return find_asset(name);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else if (c == '\xe2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xa8' || json[i + 2] == '\xa9')) {
      out += json[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace bts::web
