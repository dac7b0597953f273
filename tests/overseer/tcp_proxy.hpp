// A loopback TCP proxy for tests: forwards every connection to a target port, and can drop
// all current connections and refuse new ones, to simulate a network outage between a beacon
// and the overseer.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace bts::overseer::test {

class tcp_proxy {
 public:
  explicit tcp_proxy(std::uint16_t target)
      : target_(target), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~tcp_proxy() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Closes every forwarded connection; while refusing, new ones are closed at once.
  void set_refusing(bool refusing) { refusing_ = refusing; }
  void drop_all() {
    boost::asio::post(io_, [this] {
      for (auto& p : pairs_) {
        boost::system::error_code ec;
        p->a.close(ec);
        p->b.close(ec);
      }
      pairs_.clear();
    });
  }

 private:
  struct pair {
    explicit pair(boost::asio::io_context& io) : a(io), b(io) {}
    boost::asio::ip::tcp::socket a, b;
    std::array<char, 16384> ab{}, ba{};
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      if (refusing_) {
        s.close(ec);
      } else {
        auto p = std::make_shared<pair>(io_);
        p->a = std::move(s);
        p->b.connect({boost::asio::ip::make_address("127.0.0.1"), target_}, ec);
        if (ec) {
          p->a.close(ec);
        } else {
          pairs_.push_back(p);
          pump(p, p->a, p->b, p->ab);
          pump(p, p->b, p->a, p->ba);
        }
      }
      accept();
    });
  }

  static void pump(std::shared_ptr<pair> p, boost::asio::ip::tcp::socket& from,
                   boost::asio::ip::tcp::socket& to, std::array<char, 16384>& buf) {
    from.async_read_some(boost::asio::buffer(buf),
                         [p, &from, &to, &buf](boost::system::error_code ec, std::size_t n) {
                           if (ec) {
                             to.close(ec);
                             return;
                           }
                           boost::asio::async_write(
                               to, boost::asio::buffer(buf.data(), n),
                               [p, &from, &to, &buf](boost::system::error_code ec2, std::size_t) {
                                 if (ec2) {
                                   from.close(ec2);
                                   return;
                                 }
                                 pump(p, from, to, buf);
                               });
                         });
  }

  std::uint16_t target_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::list<std::shared_ptr<pair>> pairs_;
  std::atomic<bool> refusing_{false};
  std::thread thread_;
};

}  // namespace bts::overseer::test
