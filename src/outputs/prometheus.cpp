#include "outputs/prometheus.hpp"

#include <hdr_histogram.h>
#include <hdr_histogram_log.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <cmath>
#include <thread>

#include "rpc/url.hpp"
#include "stats/counters.hpp"
#include "stats/rejection.hpp"
#include "util/error.hpp"

namespace bts::outputs {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) <= 9007199254740992.0) {
    return std::to_string(static_cast<long long>(v));
  }
  // As Go's strconv.FormatFloat(v, 'g', -1, 64) (Prometheus' client libraries): plain decimals
  // for exponents -4..5, shortest scientific outside.
  char buf[400];
  const int exp = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const auto fmt =
      (exp < -4 || exp >= 6) ? std::chars_format::scientific : std::chars_format::fixed;
  auto r = std::to_chars(buf, buf + sizeof buf, v, fmt);
  return std::string(buf, r.ptr);
}

exposition_builder::family_text& exposition_builder::family(std::string_view name,
                                                            std::string_view type,
                                                            std::string_view help) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) return families_[it->second];
  index_.emplace(std::string(name), families_.size());
  families_.push_back({std::string(name), std::string(type), std::string(help), {}});
  return families_.back();
}

void exposition_builder::sample(family_text& f, std::string_view name, const metric_labels& labels,
                                const std::pair<std::string, std::string>* extra, double value) {
  std::string& s = f.samples;
  s += name;
  if (!labels.empty() || extra != nullptr) {
    s += '{';
    bool first = true;
    auto put = [&](const std::pair<std::string, std::string>& l) {
      if (!first) s += ',';
      first = false;
      s += l.first;
      s += "=\"";
      s += escape_label_value(l.second);
      s += '"';
    };
    for (const auto& l : labels) put(l);
    if (extra != nullptr) put(*extra);
    s += '}';
  }
  s += ' ';
  s += format_sample_value(value);
  s += '\n';
}

void exposition_builder::add(std::string_view name, std::string_view type, std::string_view help,
                             const metric_labels& labels, double value) {
  sample(family(name, type, help), name, labels, nullptr, value);
}

void exposition_builder::add_histogram(std::string_view name, std::string_view help,
                                       const metric_labels& labels,
                                       const std::vector<double>& bounds,
                                       const std::vector<std::uint64_t>& cumulative, double sum,
                                       std::uint64_t count) {
  family_text& f = family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    std::pair<std::string, std::string> le{"le", format_sample_value(bounds[i])};
    sample(f, bucket, labels, &le,
           static_cast<double>(i < cumulative.size() ? cumulative[i] : count));
  }
  std::pair<std::string, std::string> inf{"le", "+Inf"};
  sample(f, bucket, labels, &inf, static_cast<double>(count));
  sample(f, std::string(name) + "_sum", labels, nullptr, sum);
  sample(f, std::string(name) + "_count", labels, nullptr, static_cast<double>(count));
}

std::string exposition_builder::str() const {
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    for (char c : f.help) {  // HELP escapes \ and newline
      if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    out += f.samples;
  }
  return out;
}

const std::vector<double>& latency_bounds_seconds() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     1.5,  2,     3,
                                        4.5,    6,     10,     20,    30,   60,    120};
  return b;
}

latency_buckets::latency_buckets() : counts(latency_bounds_seconds().size() + 1, 0) {}

namespace {
// Bounds in microseconds, for bucketing HDR values.
const std::vector<std::int64_t>& bounds_us() {
  static const std::vector<std::int64_t> b = [] {
    std::vector<std::int64_t> v;
    for (double s : latency_bounds_seconds()) v.push_back(std::llround(s * 1e6));
    return v;
  }();
  return b;
}

std::size_t bucket_of(std::int64_t us) {
  const auto& b = bounds_us();
  std::size_t i = 0;
  while (i < b.size() && us > b[i]) ++i;
  return i;
}
}  // namespace

bool latency_buckets::add_encoded(std::string_view hdr) {
  if (hdr.empty()) return false;
  std::string text(hdr);
  hdr_histogram* h = nullptr;
  if (hdr_log_decode(&h, text.data(), text.size()) != 0 || h == nullptr) {
    if (h != nullptr) hdr_close(h);
    return false;
  }
  hdr_iter it;
  hdr_iter_recorded_init(&it, h);
  while (hdr_iter_next(&it)) {
    counts[bucket_of(it.lowest_equivalent_value)] += static_cast<std::uint64_t>(it.count);
  }
  const std::int64_t n = h->total_count;
  if (n > 0) sum_seconds += hdr_mean(h) * static_cast<double>(n) / 1e6;
  count += static_cast<std::uint64_t>(n);
  hdr_close(h);
  return true;
}

