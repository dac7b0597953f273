#include <string>

#include "report/detail/document.hpp"
#include "report/report.hpp"

namespace bts::report {
namespace {

// Table cells: one line, pipes escaped.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out.empty() ? " " : out;
}

}  // namespace

std::string render_markdown(const boost::json::object& model) {
  using type = detail::element::type;
  std::string out;
  for (const auto& e : detail::build_document(model)) {
    switch (e.kind) {
      case type::section_begin:
      case type::section_end:
      case type::plot:  // plots are in report.html; their data in report.json
        break;
      case type::heading:
        out += std::string(static_cast<std::size_t>(e.level), '#') + " " + e.text + "\n\n";
        break;
      case type::paragraph:
        out += (e.style == "good" || e.style == "bad") ? "**" + e.text + "**\n\n" : e.text + "\n\n";
        break;
      case type::list:
        for (const auto& i : e.items) out += "- " + i + "\n";
        out += "\n";
        break;
      case type::table: {
        out += "|";
        for (const auto& h : e.headers) out += " " + md_cell(h) + " |";
        out += "\n|";
        const auto numeric = detail::numeric_columns(e);
        for (std::size_t i = 0; i < e.headers.size(); ++i) out += numeric[i] ? "--:|" : "---|";
        out += "\n";
        for (const auto& r : e.rows) {
          out += "|";
          for (const auto& c : r) out += " " + md_cell(c) + " |";
          out += "\n";
        }
        out += "\n";
        break;
      }
      case type::code: {
        std::string fence = "```";
        while (e.text.find(fence) != std::string::npos) fence += '`';
        out += fence + e.style + "\n" + e.text +
               (e.text.empty() || e.text.back() != '\n' ? "\n" : "") + fence + "\n\n";
        break;
      }
    }
  }
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
    out.pop_back();
  return out;
}

}  // namespace bts::report
