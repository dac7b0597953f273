#include "beacon/node_calls.hpp"

#include <boost/asio/post.hpp>

#include <exception>

#include "protocol/block_id.hpp"
#include "protocol/types.hpp"
#include "util/hex.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::array one_param(std::uint64_t v) { return json::array{json::value(v)}; }

}  // namespace

json::array login_params() { return json::array{json::value(""), json::value("")}; }

void post_after_hook(asio::any_io_executor executor, const std::function<void()>& f) {
  if (f) asio::post(executor, f);
}

void watch_blocks(rpc::client& c, asio::any_io_executor executor,
                  std::function<void(const json::array&)> on_notice,
                  std::function<void()> on_connected) {
  const std::uint64_t cb = c.reserve_id();
  c.on_connect([cb, executor, on_connected](rpc::client& cl) -> asio::awaitable<void> {
    (co_await cl.call(1, "login", login_params())).value();
    (co_await cl.call("database", "set_block_applied_callback", one_param(cb))).value();
    post_after_hook(executor, on_connected);
  });
  c.subscribe(cb, [on_notice = std::move(on_notice)](json::array args) { on_notice(args); });
}

std::optional<std::uint32_t> block_number_of_notice(const json::array& args) {
  if (args.empty() || !args[0].is_string()) return std::nullopt;
  protocol::block_id_type id{};
  try {
    from_hex_exact(args[0].as_string(), id);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return protocol::block_num_from_id(id);
}

}  // namespace bts::beacon