void latency_buckets::add(const stats::latency_digest& d) {
  if (d.count <= 0) return;
  if (add_encoded(d.hdr)) return;
  counts[bucket_of(d.max)] += static_cast<std::uint64_t>(d.count);
  sum_seconds += d.mean * static_cast<double>(d.count) / 1e6;
  count += static_cast<std::uint64_t>(d.count);
}

std::vector<std::uint64_t> latency_buckets::cumulative() const {
  std::vector<std::uint64_t> out(counts.size() - 1);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i + 1 < counts.size(); ++i) {
    acc += counts[i];
    out[i] = acc;
  }
  return out;
}

namespace {
// Percent to ratio, rounded to 1e-8 (so 0.7% reads 0.007, not 0.006999999999999999).
double cpu_ratio(double percent) { return std::round(percent * 1e6) / 1e8; }
}  // namespace

void scope_metrics::add_row(const stats::second_row& row, bool with_latency) {
  stats::second_row& t = totals;
  t.add(row);
  if (row.second >= last_second) {
    t.second = row.second;
    t.beacons = row.beacons;
    static_cast<stats::gauges&>(t) = row;
    t.node_load = row.node_load;  // a node missing from the last row drops out
    last_second = row.second;
  }
  ++rows;
  if (with_latency) {
    for (auto k : stats::all_latency_kinds) latency[static_cast<std::size_t>(k)].add(row[k]);
  }
}

void scope_metrics::set_latency(const std::array<std::string, stats::latency_kind_count>& enc) {
  for (std::size_t i = 0; i < enc.size(); ++i) {
    latency_buckets b;
    if (!enc[i].empty()) b.add_encoded(enc[i]);
    latency[i] = std::move(b);
  }
}

void scope_metrics::write(exposition_builder& b, std::string_view prefix,
                          const metric_labels& labels) const {
  const std::string p(prefix);
  const stats::second_row& t = totals;
  auto counter = [&](std::string_view name, std::string_view help, std::int64_t v) {
    b.add(p + std::string(name), "counter", help, labels, static_cast<double>(v));
  };
  auto gauge = [&](std::string_view name, std::string_view help, double v) {
    b.add(p + std::string(name), "gauge", help, labels, v);
  };
  gauge("_last_second", "Last second of the run reported (0 is the run's first second).",
        static_cast<double>(last_second));
  for (const auto& c : stats::counter_fields) {
    if (!c.by_reason) {
      counter(c.prometheus, c.help, t.*(c.member));
      continue;
    }
    // One sample per reason, no total: labels code ("fc:10"), reason (its kind,
    // "insufficient_balance"; empty for a category or a bare code) and side (beacon, network).
    // Reasons are bounded per run (stats::max_reasons), so are the label sets.
    for (const auto& [key, v] : t.rejected_by_reason) {
      const stats::rejection_parts parts = stats::split_rejection(key);
      metric_labels l = labels;
      l.emplace_back("code", std::string(parts.code));
      l.emplace_back("reason", std::string(parts.kind));
      l.emplace_back("side", std::string(stats::to_string(stats::side_of(key))));
      b.add(p + std::string(c.prometheus), "counter", c.help, l, static_cast<double>(v));
    }
  }
  for (const auto& g : stats::count_gauge_fields) {
    gauge(g.prometheus, g.help, static_cast<double>(t.*(g.member)));
  }
  if (prefix.ends_with("_run")) {
    gauge("_beacons", "Beacons merged into the run's last second.", static_cast<double>(t.beacons));
  }
  for (const auto& c : stats::cpu_gauge_fields) {
    if (const auto& v = t.*(c.member)) gauge(c.prometheus, c.help, cpu_ratio(*v));
  }
  struct hist {
    stats::latency_kind kind;
    const char* name;
    const char* help;
  };
  static const hist hists[] = {
      {stats::latency_kind::schedule_lag, "_schedule_lag_seconds",
       "How late sends left compared with their intended time."},
      {stats::latency_kind::ack_corrected, "_ack_latency_seconds",
       "Node's answer to a broadcast, from the intended send time (free of coordinated "
       "omission)."},
      {stats::latency_kind::ack_uncorrected, "_ack_latency_uncorrected_seconds",
       "Node's answer to a broadcast, from the actual send time."},
      {stats::latency_kind::inclusion_corrected, "_inclusion_latency_seconds",
       "Inclusion in a block, from the intended send time (free of coordinated omission)."},
      {stats::latency_kind::inclusion_uncorrected, "_inclusion_latency_uncorrected_seconds",
       "Inclusion in a block, from the actual send time."},
  };
  for (const auto& h : hists) {
    const latency_buckets& lb = latency[static_cast<std::size_t>(h.kind)];
    b.add_histogram(p + h.name, h.help, labels, latency_bounds_seconds(), lb.cumulative(),
                    lb.sum_seconds, lb.count);
  }
  write_node_load(b, prefix, labels);
}

