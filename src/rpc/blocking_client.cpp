#include "rpc/blocking_client.hpp"

#include <boost/asio/post.hpp>

#include <future>

namespace bts::rpc {

namespace {
client_options with_url(std::string url) {
  client_options o;
  o.url = std::move(url);
  return o;
}
}  // namespace

blocking_client::blocking_client(std::string url) : blocking_client(with_url(std::move(url))) {}

blocking_client::blocking_client(client_options options, connect_hook hook)
    : work_(io_.get_executor()), client_(io_.get_executor(), std::move(options)) {
  if (hook) client_.on_connect(std::move(hook));
  client_.start();
  thread_ = std::thread([this] { io_.run(); });
}

blocking_client::~blocking_client() {
  client_.close();
  // Let close() fail what is pending (so blocked callers return), then stop: a connect in
  // progress would otherwise run to its timeout.
  std::promise<void> closed;
  asio::post(client_.get_executor(), [&closed] { closed.set_value(); });
  closed.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
}

call_result blocking_client::call(api_ref api, std::string_view method, json::array params,
                                  std::optional<std::chrono::milliseconds> timeout) {
  std::promise<call_result> done;
  std::future<call_result> result = done.get_future();
  client_.async_call(
      std::move(api), method, std::move(params),
      [&done](call_result r) { done.set_value(std::move(r)); }, timeout);
  return result.get();
}

bool blocking_client::wait_connected(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!client_.connected()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace bts::rpc
