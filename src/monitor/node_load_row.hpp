// A node load reading (monitor::node_load) as it goes into a per-second row
// (stats::node_load_row): CPU to 0.1% of a core, bytes and byte rates to whole bytes. Used by the
// beacon for the nodes it samples and by the overseer for the nodes it samples itself.
#pragma once

#include "monitor/node_load.hpp"
#include "stats/second_series.hpp"

namespace bts::monitor {

stats::node_load_row to_row(const node_load& l);

}  // namespace bts::monitor
