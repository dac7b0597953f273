// What the overseer's /metrics scrape (metrics.cpp) keeps between scrapes: per run, the merged
// rows summed so far, so a scrape reads only the merged seconds stored since the previous one
// (merged seconds are written once, in order, so the sums stay those of the whole series).
//
// Threads: any; `mu` guards `runs`.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "outputs/prometheus.hpp"

namespace bts::overseer::detail {

struct scrape_state {
  std::mutex mu;
  std::map<std::string, outputs::scope_metrics> runs;  // by run id; runs no longer scraped go
};

}  // namespace bts::overseer::detail
