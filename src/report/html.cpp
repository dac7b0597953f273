#include <algorithm>
#include <string>

#include "report/detail/document.hpp"
#include "report/report.hpp"
#include "stats/json_io.hpp"
#include "web/assets.hpp"

namespace bts::report {
namespace {

std::string asset(const char* name) {
  const web::asset* a = web::find_asset(name);
  // The assets are compiled in; a missing one is a build defect.
  if (a == nullptr) throw std::logic_error(std::string("report: embedded asset missing: ") + name);
  return std::string(a->body);
}

}  // namespace

std::string render_html(const boost::json::object& model) {
  using type = detail::element::type;
  using web::html_escape;
  const auto doc = detail::build_document(model);

  std::string title = "Stress test report";
  for (const auto& e : doc) {
    if (e.kind == type::heading && e.level == 1) {
      title = e.text;
      break;
    }
  }
  // Contents: each top-level section with the heading that opens it.
  std::string nav;
  int depth = 0;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    if (doc[i].kind == type::section_end) --depth;
    if (doc[i].kind != type::section_begin) continue;
    ++depth;
    if (i + 1 < doc.size() && doc[i + 1].kind == type::heading && doc[i + 1].level <= 3) {
      const bool sub = doc[i + 1].level == 3;
      nav += std::string("<li") + (sub ? " class=\"sub\"" : "") + "><a href=\"#" +
             html_escape(doc[i].id) + "\">" + html_escape(doc[i + 1].text) + "</a></li>";
    }
  }

  std::string body;
  for (const auto& e : doc) {
    switch (e.kind) {
      case type::section_begin:
        body += "<section id=\"" + html_escape(e.id) + "\">\n";
        break;
      case type::section_end:
        body += "</section>\n";
        break;
      case type::heading: {
        const std::string h = "h" + std::to_string(e.level);
        body += "<" + h + ">" + html_escape(e.text) + "</" + h + ">\n";
        if (e.level == 1) body += "<nav><ul>" + nav + "</ul></nav>\n";
        break;
      }
      case type::paragraph:
        body += "<p" + (e.style.empty() ? std::string() : " class=\"" + e.style + "\"") + ">" +
                html_escape(e.text) + "</p>\n";
        break;
      case type::list:
        body += "<ul>";
        for (const auto& i : e.items) body += "<li>" + html_escape(i) + "</li>";
        body += "</ul>\n";
        break;
      case type::table: {
        const auto numeric = detail::numeric_columns(e);
        auto open = [&](const char* tag, std::size_t i) {
          return std::string("<") + tag +
                 (i < numeric.size() && numeric[i] ? " class=\"n\">" : ">");
        };
        body += "<div class=\"table\"><table><thead><tr>";
        for (std::size_t i = 0; i < e.headers.size(); ++i)
          body += open("th", i) + html_escape(e.headers[i]) + "</th>";
        body += "</tr></thead><tbody>";
        for (const auto& r : e.rows) {
          body += "<tr>";
          for (std::size_t i = 0; i < r.size(); ++i)
            body += open("td", i) + html_escape(r[i]) + "</td>";
          body += "</tr>";
        }
        body += "</tbody></table></div>\n";
        break;
      }
      case type::code:
        body += "<pre><code>" + html_escape(e.text) + "</code></pre>\n";
        break;
      case type::plot:
        body += "<figure class=\"plot\" id=\"" + html_escape(e.id) + "\" data-kind=\"" +
                html_escape(e.style) + "\" data-run=\"" + std::to_string(e.run) +
                "\"><figcaption>" + html_escape(e.text) +
                "</figcaption><div class=\"plot-area\"></div></figure>\n";
        break;
    }
  }

  std::string out;
  out.reserve(body.size() + 400'000);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + html_escape(title) + "</title>\n<style>\n" + asset("uplot.css") + "\n" +
         asset("report-page.css") + "\n</style>\n</head>\n<body>\n<main>\n";
  out += body;
  out += "</main>\n<script id=\"report-data\" type=\"application/json\">" +
         web::script_safe(stats::json::write(model)) + "</script>\n";
  out += "<script>\n" + asset("uplot.js") + "\n</script>\n<script>\n" + asset("report-plots.js") +
         "\n</script>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace bts::report