void scope_metrics::write_node_load(exposition_builder& b, std::string_view prefix,
                                    const metric_labels& labels) const {
  const auto& loads = totals.node_load;
  if (loads.empty()) return;
  // The scope's labels with `node` set to one node's URL (replacing a beacon's comma-joined
  // list, or added after the scope's labels).
  std::vector<metric_labels> per_node;
  per_node.reserve(loads.size());
  for (const auto& [url, load] : loads) {
    metric_labels l = labels;
    bool replaced = false;
    for (auto& [k, v] : l) {
      if (k == "node") {
        v = url;
        replaced = true;
      }
    }
    if (!replaced) l.emplace_back("node", url);
    per_node.push_back(std::move(l));
  }
  const std::string p(prefix);
  for (const auto& m : stats::node_load_fields) {
    std::size_t i = 0;
    for (const auto& [url, load] : loads) {
      const std::optional<double>& v = load.*(m.member);
      if (v) {
        b.add(p + std::string(m.prometheus), "gauge", m.help, per_node[i],
              m.percent ? cpu_ratio(*v) : *v);
      }
      ++i;
    }
  }
}

void beacon_metrics::add_row(const beacon_scope& scope, const stats::second_row& row) {
  std::lock_guard lock(mu_);
  for (auto& [s, m] : scopes_) {
    if (s.run == scope.run && s.beacon == scope.beacon && s.node == scope.node) {
      m.add_row(row);
      return;
    }
  }
  scopes_.emplace_back(scope, scope_metrics{});
  scopes_.back().second.add_row(row);
  while (scopes_.size() > keep_runs_) scopes_.erase(scopes_.begin());
}

std::string beacon_metrics::render() const {
  exposition_builder b;
  std::lock_guard lock(mu_);
  b.add("bts_infra_beacon_up", "gauge", "1 while the beacon process serves /metrics.", {}, 1);
  for (const auto& [s, m] : scopes_) {
    m.write(b, "bts_infra_beacon", {{"run", s.run}, {"beacon", s.beacon}, {"node", s.node}});
  }
  return b.str();
}

rpc::http_response metrics_response(const rpc::http_request_info& req,
                                    const std::function<std::string()>& render) {
  rpc::http_response r;
  const std::string_view target = req.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    r.status = 404;
    r.body = "not found (GET /metrics)\n";
    return r;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    r.status = 405;
    r.body = "method not allowed (GET /metrics)\n";
    return r;
  }
  r.content_type = std::string(prometheus_content_type);
  r.body = render();
  return r;
}

struct metrics_server::impl {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<rpc::server> server;
  std::thread thread;
  std::string host;
};

metrics_server::metrics_server(const std::string& listen, std::function<std::string()> render,
                               const std::string& flag)
    : impl_(std::make_unique<impl>()) {
  auto [host, port] = rpc::parse_host_port(listen, flag);
  impl_->host = host;
  rpc::server_options o;
  o.host = host;
  o.port = port;
  o.http_timeout = std::chrono::seconds(15);
  o.http = [render = std::move(render)](const rpc::http_request_info& req) {
    return metrics_response(req, render);
  };
  o.post_to_http = [](const rpc::http_request_info&) { return true; };
  try {
    impl_->server = std::make_unique<rpc::server>(impl_->io.get_executor(), std::move(o));
  } catch (const boost::system::system_error& e) {
    throw input_error(flag, "cannot listen on " + listen + ": " + e.code().message());
  }
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

metrics_server::~metrics_server() {
  impl_->server->stop();
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->server.reset();
}

std::uint16_t metrics_server::port() const { return impl_->server->port(); }
std::string metrics_server::host() const { return impl_->host; }

}  // namespace bts::outputs
