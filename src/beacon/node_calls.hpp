// The calls the beacon's websocket connections open with, and the block notices they get.
//
//   rpc::client c(executor, options);
//   watch_blocks(c, executor, [](const json::array& args) { ... block_number_of_notice(args) });
//   c.start();
//
// Threads: watch_blocks before the client's start(); the handler runs on the client's strand.
#pragma once

#include <boost/json/array.hpp>

#include <cstdint>
#include <functional>
#include <optional>

#include "rpc/client.hpp"

namespace bts::beacon {

// ["", ""]: login's params (built outside coroutines: GCC 12 rejects string literals in braced
// lists inside them).
boost::json::array login_params();

// After every (re)connect: login, then set_block_applied_callback, whose notices (one per
// applied block: [block id]) go to `on_notice`. `on_connected` (optional) is posted to
// `executor` (the client's, single-threaded) at the end of each on_connect hook, so it runs
// once c.connected() is true.
void watch_blocks(rpc::client& c, boost::asio::any_io_executor executor,
                  std::function<void(const boost::json::array&)> on_notice,
                  std::function<void()> on_connected = {});

// Posts `f` (if set) to `executor`: from an on_connect hook, it runs after the hook returned and
// the client counts as connected (a single-threaded io_context runs one handler at a time).
void post_after_hook(boost::asio::any_io_executor executor, const std::function<void()>& f);

// The block number in a block-applied notice (the first four bytes of the block id); nullopt
// when the notice holds no valid block id.
std::optional<std::uint32_t> block_number_of_notice(const boost::json::array& args);

}  // namespace bts::beacon
