// The report's text as a list of elements (headings, paragraphs, tables, plots...), made once
// from the model and written out as Markdown or HTML, so both carry the same words and numbers.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace bts::report::detail {

struct element {
  enum class type { section_begin, section_end, heading, paragraph, list, table, code, plot };
  type kind = type::paragraph;
  int level = 0;      // heading: 1..4
  std::string id;     // section_begin: the section's id; plot: the plot's id
  std::string text;   // heading, paragraph, code; plot: its title
  std::string style;  // paragraph: "good", "bad", "note", "" ; plot: its kind (see report-plots.js)
  std::vector<std::string> items;              // list
  std::vector<std::string> headers;            // table
  std::vector<std::vector<std::string>> rows;  // table
  int run = -1;                                // plot: index into model.runs (-1: comparison)
};

// Whether a table column holds numbers (right-aligned) rather than text.
std::vector<bool> numeric_columns(const element& table);

std::vector<element> build_document(const boost::json::object& model);

}  // namespace bts::report::detail
