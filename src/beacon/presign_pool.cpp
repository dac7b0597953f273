#include "beacon/presign_pool.hpp"

#include <cstdio>

namespace bts::beacon {

presign_pool::presign_pool(const tx_factory& factory, presign_options options, load::clock& clock)
    : factory_(factory), options_(options), clock_(clock) {}

presign_pool::~presign_pool() { stop(); }

void presign_pool::start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (unsigned i = 0; i < std::max(1u, options_.threads); ++i)
    threads_.emplace_back([this] { run_signer(); });
}

void presign_pool::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  not_full_.notify_all();
  filled_.notify_all();
  for (auto& t : threads) t.join();
}

void presign_pool::run_signer() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // A slot is reserved before signing, so several signers never overfill the pool.
      not_full_.wait(lock, [&] { return stopping_ || queue_.size() + signing_ < options_.depth; });
      if (stopping_) return;
      ++signing_;
    }
    const std::uint64_t k = next_k_.fetch_add(1, std::memory_order_relaxed);
    if (options_.limit != 0 && k >= options_.limit) {
      {
        std::lock_guard lock(mu_);
        --signing_;
      }
      filled_.notify_all();
      return;
    }
    try {
      prepared_tx tx = factory_.make(k, clock_.now().time_since_epoch().count());
      std::lock_guard lock(mu_);
      --signing_;
      queue_.push_back(std::move(tx));
      produced_.fetch_add(1, std::memory_order_relaxed);
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mu_);
        --signing_;
      }
      not_full_.notify_one();
      // A bug or a broken config (e.g. a key that cannot sign); counted, and logged once.
      if (sign_errors_.fetch_add(1) == 0) std::fprintf(stderr, "beacon: signer: %s\n", e.what());
    }
    filled_.notify_all();
  }
}

std::optional<prepared_tx> presign_pool::try_pop(std::uint32_t head_time) {
  std::unique_lock lock(mu_);
  while (!queue_.empty()) {
    prepared_tx tx = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    if (tx.expiration >= head_time + options_.min_remaining_seconds) return tx;
    expired_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
  }
  return std::nullopt;
}

bool presign_pool::wait_filled(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return filled_.wait_for(lock, timeout, [&] {
    return stopping_ || queue_.size() >= std::min(n, options_.depth) ||
           (options_.limit != 0 && produced_.load() + sign_errors_.load() >= options_.limit);
  });
}

std::size_t presign_pool::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace bts::beacon
