// A loopback stand-in for Elasticsearch / OpenSearch: GET /, PUT /_index_template/<name>,
// PUT /<pattern>/_mapping, POST /_bulk. It records every request byte for byte and can be told to
// refuse credentials, answer 500/429, answer 200 with `errors: true` items, stall (never answer),
// go down (close the port) and come back on the same port. Documents answered 2xx are kept in
// arrival order.
//
// Threads: its own io_context thread; every member may be called from the test thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bts::test {

class fake_es {
 public:
  struct request {
    std::string method;
    std::string target;
    std::string content_type;
    std::string authorization;
    std::string body;
  };
  struct document {
    std::string index;
    std::string id;
    std::string source;
  };
  enum class bulk_mode { ok, fail_status, stall };

  fake_es() : work_(io_.get_executor()) {
    listen(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_es() {
    boost::asio::post(io_, [this] { close_all(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // --- behaviour ---
  void opensearch(bool on) {
    with([&] { opensearch_ = on; });
  }
  // PUT <index>/_mapping answers this status (200: acknowledged; else a security_exception).
  void mapping_status(unsigned status) {
    with([&] { mapping_status_ = status; });
  }
  void version(std::string v) {
    with([&] { version_ = std::move(v); });
  }
  // Requests without this exact Authorization header get 401.
  void require_authorization(std::string header) {
    with([&] { auth_ = std::move(header); });
  }
  void bulk(bulk_mode m, unsigned status = 500) {
    with([&] {
      mode_ = m;
      fail_status_ = status;
    });
  }
  // Per-item status for 200 answers: called with the item's _id; 0 or 2xx means indexed.
  void item_status(std::function<unsigned(const std::string& id)> f) {
    with([&] { item_status_ = std::move(f); });
  }
  // Closes the port and every connection (connections are refused until up()).
  void down() {
    run_on_io([this] { close_all(); });
  }
  void up() {
    run_on_io([this] { listen(port_); });
  }

  // --- what happened ---
  std::vector<request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<request> requests_to(std::string_view prefix) const {
    std::vector<request> out;
    for (auto& r : requests()) {
      if (r.target.rfind(prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }
  std::vector<document> documents() const {
    std::lock_guard lock(mutex_);
    return documents_;
  }

 private:
  template <class F>
  void with(F f) {
    std::lock_guard lock(mutex_);
    f();
  }
  template <class F>
  void run_on_io(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void listen(std::uint16_t port) {
    namespace asio = boost::asio;
    acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(io_);
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen();
    port_ = acceptor_->local_endpoint().port();
    accept();
  }

  void accept() {
    auto* acc = acceptor_.get();
    acc->async_accept([this, acc](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec || acc != acceptor_.get()) return;
      auto sock = std::make_shared<boost::asio::ip::tcp::socket>(std::move(s));
      sockets_.insert(sock);
      serve(sock, std::make_shared<boost::beast::flat_buffer>());
      accept();
    });
  }

  void close_all() {
    boost::system::error_code ec;
    if (acceptor_) acceptor_->close(ec);
    acceptor_.reset();
    for (auto& s : sockets_) s->close(ec);
    sockets_.clear();
  }

  void serve(std::shared_ptr<boost::asio::ip::tcp::socket> sock,
             std::shared_ptr<boost::beast::flat_buffer> buffer) {
    namespace http = boost::beast::http;
    auto req = std::make_shared<http::request<http::string_body>>();
    http::async_read(
        *sock, *buffer, *req, [this, sock, buffer, req](boost::system::error_code ec, std::size_t) {
          if (ec) {
            sockets_.erase(sock);
            return;
          }
          auto res = answer(*req);
          if (!res) {  // stall: never answer, wait for the client to give up
            serve(sock, buffer);
            return;
          }
          http::async_write(*sock, *res,
                            [this, sock, buffer, res](boost::system::error_code wec, std::size_t) {
                              if (wec) {
                                sockets_.erase(sock);
                                return;
                              }
                              serve(sock, buffer);
                            });
        });
  }

  using response = boost::beast::http::response<boost::beast::http::string_body>;

  static std::shared_ptr<response> make(unsigned status, std::string body) {
    auto r = std::make_shared<response>(static_cast<boost::beast::http::status>(status), 11);
    r->set(boost::beast::http::field::content_type, "application/json");
    r->body() = std::move(body);
    r->keep_alive(true);
    r->prepare_payload();
    return r;
  }

  std::shared_ptr<response> answer(
      const boost::beast::http::request<boost::beast::http::string_body>& req) {
    namespace http = boost::beast::http;
    std::lock_guard lock(mutex_);
    request rec{std::string(req.method_string()), std::string(req.target()),
                std::string(req[http::field::content_type]),
                std::string(req[http::field::authorization]), req.body()};
    requests_.push_back(rec);
    if (!auth_.empty() && rec.authorization != auth_) {
      return make(
          401,
          R"({"error":{"type":"security_exception","reason":"unable to authenticate user [x] for REST request [/]"},"status":401})");
    }
    if (rec.method == "GET" && rec.target == "/") {
      if (opensearch_) {
        return make(
            200,
            R"({"name":"fake","cluster_name":"fake","version":{"distribution":"opensearch","number":")" +
                version_ +
                R"(","lucene_version":"9.7.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"})");
      }
      return make(200, R"({"name":"fake","cluster_name":"fake","version":{"number":")" + version_ +
                           R"(","build_flavor":"default"},"tagline":"You Know, for Search"})");
    }
    if (rec.method == "PUT" && rec.target.rfind("/_index_template/", 0) == 0) {
      boost::system::error_code ec;
      boost::json::parse(rec.body, ec);
      if (ec)
        return make(400,
                    R"({"error":{"type":"parse_exception","reason":"bad json"},"status":400})");
      return make(200, R"({"acknowledged":true})");
    }
    if (rec.method == "PUT" && rec.target.find("/_mapping") != std::string::npos) {
      if (mapping_status_ != 200) {
        return make(
            mapping_status_,
            R"({"error":{"type":"security_exception","reason":"action [indices:admin/mapping/put] is unauthorized"},"status":)" +
                std::to_string(mapping_status_) + "}");
      }
      return make(200, R"({"acknowledged":true})");
    }
    if (rec.method == "POST" && rec.target == "/_bulk") {
      if (mode_ == bulk_mode::stall) return nullptr;
      if (mode_ == bulk_mode::fail_status) {
        return make(
            fail_status_,
            R"({"error":{"type":"cluster_block_exception","reason":"unavailable"},"status":)" +
                std::to_string(fail_status_) + "}");
      }
      return bulk(rec.body);
    }
    return make(404, R"({"error":"no handler","status":404})");
  }

  // Answers a well-formed bulk body (pairs of lines, trailing newline) item by item.
  std::shared_ptr<response> bulk(const std::string& body) {
    if (body.empty() || body.back() != '\n') {
      return make(
          400,
          R"({"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400})");
    }
    boost::json::array items;
    bool errors = false;
    std::size_t pos = 0;
    while (pos < body.size()) {
      const std::size_t a_end = body.find('\n', pos);
      const std::size_t s_end = body.find('\n', a_end + 1);
      if (s_end == std::string::npos) {
        return make(
            400,
            R"({"error":{"type":"illegal_argument_exception","reason":"odd line count"},"status":400})");
      }
      const auto action = boost::json::parse(std::string_view(body).substr(pos, a_end - pos));
      const auto& meta = action.as_object().at("index").as_object();
      const std::string index(meta.at("_index").as_string());
      const std::string id(meta.at("_id").as_string());
      std::string source = body.substr(a_end + 1, s_end - a_end - 1);
      pos = s_end + 1;
      unsigned status = item_status_ ? item_status_(id) : 0;
      if (status == 0) status = 201;
      boost::json::object item{{"_index", index}, {"_id", id}, {"status", status}};
      if (status >= 300) {
        errors = true;
        item["error"] =
            boost::json::object{{"type", status == 429 ? "es_rejected_execution_exception"
                                                       : "mapper_parsing_exception"},
                                {"reason", "item refused by the fake"}};
      } else {
        documents_.push_back({index, id, std::move(source)});
      }
      items.push_back(boost::json::object{{"index", std::move(item)}});
    }
    boost::json::object r{{"took", 3}, {"errors", errors}, {"items", std::move(items)}};
    return make(200, boost::json::serialize(r));
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;
  std::vector<request> requests_;
  std::vector<document> documents_;
  bool opensearch_ = false;
  std::string version_ = "8.13.4";
  unsigned mapping_status_ = 200;
  std::string auth_;
  bulk_mode mode_ = bulk_mode::ok;
  unsigned fail_status_ = 500;
  std::function<unsigned(const std::string&)> item_status_;
};

}  // namespace bts::test
