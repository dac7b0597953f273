// A stack of nested undo sessions over the chain state, as graphene::db::undo_database is used
// by bitshares-core: the pending-transactions session, a session per transaction inside it, a
// session per block. Every change to the state while a session is open records how to revert
// it; undo() replays those records backwards to the session's start, merge() folds a session
// into its parent, and when the outermost session merges the records are dropped (committed).
//
// Not thread-safe; owned by one database.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

namespace bts::chain {

class undo_log {
 public:
  bool active() const { return !marks_.empty(); }
  std::size_t depth() const { return marks_.size(); }

  // Records how to revert a change. A no-op outside any session (changes are then final).
  void record(std::function<void()> revert) {
    if (active()) entries_.push_back(std::move(revert));
  }

  void begin() { marks_.push_back(entries_.size()); }
  // REQUIRES: active()
  void undo() {
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    while (entries_.size() > mark) {
      auto revert = std::move(entries_.back());
      entries_.pop_back();
      revert();
    }
  }
  // REQUIRES: active()
  void merge() {
    marks_.pop_back();
    if (marks_.empty()) entries_.clear();
  }

 private:
  std::vector<std::function<void()>> entries_;
  std::vector<std::size_t> marks_;
};

// RAII: undoes the session unless merge() was called.
class undo_session {
 public:
  explicit undo_session(undo_log& log) : log_(&log) { log_->begin(); }
  undo_session(const undo_session&) = delete;
  undo_session& operator=(const undo_session&) = delete;
  ~undo_session() {
    if (log_ != nullptr) log_->undo();
  }
  void merge() {
    log_->merge();
    log_ = nullptr;
  }
  void undo() {
    log_->undo();
    log_ = nullptr;
  }

 private:
  undo_log* log_;
};

}  // namespace bts::chain
