#include "chain/names.hpp"

#include "chain/config.hpp"

namespace bts::chain {
namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

bool is_valid_name(std::string_view name) {
  const std::size_t len = name.size();
  if (len < config::min_account_name_length || len > config::max_account_name_length) return false;
  std::size_t begin = 0;
  while (true) {
    std::size_t end = name.find('.', begin);
    if (end == std::string_view::npos) end = len;
    if (end - begin < config::min_account_name_length) return false;
    if (!lower(name[begin])) return false;
    const char last = name[end - 1];
    if (!lower(last) && !digit(last)) return false;
    for (std::size_t i = begin + 1; i + 1 < end; ++i) {
      const char c = name[i];
      if (!lower(c) && !digit(c) && c != '-') return false;
    }
    if (end == len) break;
    begin = end + 1;
  }
  return true;
}

bool is_cheap_name(std::string_view name) {
  bool vowel = false;
  for (const char c : name) {
    if (digit(c)) return true;
    if (c == '.' || c == '-' || c == '/') return true;
    switch (c) {
      case 'a':
      case 'e':
      case 'i':
      case 'o':
      case 'u':
      case 'y':
        vowel = true;
        break;
      default:
        break;
    }
  }
  return !vowel;
}

bool is_valid_symbol(std::string_view symbol) {
  if (symbol.size() < config::min_asset_symbol_length) return false;
  if (symbol.substr(0, 3) == "BIT") return false;
  if (symbol.size() > config::max_asset_symbol_length) return false;
  if (!upper(symbol.front())) return false;
  if (!upper(symbol.back()) && !digit(symbol.back())) return false;
  bool dot = false;
  for (const char c : symbol) {
    if (upper(c) || digit(c)) continue;
    if (c == '.') {
      if (dot) return false;
      dot = true;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace bts::chain
