#include "outputs/elasticsearch.hpp"

#include <pthread.h>
#include <time.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "outputs/detail/es_client.hpp"
#include "outputs/detail/spool.hpp"
#include "rpc/backoff.hpp"
#include "util/base64.hpp"
#include "rpc/tls.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::outputs {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using detail::spool_chunk;
using detail::spool_position;

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// "401 security_exception: unable to authenticate user [bts]" from an error answer.
std::string error_reason(unsigned status, std::string_view body) {
  std::string text = std::to_string(status);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.get_object().if_contains("error")) {
      if (e->is_object()) {
        const auto& eo = e->get_object();
        if (const auto* t = eo.if_contains("type"); t && t->is_string()) {
          text += " " + std::string(t->get_string());
        }
        if (const auto* r = eo.if_contains("reason"); r && r->is_string()) {
          text += ": " + std::string(r->get_string());
        }
        return text;
      }
      if (e->is_string()) return text + " " + std::string(e->get_string());
    }
  }
  std::string_view head = body.substr(0, 120);
  if (!head.empty()) text += " " + std::string(head);
  return text;
}

}  // namespace

struct elasticsearch_output::impl : std::enable_shared_from_this<impl> {
  using item = std::variant<stats_document, event_document, run_document>;

  elasticsearch_options o;
  log_function log;
  rpc::url endpoint;
  std::string shown_url;  // without credentials

  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::optional<detail::spool> spool;
  std::optional<detail::es_client> client;
  asio::steady_timer signal{io};
  server_info server;

  // Shared with pushing threads.
  std::mutex queue_mutex;
  std::deque<item> queue;
  bool wake_posted = false;
  std::atomic<bool> queue_full_warned{false};

  // Output thread only.
  bool woken = false;
  bool stopping = false;
  bool flush_requested = false;
  bool sending = false;
  bool down = false;
  bool spool_full = false;
  std::uint64_t spool_dropped_in_episode = 0;
  std::size_t batch_documents_limit = 0;
  std::size_t rejections_logged = 0;
  clock_type::time_point first_unsent{};
  spool_chunk retry;  // records to send again, ahead of the spool's unread ones

  // Counters (written by the output thread, read anywhere).
  std::atomic<bool> started{false};
  std::atomic<bool> available{false};
  std::atomic<bool> drained{true};
  std::atomic<std::uint64_t> documents_pushed{0}, records_spooled{0}, records_indexed{0},
      records_rejected{0}, item_retries{0}, requests{0}, request_failures{0}, queue_dropped{0},
      spool_dropped{0}, spool_bytes{0}, spool_unsent{0};
  mutable std::mutex error_mutex;
  std::string last_error;
  std::promise<void> sender_done;

  void note_error(const std::string& e) {
    std::lock_guard lock(error_mutex);
    last_error = e;
  }

  void say(const std::string& line) {
    if (log) {
      log(line);
    } else {
      std::cerr << line << '\n';
    }
  }

  // ---- caller side ---------------------------------------------------------------------

  void push(item it) {
    {
      std::lock_guard lock(queue_mutex);
      if (queue.size() >= o.queue_capacity) {
        queue_dropped.fetch_add(1, std::memory_order_relaxed);
        if (!queue_full_warned.exchange(true)) {
          say("elasticsearch: output queue full (" + std::to_string(o.queue_capacity) +
              " documents); dropping new documents (counted as queue_dropped)");
        }
        return;
      }
      queue.push_back(std::move(it));
      drained.store(false);
      documents_pushed.fetch_add(1, std::memory_order_relaxed);
      if (wake_posted || !started.load()) return;
      wake_posted = true;
    }
    asio::post(io, [self = shared_from_this()] { self->intake(); });
  }

  // ---- output thread -------------------------------------------------------------------

  void wake() {
    woken = true;
    signal.cancel();
  }

  void update_gauges() {
    spool_bytes.store(spool->bytes_on_disk());
    spool_unsent.store(spool->unread_bytes() + (retry.bytes.size() - retry.offsets.front()));
    bool empty;
    {
      std::lock_guard lock(queue_mutex);
      empty = queue.empty();
    }
    drained.store(empty && !sending && retry.records() == 0 && !spool->has_unread());
    if (drained.load()) flush_requested = false;
  }

