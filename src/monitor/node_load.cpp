#include "monitor/node_load.hpp"

#include "monitor/exposition.hpp"
#include "monitor/readings.hpp"
#include "rpc/http_client.hpp"
#include "util/error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/error.hpp>

#include <atomic>
#include <future>
#include <limits>
#include <mutex>
#include <vector>

namespace bts::monitor {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr const char* user_agent = "bts-infra-monitor/" BTS_INFRA_VERSION;

rpc::url parse_http_url(std::string_view text, const std::string& where) {
  const std::size_t sep = text.find("://");
  const std::string_view authority = sep == std::string_view::npos
                                         ? text
                                         : text.substr(sep + 3, text.find('/', sep + 3) - sep - 3);
  if (authority.find('@') != std::string_view::npos) {
    // Not echoed: the text holds a password.
    throw input_error(where,
                      "credentials in the URL would show in process lists and reports; pass them "
                      "as an Authorization value read from a file instead");
  }
  rpc::url u;
  try {
    u = rpc::parse_url(text);
  } catch (const input_error& e) {
    throw input_error(where, e.problem());
  }
  if (u.websocket()) {
    throw input_error(where,
                      "\"" + std::string(text) +
                          "\" is a websocket URL; a metrics source needs http:// or https://");
  }
  return u;
}

}  // namespace

std::string load_source::to_string() const {
  switch (kind) {
    case load_source_kind::node_exporter:
      return "node_exporter:" + endpoint.to_string();
    case load_source_kind::process_metrics:
      return "metrics:" + endpoint.to_string();
    case load_source_kind::detect:
      return endpoint.to_string();
    case load_source_kind::proc:
      return "proc:" + (pid_file.empty() ? std::to_string(pid) : pid_file);
  }
  return {};
}

load_source parse_load_source(std::string_view spec, const std::string& where) {
  while (!spec.empty() && (spec.front() == ' ' || spec.front() == '\t')) spec.remove_prefix(1);
  while (!spec.empty() && (spec.back() == ' ' || spec.back() == '\t')) spec.remove_suffix(1);
  const auto strip = [&](std::string_view prefix) {
    if (spec.substr(0, prefix.size()) != prefix) return false;
    spec.remove_prefix(prefix.size());
    return true;
  };
  load_source s;
  if (strip("node_exporter:")) {
    s.kind = load_source_kind::node_exporter;
    s.endpoint = parse_http_url(spec, where);
  } else if (strip("metrics:")) {
    s.kind = load_source_kind::process_metrics;
    s.endpoint = parse_http_url(spec, where);
  } else if (strip("proc:")) {
    s.kind = load_source_kind::proc;
    if (spec.empty()) throw input_error(where, "proc: needs a process id or a pid file path");
    if (spec.find_first_not_of("0123456789") == std::string_view::npos) {
      long long pid = 0;
      for (char c : spec) {
        pid = pid * 10 + (c - '0');
        if (pid > std::numeric_limits<int>::max()) break;
      }
      if (pid <= 0 || pid > std::numeric_limits<int>::max()) {
        throw input_error(where, "proc:" + std::string(spec) + " is not a valid process id");
      }
      s.pid = int(pid);
    } else {
      s.pid_file = std::string(spec);
    }
  } else if (spec.substr(0, 7) == "http://" || spec.substr(0, 8) == "https://") {
    s.kind = load_source_kind::detect;
    s.endpoint = parse_http_url(spec, where);
  } else {
    throw input_error(where, "unknown node load source \"" + std::string(spec.substr(0, 60)) +
                                 "\" (expected node_exporter:URL, metrics:URL, http(s)://..., "
                                 "proc:PID or proc:/path/to/pidfile)");
  }
  return s;
}

