// The beacon's output thread: a bounded FIFO of jobs (writing a second's row to the run
// directory and the results store, a block record, the progress line) run in order on one
// thread of its own, so that disk and SQLite latency never stall the send loop.
//
//   output_queue out(4096);
//   out.post([row] { writer.append_second(row); });   // the send thread: never waits for disk
//   out.close();                                       // runs everything queued, then joins
//
// Nothing posted is dropped: close() (and the destructor) run every queued job before joining,
// so a run ended by Ctrl-C still writes all it measured. When the queue is full (the disk is
// stuck for thousands of jobs), post() blocks the poster rather than lose data; such waits are
// counted (`full_waits`), and the beacon reports them.
//
// Errors: a job that throws does not stop the thread; the first exception is kept and rethrown
// by close(), later ones are counted.
//
// Threads: post() from any thread; close() from the owner, once the posters are done.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace bts::beacon {

class output_queue {
 public:
  // REQUIRES: capacity > 0.
  explicit output_queue(std::size_t capacity = 4096);
  // Runs what is queued and joins; swallows a kept exception (call close() to see it).
  ~output_queue();
  output_queue(const output_queue&) = delete;
  output_queue& operator=(const output_queue&) = delete;

  // Queues `job`. Blocks while `capacity` jobs are waiting. After close(), runs it at once on
  // the calling thread.
  void post(std::function<void()> job);

  // Blocks until every job posted before this call has run.
  void flush();

  // Runs everything queued, joins the thread, then rethrows the first exception a job threw.
  // Idempotent.
  void close();

  std::uint64_t full_waits() const { return full_waits_.load(std::memory_order_relaxed); }
  std::uint64_t failed_jobs() const { return failed_.load(std::memory_order_relaxed); }
  std::size_t peak_depth() const { return peak_.load(std::memory_order_relaxed); }

 private:
  void run();
  void run_job(std::function<void()>& job);

  const std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_, idle_;
  std::deque<std::function<void()>> jobs_;
  bool closing_ = false;
  bool busy_ = false;
  bool done_ = false;  // the thread has drained the queue after close() and ended
  std::exception_ptr first_error_;
  std::atomic<std::uint64_t> full_waits_{0}, failed_{0};
  std::atomic<std::size_t> peak_{0};
  std::thread thread_;
};

}  // namespace bts::beacon