  void intake() {
    std::deque<item> items;
    {
      std::lock_guard lock(queue_mutex);
      items.swap(queue);
      wake_posted = false;
    }
    if (!items.empty() && !spool->has_unread() && retry.records() == 0) {
      first_unsent = clock_type::now();
    }
    std::string records;
    for (item& it : items) {
      records.clear();
      std::size_t n = 0;
      std::visit([&](const auto& d) { append_records(d, o, records, n); }, it);
      if (spool->append(records)) {
        records_spooled.fetch_add(n, std::memory_order_relaxed);
      } else {
        spool_dropped.fetch_add(n, std::memory_order_relaxed);
        spool_dropped_in_episode += n;
        if (!spool_full) {
          spool_full = true;
          say("elasticsearch: WARNING spool " + spool->dir() + " reached its cap of " +
              mib(spool->max_bytes()) + " (" +
              (down ? shown_url + " is unavailable" : "the cluster is not keeping up") +
              "); new documents are dropped and counted "
              "(spool_dropped) until it drains");
        }
      }
    }
    try {
      spool->flush();
    } catch (const std::exception& e) {
      note_error(e.what());
      say(std::string("elasticsearch: ") + e.what());
    }
    update_gauges();
    wake();
  }

  void check_spool_room() {
    if (spool_full && spool->bytes_on_disk() < spool->max_bytes() / 10 * 9) {
      spool_full = false;
      say("elasticsearch: spool " + spool->dir() + " has room again; " +
          std::to_string(spool_dropped_in_episode) + " records were dropped while it was full");
      spool_dropped_in_episode = 0;
    }
  }

  // Waits until `deadline`, or until woken (unless `ignore_wake`), or stopping.
  asio::awaitable<void> wait_until(clock_type::time_point deadline, bool ignore_wake) {
    while (!stopping) {
      if (woken && !ignore_wake) {
        woken = false;
        co_return;
      }
      if (clock_type::now() >= deadline) co_return;
      signal.expires_at(deadline);
      co_await signal.async_wait(tuple_awaitable);
    }
  }

  void mark_down(const std::string& why) {
    request_failures.fetch_add(1, std::memory_order_relaxed);
    available.store(false);
    note_error(why);
    if (!down) {
      down = true;
      say("elasticsearch: " + shown_url + " unavailable (" + why + "); spooling to " +
          spool->dir() + " and retrying with backoff");
    }
  }

  void mark_up() {
    available.store(true);
    if (down) {
      down = false;
      say("elasticsearch: " + shown_url + " available again; sending " +
          mib(spool->unread_bytes()) + " of spooled documents in order");
    }
  }

