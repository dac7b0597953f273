#include "stats/counters.hpp"

#include <algorithm>

#include "stats/rejection.hpp"

namespace bts::stats {

void counters::add(const counters& other) {
  for (const auto& f : counter_fields) this->*(f.member) += other.*(f.member);
  for (const auto& [reason, n] : other.rejected_by_reason)
    add_rejection(rejected_by_reason, reason, n);
}

bool node_load_row::empty() const {
  for (const auto& f : node_load_fields) {
    if (this->*(f.member)) return false;
  }
  return true;
}

bool node_load_row::has_load() const {
  for (const auto& f : node_load_fields) {
    if (!f.head && this->*(f.member)) return true;
  }
  return false;
}

void node_load_row::merge(const node_load_row& other) {
  for (const auto& f : node_load_fields) {
    auto& mine = this->*(f.member);
    const auto& theirs = other.*(f.member);
    if (theirs && (!mine || *theirs > *mine)) mine = theirs;
  }
}

}  // namespace bts::stats
