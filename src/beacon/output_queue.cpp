#include "beacon/output_queue.hpp"

#include <utility>

namespace bts::beacon {

output_queue::output_queue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  thread_ = std::thread([this] { run(); });
}

output_queue::~output_queue() {
  try {
    close();
  } catch (...) {
  }
}

void output_queue::post(std::function<void()> job) {
  std::unique_lock lock(mu_);
  if (done_) {
    lock.unlock();
    run_job(job);
    return;
  }
  if (jobs_.size() >= capacity_) {
    full_waits_.fetch_add(1, std::memory_order_relaxed);
    not_full_.wait(lock, [&] { return jobs_.size() < capacity_; });
  }
  jobs_.push_back(std::move(job));
  if (jobs_.size() > peak_.load(std::memory_order_relaxed))
    peak_.store(jobs_.size(), std::memory_order_relaxed);
  lock.unlock();
  not_empty_.notify_one();
}

void output_queue::flush() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return (jobs_.empty() && !busy_) || done_; });
}

void output_queue::close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  not_empty_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::exception_ptr e;
  {
    std::lock_guard lock(mu_);
    e = std::exchange(first_error_, nullptr);
  }
  if (e) std::rethrow_exception(e);
}

void output_queue::run_job(std::function<void()>& job) {
  try {
    job();
  } catch (...) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    if (!first_error_) first_error_ = std::current_exception();
  }
}

void output_queue::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
      if (jobs_.empty()) {
        done_ = true;  // closing and drained: later posts run on their own thread
        idle_.notify_all();
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
    }
    not_full_.notify_one();
    run_job(job);
    {
      std::lock_guard lock(mu_);
      busy_ = false;
      if (jobs_.empty()) idle_.notify_all();
    }
  }
}

}  // namespace bts::beacon
