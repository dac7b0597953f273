// The overseer's live dashboard (pages.hpp, docs/dashboard.md): GET / is the page
// (src/web/assets/dashboard-page.html with the preset names filled in) and /assets/<name> the
// embedded files it loads (uPlot, dashboard-page.js, dashboard-page.css). The page itself only
// reads and drives the JSON API; nothing here touches the overseer's state.
#include <boost/json.hpp>

#include <string>

#include "scenario/scenario.hpp"
#include "overseer/overseer.hpp"
#include "overseer/pages.hpp"
#include "web/assets.hpp"

namespace bts::overseer {

namespace {

constexpr std::string_view presets_marker = "@PRESETS_JSON@";

std::string page_html() {
  const web::asset* a = web::find_asset("dashboard-page.html");
  if (a == nullptr) return "<!doctype html><title>bts-infra overseer</title>dashboard missing\n";
  boost::json::array names;
  for (const auto& n : scenarios::preset_names()) names.emplace_back(n);
  std::string html(a->body);
  const auto at = html.find(presets_marker);
  if (at != std::string::npos) {
    html.replace(at, presets_marker.size(), web::script_safe(boost::json::serialize(names)));
  }
  return html;
}

}  // namespace

std::optional<rpc::http_response> dashboard_http(overseer&, std::string_view path) {
  if (path == "/" || path == "/index.html") {
    rpc::http_response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = page_html();
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
    return r;
  }
  if (const web::asset* a = web::asset_for_target(path)) {
    rpc::http_response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  }
  return std::nullopt;
}

}  // namespace bts::overseer