namespace detail {

using strand_type = asio::strand<asio::any_io_executor>;

enum class failure { none, unreachable, http_status, malformed, process };

struct fetch_result {
  failure fail = failure::none;
  std::string error;
  std::string body;
};

// Named results instead of braced temporaries in co_return (GCC 12 coroutine bugs).
fetch_result failed(failure f, std::string error) {
  fetch_result r;
  r.fail = f;
  r.error = std::move(error);
  return r;
}

// One reading's reply, or why there is none, in the sampler's words.
fetch_result judge(rpc::http_client_response res, const sampler_options& o) {
  if (res.failed == rpc::http_phase::read && res.error == http::error::body_limit) {
    return failed(failure::malformed,
                  "reply larger than " + std::to_string(o.max_body_bytes) + " bytes");
  }
  if (!res.ok()) {
    if (res.cancelled) return failed(failure::unreachable, "cancelled");
    const std::string step = rpc::to_string(res.failed);
    if (res.timed_out) {
      return failed(failure::unreachable,
                    step + ": timeout after " + std::to_string(o.timeout.count()) + " ms");
    }
    return failed(failure::unreachable, step + ": " + res.error.message());
  }
  if (res.status != 200) {
    std::string e = "HTTP " + std::to_string(res.status) + " " + res.reason;
    if (res.status == 401 || res.status == 403) e += " (credentials refused)";
    return failed(failure::http_status, e);
  }
  const std::string_view encoding = res.header("Content-Encoding");
  if (!encoding.empty() && encoding != "identity") {
    return failed(failure::malformed,
                  "unsupported Content-Encoding \"" + std::string(encoding) + "\"");
  }
  fetch_result ok;
  ok.body = std::move(res.body);
  return ok;
}

struct sampler_state : std::enable_shared_from_this<sampler_state> {
  sampler_state(asio::any_io_executor executor, load_source s, sampler_options o)
      : strand(asio::make_strand(executor)),
        period_timer(strand),
        source(std::move(s)),
        options(std::move(o)) {}

  strand_type strand;
  asio::steady_timer period_timer;
  const load_source source;
  const sampler_options options;
  std::shared_ptr<boost::asio::ssl::context> tls_context;  // https only, made on first use

  // Strand only.
  rate_tracker rates;
  load_source_kind detected = load_source_kind::detect;
  int last_pid = 0;
  bool in_flight = false;
  std::uint64_t epoch = 0;  // bumped by stop(): a reading of an older epoch is dropped
  std::vector<node_load_sampler::callback> waiters;
  std::shared_ptr<rpc::http_client> current;  // the reading in flight
  bool periodic = false;
  std::uint64_t period_generation = 0;
  std::chrono::milliseconds period{1000};
  node_load_sampler::callback on_sample;
  std::chrono::steady_clock::time_point next_due;

  std::atomic<bool> dead{false};  // the sampler object is gone: call nothing back

  mutable std::mutex mutex;  // guards the two below
  std::optional<load_sample> latest;
  sampler_counters counters;

  // REQUIRES: on the strand.
  void request(node_load_sampler::callback done) {
    if (done) waiters.push_back(std::move(done));
    if (in_flight) return;
    in_flight = true;
    asio::co_spawn(strand, run_reading(shared_from_this(), epoch), asio::detached);
  }

  static asio::awaitable<void> run_reading(std::shared_ptr<sampler_state> self,
                                           std::uint64_t my_epoch) {
    load_sample sample;
    failure fail = failure::none;
    try {
      fail = co_await self->read(sample);
    } catch (const std::exception& e) {
      // Nothing in read() is expected to throw past its own handlers; count it, never escape.
      fail = failure::malformed;
      sample.error = e.what();
    }
    sample.at = std::chrono::system_clock::now();
    self->in_flight = false;
    self->current.reset();
    if (my_epoch != self->epoch) {  // stopped meanwhile: dropped, not counted
      if (!self->waiters.empty()) self->request(nullptr);
      co_return;
    }
    {
      std::lock_guard lock(self->mutex);
      self->latest = sample;
      auto& c = self->counters;
      switch (fail) {
        case failure::none:
          ++c.readings;
          break;
        case failure::unreachable:
          ++c.unreachable;
          break;
        case failure::http_status:
          ++c.http_status;
          break;
        case failure::malformed:
          ++c.malformed;
          break;
        case failure::process:
          ++c.process;
          break;
      }
      if (fail != failure::none) {
        ++c.errors;
        c.last_error = sample.error;
      }
    }
    std::vector<node_load_sampler::callback> done;
    done.swap(self->waiters);
    if (self->dead) co_return;
    for (auto& cb : done) {
      try {
        cb(sample);
      } catch (...) {
        // A callback's own failure is its caller's business; the sampler keeps going.
      }
    }
  }

