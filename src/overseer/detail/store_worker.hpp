// The overseer's store thread: the only writer of the results store. Jobs run in the order
// posted; a failing job is logged and does not stop the others.
//
// Batching: the jobs queued when the thread wakes (it waits `gather` first, so the stats of a
// fleet's beacons, which arrive together every second, share one batch) run in one store batch:
// one commit for all of them (a commit per beacon-second was most of the overseer's CPU with 200
// beacons). What must happen only once the writes are committed (acknowledging stats, output
// hooks, call() results) is registered with after_commit() from the job; it runs on this thread
// after the commit, with the commit's error message if it failed (nullptr if it succeeded).
//
// Threads: post/call from any thread; jobs run on the worker's own thread. call() must not be
// used from that thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/results_store.hpp"

namespace bts::overseer::detail {

class store_worker {
 public:
  using job = std::function<void(store::results_store&)>;

  using after_commit_fn = std::function<void(const char* commit_error)>;

  store_worker(const std::filesystem::path& path, std::function<void(const std::string&)> log,
               std::chrono::milliseconds gather = std::chrono::milliseconds(5))
      : db_(path), log_(std::move(log)), gather_(gather) {
    thread_ = std::thread([this] { loop(); });
  }
  ~store_worker() { stop(); }

  void post(job j) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(j));
    }
    cv_.notify_one();
  }

  // From a job: runs `f` after the job's batch is committed (or failed to commit).
  void after_commit(after_commit_fn f) { after_.push_back(std::move(f)); }
  // From a job: runs `f` after the job's batch is committed, and not at all if the commit failed
  // (e.g. output hooks, which must only see what is stored).
  void once_committed(std::function<void()> f) {
    after_commit([f = std::move(f)](const char* error) {
      if (!error) f();
    });
  }

  // Runs `f` on the store thread and returns its result (or rethrows its exception), once what
  // it wrote is committed.
  template <class F>
  auto call(F f) -> decltype(f(std::declval<store::results_store&>())) {
    using R = decltype(f(std::declval<store::results_store&>()));
    auto p = std::make_shared<std::promise<R>>();
    auto fut = p->get_future();
    post([this, p, f = std::move(f)](store::results_store& db) mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          f(db);
          after_commit([p](const char* error) {
            if (error) {
              p->set_exception(std::make_exception_ptr(store::store_error(error)));
            } else {
              p->set_value();
            }
          });
        } else {
          auto r = std::make_shared<R>(f(db));
          after_commit([p, r](const char* error) {
            if (error) {
              p->set_exception(std::make_exception_ptr(store::store_error(error)));
            } else {
              p->set_value(std::move(*r));
            }
          });
        }
      } catch (...) {
        p->set_exception(std::current_exception());
      }
    });
    return fut.get();
  }

  // Runs the queued jobs, then ends the thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
        return;
      }
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    for (;;) {
      std::deque<job> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping and drained
        if (gather_.count() > 0 && !stopping_) {
          cv_.wait_for(lock, gather_, [&] { return stopping_; });
        }
        batch.swap(jobs_);
      }
      std::string commit_error;
      try {
        db_.begin_batch();
      } catch (const std::exception& e) {
        commit_error = e.what();  // jobs then run unbatched, each committing on its own
      }
      for (auto& j : batch) {
        try {
          j(db_);
        } catch (const std::exception& e) {
          log_(std::string("overseer: store: ") + e.what());
        }
      }
      commit_error.clear();
      try {
        db_.commit_batch();
      } catch (const std::exception& e) {
        commit_error = e.what();
        log_(std::string("overseer: store: ") + commit_error);
      }
      std::vector<after_commit_fn> after;
      after.swap(after_);
      for (auto& f : after) {
        try {
          f(commit_error.empty() ? nullptr : commit_error.c_str());
        } catch (const std::exception& e) {
          log_(std::string("overseer: store: ") + e.what());
        }
      }
    }
  }

  store::results_store db_;
  std::function<void(const std::string&)> log_;
  std::chrono::milliseconds gather_;
  std::vector<after_commit_fn> after_;  // store thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bts::overseer::detail