  asio::awaitable<void> send_loop() {
    rpc::backoff backoff(o.backoff,
                         static_cast<std::uint64_t>(clock_type::now().time_since_epoch().count()));
    batch_documents_limit = o.max_batch_documents;
    while (!stopping) {
      if (retry.records() == 0 && !spool->has_unread()) {
        update_gauges();
        co_await wait_until(clock_type::time_point::max(), false);
        continue;
      }
      // Let a batch fill up, unless there is a backlog, a flush, or records to retry.
      if (retry.records() == 0 && !flush_requested && spool->unread_bytes() < o.max_batch_bytes) {
        const auto deadline = first_unsent + o.flush_interval;
        if (clock_type::now() < deadline) {
          co_await wait_until(deadline, false);
          continue;
        }
      }
      // Build the request: records to retry first, then fresh ones from the spool.
      spool_chunk chunk = retry;
      const spool_position fresh_start = spool->read_position();
      if (chunk.records() < batch_documents_limit) {
        spool->read(batch_documents_limit - chunk.records(), o.max_batch_bytes, chunk);
      }
      if (chunk.records() == 0) continue;
      sending = true;
      requests.fetch_add(1, std::memory_order_relaxed);
      const std::string_view body_view(chunk.bytes.data() + chunk.offsets.front(),
                                       chunk.offsets.back() - chunk.offsets.front());
      std::string body(body_view);
      detail::http_result r =
          co_await client->request("POST", "/_bulk", std::move(body), "application/x-ndjson");
      sending = false;
      if (stopping) {
        spool->rewind(fresh_start);
        break;
      }

      if (r.status == 200) {
        bulk_reply reply = parse_bulk_reply(r.body, chunk.records());
        if (!reply.valid) {
          spool->rewind(fresh_start);
          mark_down("unreadable _bulk answer");
          co_await wait_until(clock_type::now() + backoff.next(), true);
          continue;
        }
        mark_up();
        spool_chunk next;
        next.offsets.push_back(0);
        std::size_t error_index = 0;
        std::uint64_t indexed = 0;
        for (std::size_t i = 0; i < chunk.records(); ++i) {
          const item_outcome outcome = reply.items[i];
          if (outcome == item_outcome::indexed) {
            ++indexed;
            continue;
          }
          const std::string& why = reply.errors[error_index++];
          if (outcome == item_outcome::retry) {
            next.bytes.append(chunk.bytes, chunk.offsets[i],
                              chunk.offsets[i + 1] - chunk.offsets[i]);
            next.offsets.push_back(next.bytes.size());
            next.positions.push_back(chunk.positions[i]);
            item_retries.fetch_add(1, std::memory_order_relaxed);
            note_error(why);
          } else {
            records_rejected.fetch_add(1, std::memory_order_relaxed);
            note_error(why);
            if (rejections_logged < 10) {
              ++rejections_logged;
              std::string_view rec(
                  chunk.bytes.data() + chunk.offsets[i],
                  std::min<std::size_t>(200, chunk.offsets[i + 1] - chunk.offsets[i]));
              say("elasticsearch: document rejected (" + why +
                  "): " + std::string(rec.substr(0, rec.find('\n'))) +
                  (rejections_logged == 10 ? " (further rejections are only counted)" : ""));
            }
          }
        }
        records_indexed.fetch_add(indexed, std::memory_order_relaxed);
        retry = std::move(next);
        spool->acknowledge(retry.records() > 0 ? retry.positions.front() : spool->read_position());
        check_spool_room();
        if (spool->has_unread()) first_unsent = clock_type::time_point::min();
        update_gauges();
        if (retry.records() > 0) {
          co_await wait_until(clock_type::now() + backoff.next(), true);
        } else {
          backoff.reset();
        }
        continue;
      }

      if (r.status == 413 && chunk.records() > 1) {
        // Too large for the cluster's http.max_content_length: halve the batch and go again.
        spool->rewind(fresh_start);
        batch_documents_limit = std::max<std::size_t>(1, chunk.records() / 2);
        say("elasticsearch: request too large (413); batches now hold at most " +
            std::to_string(batch_documents_limit) + " records");
        continue;
      }
      if (r.status == 400 || r.status == 413) {
        // The cluster refuses the request itself; sending it again cannot help.
        records_rejected.fetch_add(chunk.records(), std::memory_order_relaxed);
        const std::string why = error_reason(r.status, r.body);
        note_error(why);
        say("elasticsearch: _bulk request of " + std::to_string(chunk.records()) +
            " records refused (" + why + "); they are dropped");
        retry = spool_chunk{};
        retry.offsets.push_back(0);
        spool->acknowledge(spool->read_position());
        update_gauges();
        continue;
      }
      spool->rewind(fresh_start);
      mark_down(r.status == 0 ? r.error : error_reason(r.status, r.body));
      update_gauges();
      co_await wait_until(clock_type::now() + backoff.next(), true);
    }
  }

  // ---- start -----------------------------------------------------------------------------