  // Takes one reading into `out` (load and error). Runs on the strand.
  asio::awaitable<failure> read(load_sample& out) {
    if (source.kind == load_source_kind::proc) co_return read_proc_source(out);
    fetch_result f = co_await fetch();
    if (f.fail != failure::none) {
      out.error = std::move(f.error);
      co_return f.fail;
    }
    const std::string where = source.endpoint.to_string();
    try {
      const exposition e = parse_exposition(f.body, where, options.max_body_bytes);
      load_source_kind kind = source.kind;
      if (kind == load_source_kind::detect) {
        if (detected == load_source_kind::detect) {
          if (e.has("node_cpu_seconds_total")) {
            detected = load_source_kind::node_exporter;
          } else if (e.has("process_cpu_seconds_total")) {
            detected = load_source_kind::process_metrics;
          } else {
            throw input_error(where,
                              "neither node_cpu_seconds_total (node_exporter) nor "
                              "process_cpu_seconds_total (a process) in the reply");
          }
        }
        kind = detected;
      }
      const raw_reading r = kind == load_source_kind::node_exporter
                                ? node_exporter_reading(e, where)
                                : process_metrics_reading(e, where);
      out.load = rates.update(r, std::chrono::steady_clock::now());
    } catch (const input_error& e) {
      out.error = e.what();
      co_return failure::malformed;
    }
    co_return failure::none;
  }

  failure read_proc_source(load_sample& out) {
    try {
      const int pid = source.pid_file.empty() ? source.pid : read_pid_file(source.pid_file);
      if (pid != last_pid) {
        rates.reset();
        last_pid = pid;
      }
      const raw_reading r = read_proc(pid);
      out.load = rates.update(r, std::chrono::steady_clock::now());
      return failure::none;
    } catch (const input_error& e) {
      rates.reset();  // a process that comes back starts a new baseline
      last_pid = 0;
      out.error = e.what();
      return failure::process;
    }
  }

  // One HTTP GET: a fresh connection per reading (one per second at most, so no keep-alive),
  // options.timeout from resolve to the last byte.
  asio::awaitable<fetch_result> fetch() {
    const rpc::url& u = source.endpoint;
    if (u.tls() && !tls_context) {
      try {
        tls_context = rpc::make_client_tls_context(options.tls);
      } catch (const std::exception& e) {
        co_return failed(failure::unreachable, e.what());
      }
    }
    rpc::http_client_options h;
    h.endpoint = u;
    h.user_agent = user_agent;
    if (u.tls()) {
      h.tls = tls_context;
      h.server_name = options.tls.server_name;
      h.name_check = options.tls.verify != rpc::tls_verify::none ? rpc::tls_name_check::required
                                                                  : rpc::tls_name_check::none;
    }
    h.body_limit = options.max_body_bytes;
    h.header_limit = 64 * 1024;
    auto client = std::make_shared<rpc::http_client>(strand, std::move(h));
    current = client;
    rpc::http_client_request req;
    req.target = u.target;
    req.headers.emplace_back("Accept", "text/plain;version=0.0.4");
    if (!options.authorization.empty()) {
      req.headers.emplace_back("Authorization", options.authorization);
    }
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    rpc::http_client_response res = co_await client->request(std::move(req), deadline);
    co_return judge(std::move(res), options);
  }

