// The run merger: turns the per-beacon seconds of a run into the run's merged series, ends runs,
// and restores unfinished runs from the store after a restart.
//
//   run_merger merger(core);
//   merger.restore();                                 // in the overseer's constructor
//   ...
//   std::lock_guard lock(core.mu);
//   merger.rows_stored(run, "alpha", rows);          // once alpha's rows are committed
//   merger.tick();                                    // every 250 ms: lost beacons, run ends
//
// Merging: second N of the merged series is written once every beacon expected in it has
// reported N (a beacon that finished before N is not expected), or is lost for longer than
// options.lost_hold. Counters are summed and histograms merged exactly (stats::second_merger);
// the run's cumulative histograms are stored with every merged second, and the scenario's
// node_load sources read by the overseer fill each merged second. Merged seconds are written
// once, in order, through the store thread (then the on_rows hook with beacon "").
//
// Ending: a started run ends when each beacon finished and its last second is stored, or stayed
// lost past lost_hold: "stopped" if a stop was requested, "completed" if any beacon finished
// without failing, else "failed". The summary is computed on the store thread from the stored
// merged series and the cumulative histograms.
//
// Ownership: works on a detail::core it does not own, which must outlive it. Stateless itself.
// Threads: any. REQUIRES for every member but restore(): core.mu held (each is in-memory work
// and posts its store writes; none waits for the store).
#pragma once

#include <string>
#include <vector>

#include "overseer/detail/core.hpp"

namespace bts::overseer {

class run_merger {
 public:
  explicit run_merger(detail::core& c) : c_(c) {}

  // A beacon's rows were committed to the store: queue those not merged yet, write the merged
  // seconds now complete, end the run if it is done. Rows of a second already merged without
  // the beacon are counted in a "note" event. A finished or unknown run is ignored.
  void rows_stored(const std::string& run, const std::string& beacon,
                   const std::vector<stats::second_row>& rows);
  // Writes every merged second that is complete (all of them when `force`).
  void try_merge(const std::string& id, detail::run_state& r, bool force = false);
  // Ends the run if every beacon is done (see above).
  void check_finish(const std::string& id, detail::run_state& r);
  // Merges what is left, marks the run ended and stores its summary.
  void finish(const std::string& id, detail::run_state& r, store::run_status status);
  // try_merge and check_finish for every unfinished run (lost beacons count from the clock).
  void tick();

  // Loads every run the store has as created or running into core.runs, its beacons into
  // core.beacons (lost since now, so lost_hold counts from the restart), its stored but unmerged
  // seconds into the pending seconds, and restarts its node_load readings.
  // REQUIRES: called once, before serving (takes core.mu itself; waits for the store).
  void restore();

 private:
  bool lost_too_long(const std::string& name, unix_us t) const;
  // Merges the rows of second `s` into one record (with the cumulative histograms).
  store::second_record merge_second(const std::string& id, detail::run_state& r, std::int64_t s,
                                    const std::map<std::string, stats::second_row>& rows);
  detail::run_state restore_run(const store::run_record& rec, unix_us t);

  detail::core& c_;
};

}  // namespace bts::overseer
