#include "beacon/agent_runner.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "beacon/beacon.hpp"
#include "util/error.hpp"

namespace bts::beacon {

namespace asio = boost::asio;

namespace {

class beacon_runner_impl final : public control::load_runner {
 public:
  beacon_runner_impl(const control::configure_cmd& cfg, std::vector<account_entry> accounts)
      : sc_(control::assigned_scenario(cfg)), accounts_(std::move(accounts)), name_(cfg.run) {
    if (sc_.nodes.empty()) throw input_error("configure.nodes", "no node assigned");
  }
  ~beacon_runner_impl() override {
    stop();
    if (thread_.joinable()) thread_.join();
  }
  void prepare() override {
    if (accounts_.empty()) {
      throw input_error("accounts", "this beacon has no accounts (beacon serve --accounts FILE)");
    }
  }
  void start(control::runner_callbacks cb) override {
    beacon_options bo;
    bo.sc = sc_;
    bo.accounts = accounts_;
    bo.name = name_;
    bo.on_second = [cb](const stats::second_row& row, const stats::second_row&) {
      if (cb.on_second) cb.on_second(row);
    };
    bo.on_block = [cb](const store::block_record& b) {
      if (cb.on_block) cb.on_block(b);
    };
    bo.on_event = [cb](const store::event& e) {
      if (cb.on_event) cb.on_event(e);
    };
    auto b = std::make_shared<beacon>(std::move(bo));
    {
      std::lock_guard lock(mu_);
      beacon_ = b;
      if (stop_requested_) b->request_stop();
      if (rate_) b->set_rate(*rate_);  // changed between configure and start
    }
    thread_ = std::thread([b, cb] {
      std::string error;
      try {
        b->run();
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (cb.on_done) cb.on_done(error);
    });
  }
  void stop() override {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
    if (beacon_) beacon_->request_stop();
  }
  // The beacon switches to the new constant rate from its next schedule slot (no catch-up
  // burst); a rate search in progress ends there.
  bool set_rate(double r) override {
    if (!std::isfinite(r) || r <= 0) return false;
    std::lock_guard lock(mu_);
    rate_ = r;
    if (beacon_) beacon_->set_rate(r);
    return true;
  }
  std::optional<double> rate() const override {
    std::lock_guard lock(mu_);
    if (rate_) return rate_;
    if (!sc_.search && sc_.rate.type() == load::rate_profile::kind::constant)
      return sc_.rate.rate_at({});
    return std::nullopt;
  }

 private:
  scenarios::scenario sc_;
  std::vector<account_entry> accounts_;
  std::string name_;
  mutable std::mutex mu_;
  std::shared_ptr<beacon> beacon_;
  std::optional<double> rate_;  // the last set_rate
  bool stop_requested_ = false;
  std::thread thread_;
};

}  // namespace

control::runner_factory beacon_runner(std::vector<account_entry> accounts) {
  return [accounts](const control::configure_cmd& cfg, asio::any_io_executor) {
    return std::unique_ptr<control::load_runner>(new beacon_runner_impl(cfg, accounts));
  };
}

}  // namespace bts::beacon