  asio::awaitable<std::string> check_server() {
    detail::http_result r = co_await client->request("GET", "/", "", "");
    if (r.status == 0) co_return "cannot reach " + shown_url + " (" + r.error + ")";
    if (r.status == 401) {
      co_return shown_url + " refused the credentials (" + error_reason(r.status, r.body) + "): " +
          (o.user.empty() ? "give the user in the URL (https://USER@host:9200) and the password "
                            "in BTS_ES_PASSWORD or password_file"
                          : "check user \"" + o.user +
                                "\" and the password (BTS_ES_PASSWORD or password_file)");
    }
    if (r.status == 403) {
      co_return shown_url + " denied access to user \"" + o.user + "\" (" +
          error_reason(r.status, r.body) + ")";
    }
    if (r.status != 200) {
      co_return "GET " + shown_url + "/ answered " + error_reason(r.status, r.body) +
          "; is this an Elasticsearch URL?";
    }
    try {
      server = parse_server_info(r.body, "");
    } catch (const input_error& e) {
      co_return shown_url + ": " + e.problem();
    }
    const std::vector<index_template> templates = index_templates(o);
    for (const index_template& t : templates) {
      std::string path = "/_index_template/" + t.name;
      std::string body = boost::json::serialize(t.body);
      detail::http_result p =
          co_await client->request("PUT", std::move(path), std::move(body), "application/json");
      if (p.status == 0) co_return "installing index template " + t.name + ": " + p.error;
      if (p.status < 200 || p.status >= 300) {
        co_return "installing index template " + t.name + " on " + shown_url + ": " +
            error_reason(p.status, p.body);
      }
    }
    // Existing stats indices get the template's new fields too (best effort: a user may lack
    // the right to change mappings; the fields then apply from the next index on).
    mapping_update u = stats_mapping_update(o);
    const std::string pattern = o.prefix + "-stats-*";
    detail::http_result p = co_await client->request(
        "PUT", std::move(u.path), boost::json::serialize(u.body), "application/json");
    if (p.status < 200 || p.status >= 300) {
      say("elasticsearch: could not add the template's fields to the existing indices " + pattern +
          " (" + (p.status == 0 ? p.error : error_reason(p.status, p.body)) +
          "); indices created from now on have them");
    }
    co_return std::string();
  }
};

elasticsearch_output::elasticsearch_output(elasticsearch_options options, log_function log)
    : impl_(std::make_shared<impl>()) {
  impl_->o = std::move(options);
  impl_->log = std::move(log);
  impl_->retry.offsets.push_back(0);
}

elasticsearch_output::~elasticsearch_output() { stop(); }

void elasticsearch_output::start() {
  impl& m = *impl_;
  const elasticsearch_options& o = m.o;
  if (m.started.load()) return;
  try {
    m.endpoint = rpc::parse_url(o.url);
  } catch (const input_error& e) {
    throw input_error(o.where, e.problem());
  }
  if (m.endpoint.scheme != "http" && m.endpoint.scheme != "https") {
    throw input_error(o.where, "Elasticsearch URL must be http:// or https://, got \"" +
                                   m.endpoint.to_string() + "\"");
  }
  m.shown_url = m.endpoint.to_string();
  while (m.shown_url.size() > 1 && m.shown_url.back() == '/') m.shown_url.pop_back();
  check_index_prefix(o.prefix, o.where);

  detail::es_client_options h;
  h.endpoint = m.endpoint;
  h.connect_timeout = o.connect_timeout;
  h.request_timeout = o.request_timeout;
  if (!o.user.empty()) {
    h.authorization = "Basic " + base64_encode(o.user + ":" + o.password);
  }
  try {
    if (m.endpoint.tls()) {
      rpc::tls_client_options t;
      t.verify = o.insecure
                     ? rpc::tls_verify::none
                     : (o.ca_file.empty() ? rpc::tls_verify::system : rpc::tls_verify::ca_file);
      t.ca_file = o.ca_file;
      h.tls = rpc::make_client_tls_context(t);
      h.verify = !o.insecure;
    }
    m.spool.emplace(
        detail::spool_options{o.spool_dir, o.spool_max_bytes, o.segment_bytes, o.fsync_interval});
  } catch (const input_error& e) {
    throw input_error(o.where, e.what());
  }
  m.client.emplace(m.io.get_executor(), std::move(h));
  m.work.emplace(m.io.get_executor());
  m.thread = std::thread([&io = m.io] { io.run(); });

  std::promise<std::string> checked;
  auto result = checked.get_future();
  asio::co_spawn(m.io, m.check_server(), [&checked](std::exception_ptr e, std::string error) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        error = x.what();
      }
    }
    checked.set_value(std::move(error));
  });
  const std::string error = result.get();
  if (!error.empty()) {
    m.work.reset();
    m.io.stop();
    m.thread.join();
    m.client.reset();
    m.spool.reset();
    throw input_error(o.where, error);
  }
  if (m.spool->recovered_bytes() > 0) {
    m.say("elasticsearch: " + mib(m.spool->recovered_bytes()) + " left in the spool " +
          m.spool->dir() + " by an earlier run are sent first");
  }
  m.started.store(true);
  m.available.store(true);
  auto self = impl_;
  asio::post(m.io, [self] {
    self->first_unsent = clock_type::now();
    asio::co_spawn(self->io, self->send_loop(), [self](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          self->say(std::string("elasticsearch: sender stopped: ") + x.what());
        }
      }
      self->sender_done.set_value();
    });
    self->intake();
  });
}

