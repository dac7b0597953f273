// The overseer's store thread: the only writer of the results store. Jobs run in the order
// posted; a failing job is logged and does not stop the others.
//
// Threads: post/call from any thread; jobs run on the worker's own thread. call() must not be
// used from that thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "store/results_store.hpp"

namespace bts::overseer::detail {

class store_worker {
 public:
  using job = std::function<void(store::results_store&)>;

  store_worker(const std::filesystem::path& path, std::function<void(const std::string&)> log)
      : db_(path), log_(std::move(log)) {
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

  // Runs `f` on the store thread and returns its result (or rethrows its exception).
  template <class F>
  auto call(F f) -> decltype(f(std::declval<store::results_store&>())) {
    using R = decltype(f(std::declval<store::results_store&>()));
    auto p = std::make_shared<std::promise<R>>();
    auto fut = p->get_future();
    post([p, f = std::move(f)](store::results_store& db) mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          f(db);
          p->set_value();
        } else {
          p->set_value(f(db));
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
        batch.swap(jobs_);
      }
      for (auto& j : batch) {
        try {
          j(db_);
        } catch (const std::exception& e) {
          log_(std::string("overseer: store: ") + e.what());
        }
      }
    }
  }

  store::results_store db_;
  std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bts::overseer::detail