  // REQUIRES: on the strand.
  void schedule_next(std::uint64_t generation) {
    if (!periodic || generation != period_generation) return;
    const auto now = std::chrono::steady_clock::now();
    next_due += period;
    if (next_due < now) next_due = now;
    period_timer.expires_at(next_due);
    period_timer.async_wait([self = shared_from_this(), generation](const error_code& ec) {
      if (ec || !self->periodic || generation != self->period_generation) return;
      self->tick(generation);
    });
  }

  void tick(std::uint64_t generation) {
    request([self = shared_from_this(), generation](load_sample s) {
      if (generation != self->period_generation) return;
      if (self->on_sample) self->on_sample(std::move(s));
      self->schedule_next(generation);
    });
  }

  // REQUIRES: on the strand.
  void do_stop() {
    periodic = false;
    ++period_generation;
    period_timer.cancel();
    ++epoch;
    waiters.clear();
    if (current) current->close();
  }
};

}  // namespace detail

node_load_sampler::node_load_sampler(boost::asio::any_io_executor executor, load_source source,
                                     sampler_options options)
    : source_(source),
      state_(std::make_shared<detail::sampler_state>(executor, std::move(source),
                                                     std::move(options))) {}

node_load_sampler::node_load_sampler(load_source source, sampler_options options)
    : source_(source), own_io_(std::make_unique<asio::io_context>()) {
  state_ = std::make_shared<detail::sampler_state>(own_io_->get_executor(), std::move(source),
                                                   std::move(options));
}

node_load_sampler::~node_load_sampler() {
  state_->dead = true;
  stop();
  if (own_io_) {
    // Let the aborted reading finish, so nothing holds the state when the io_context goes.
    own_io_->restart();
    own_io_->run();
  }
}

void node_load_sampler::async_sample(callback done) {
  asio::post(state_->strand,
             [s = state_, done = std::move(done)]() mutable { s->request(std::move(done)); });
}

load_sample node_load_sampler::sample_once() {
  if (own_io_) {
    std::optional<load_sample> result;
    async_sample([&result](load_sample s) { result = std::move(s); });
    own_io_->restart();
    own_io_->run();
    if (!result) {
      load_sample s;
      s.at = std::chrono::system_clock::now();
      s.error = "cancelled";
      return s;
    }
    return std::move(*result);
  }
  auto promise = std::make_shared<std::promise<load_sample>>();
  auto future = promise->get_future();
  async_sample([promise](load_sample s) { promise->set_value(std::move(s)); });
  return future.get();
}

void node_load_sampler::start(std::chrono::milliseconds period, callback on_sample) {
  if (own_io_) {
    throw std::logic_error("node_load_sampler::start needs a sampler constructed with an executor");
  }
  asio::post(state_->strand, [s = state_, period, cb = std::move(on_sample)]() mutable {
    s->periodic = true;
    const std::uint64_t generation = ++s->period_generation;
    s->period = period.count() > 0 ? period : std::chrono::milliseconds(1);
    s->on_sample = std::move(cb);
    s->period_timer.cancel();
    s->next_due = std::chrono::steady_clock::now();
    s->tick(generation);
  });
}

void node_load_sampler::stop() {
  asio::post(state_->strand, [s = state_] { s->do_stop(); });
}

std::optional<load_sample> node_load_sampler::latest() const {
  std::lock_guard lock(state_->mutex);
  return state_->latest;
}

sampler_counters node_load_sampler::counters() const {
  std::lock_guard lock(state_->mutex);
  return state_->counters;
}

void check_load_source(const load_source& source, const sampler_options& options) {
  node_load_sampler sampler(source, options);
  const load_sample s = sampler.sample_once();
  if (!s.ok()) throw input_error(source.to_string(), s.error);
}

}  // namespace bts::monitor