void elasticsearch_output::push(stats_document d) { impl_->push(std::move(d)); }
void elasticsearch_output::push(event_document d) { impl_->push(std::move(d)); }
void elasticsearch_output::push(run_document d) { impl_->push(std::move(d)); }

bool elasticsearch_output::flush(std::chrono::milliseconds timeout) {
  impl& m = *impl_;
  if (!m.started.load()) return false;
  auto self = impl_;
  asio::post(m.io, [self] {
    self->flush_requested = true;
    self->intake();
  });
  const auto deadline = clock_type::now() + timeout;
  // Give the posted intake a chance to run before trusting `drained`.
  auto seen = std::make_shared<std::promise<void>>();
  auto f = seen->get_future();
  asio::post(m.io, [seen] { seen->set_value(); });
  if (f.wait_until(deadline) != std::future_status::ready) return false;
  while (clock_type::now() < deadline) {
    if (m.drained.load()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return m.drained.load();
}

void elasticsearch_output::stop() {
  impl& m = *impl_;
  if (!m.started.exchange(false)) return;
  auto self = impl_;
  auto done = m.sender_done.get_future();
  asio::post(m.io, [self] {
    self->intake();
    self->stopping = true;
    self->client->close();
    self->signal.cancel();
  });
  done.wait_for(m.o.request_timeout + std::chrono::seconds(1));
  auto left = std::make_shared<std::promise<std::uint64_t>>();
  auto left_f = left->get_future();
  asio::post(m.io, [self, left] {
    try {
      self->spool->flush();
    } catch (const std::exception&) {
    }
    left->set_value(self->spool->unread_bytes() + self->retry.bytes.size());
  });
  const std::uint64_t unsent =
      left_f.wait_for(std::chrono::seconds(2)) == std::future_status::ready ? left_f.get() : 0;
  m.work.reset();
  m.io.stop();
  m.thread.join();
  if (unsent > 0) {
    m.say("elasticsearch: " + mib(unsent) + " not yet acknowledged stay in the spool " +
          m.spool->dir() + "; they are sent when an output starts again with that spool");
  }
  m.client.reset();
  m.spool.reset();
}

elasticsearch_status elasticsearch_output::status() const {
  const impl& m = *impl_;
  elasticsearch_status s;
  s.started = m.started.load();
  s.available = m.available.load();
  s.documents_pushed = m.documents_pushed.load();
  s.records_spooled = m.records_spooled.load();
  s.records_indexed = m.records_indexed.load();
  s.records_rejected = m.records_rejected.load();
  s.item_retries = m.item_retries.load();
  s.requests = m.requests.load();
  s.request_failures = m.request_failures.load();
  s.queue_dropped = m.queue_dropped.load();
  s.spool_dropped = m.spool_dropped.load();
  s.spool_bytes = m.spool_bytes.load();
  s.spool_unsent_bytes = m.spool_unsent.load();
  std::lock_guard lock(m.error_mutex);
  s.last_error = m.last_error;
  return s;
}

const server_info& elasticsearch_output::server() const { return impl_->server; }

std::chrono::nanoseconds elasticsearch_output::thread_cpu_time() const {
  impl& m = *impl_;
  if (!m.thread.joinable()) return std::chrono::nanoseconds(0);
  clockid_t cid;
  if (pthread_getcpuclockid(m.thread.native_handle(), &cid) != 0)
    return std::chrono::nanoseconds(0);
  timespec ts{};
  clock_gettime(cid, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace bts::outputs
