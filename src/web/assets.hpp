// Static web assets compiled into the binary: the vendored uPlot (third_party/uplot) as
// "uplot.js" and "uplot.css", and every file under src/web/assets/ by its file name.
// Pages served over HTTP refer to them as /assets/<name>; the offline HTML report inlines them.
//
//   if (auto* a = web::find_asset("uplot.js")) response.body = std::string(a->body);
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bts::web {

struct asset {
  std::string_view name;          // "uplot.js"
  std::string_view content_type;  // from the extension: "text/javascript; charset=utf-8", ...
  std::string_view body;
};

// The asset with this name, or nullptr.
const asset* find_asset(std::string_view name);
// Every embedded asset, in a stable order.
std::span<const asset> assets();

// For an HTTP target "/assets/<name>[?query]": the asset, or nullopt for any other target or an
// unknown name. Callers add `Cache-Control` as they see fit.
const asset* asset_for_target(std::string_view target);

// Escapes text for HTML element content and attribute values (& < > " ').
std::string html_escape(std::string_view text);
// Makes text safe inside an inline <script> (JSON data in a page): escapes "</" and U+2028/9.
std::string script_safe(std::string_view json);

namespace detail {
struct embedded_file {
  std::string_view name;
  std::string_view body;
};
extern const embedded_file embedded[];
extern const std::size_t embedded_count;
}  // namespace detail

}  // namespace bts::web
