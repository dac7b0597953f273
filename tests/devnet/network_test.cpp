// Several endpoints over one chain, the P2P message limit, real-time production, --data-dir.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "devnet/devnet_fixture.hpp"

namespace bts::devnet::testing {
namespace {

using ::testing::HasSubstr;

std::string head_id(devnet_fixture& f, std::size_t node) {
  return std::string(f.call("database", "get_dynamic_global_properties", {}, node)
                         .at("head_block_id")
                         .as_string());
}

TEST(Network, EndpointsAgreeOnTheChain) {
  devnet_options options;
  options.nodes = 3;
  options.propagation_delay = std::chrono::milliseconds(30);
  devnet_fixture f(options);
  ASSERT_EQ(f.node->endpoints().size(), 3u);
  EXPECT_THAT(f.node->banner(),
              HasSubstr(" endpoints " + f.url(0) + "," + f.url(1) + "," + f.url(2)));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(f.call("database", "get_chain_id", {}, i).as_string(), to_hex(f.node->chain_id()));
  }
  // A transaction sent to endpoint 2 reaches the producer and everyone sees it included.
  const auto tx =
      f.sign(f.make_tx({devnet_fixture::transfer(nathan, account_id_type{6}, 4242)}, 60, 2));
  ASSERT_TRUE(
      f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)}, 2)
          .ok());
  ASSERT_TRUE(
      devnet_fixture::eventually([&] { return f.node->net().metrics().nodes[0].pending == 1; }));
  // ... and is in endpoint 1's pending pool too.
  ASSERT_TRUE(
      devnet_fixture::eventually([&] { return f.node->net().metrics().nodes[1].pending == 1; }));
  // Sending it again to another endpoint is a duplicate there as well.
  const auto dup =
      f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)}, 1);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, 3030001);
  for (int i = 0; i < 3; ++i) f.produce_block();
  ASSERT_TRUE(devnet_fixture::eventually([&] {
    const auto h0 = head_id(f, 0);
    return head_id(f, 1) == h0 && head_id(f, 2) == h0;
  }));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(f.balance(account_id_type{6}, i), 4242);
    EXPECT_EQ(f.call("database", "get_dynamic_global_properties", {}, i)
                  .at("head_block_number")
                  .to_number<std::uint64_t>(),
              4u);
  }
  EXPECT_EQ(f.node->net().metrics().nodes[1].pending, 0u);
}

TEST(Network, BlocksAboveTheP2PMessageLimitDoNotPropagate) {
  devnet_options options;
  options.nodes = 2;
  options.p2p_max_message_size = 2000;  // scaled down from graphene's 2 MiB for the test
  devnet_fixture f(options);
  ASSERT_TRUE(devnet_fixture::eventually([&] { return head_id(f, 1) == head_id(f, 0); }));
  for (int i = 0; i < 30; ++i) {
    const auto tx =
        f.sign(f.make_tx({devnet_fixture::transfer(nathan, account_id_type{6}, 1 + i)}));
    ASSERT_TRUE(
        f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)})
            .ok());
  }
  const auto big = f.produce_block();
  const auto m = f.node->net().metrics();
  EXPECT_GT(m.last_block_bytes, 2000u);
  EXPECT_EQ(m.blocks_not_propagated, 1u);
  f.produce_block();  // small, propagates, but cannot link without the big one
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(f.call("database", "get_dynamic_global_properties", {}, 1)
                .at("head_block_number")
                .to_number<std::uint64_t>(),
            big - 1);
  const auto [status, text] = f.http_get("/metrics", 0);
  EXPECT_THAT(text, HasSubstr("devnet_blocks_not_propagated_total 1"));
}

std::uint64_t head_num(devnet_fixture& f, std::size_t node) {
  return f.call("database", "get_dynamic_global_properties", {}, node)
      .at("head_block_number")
      .to_number<std::uint64_t>();
}

TEST(Network, ALaggingEndpointGetsBlocksLaterAndAStalledOneNever) {
  devnet_options options;
  options.nodes = 3;
  options.node_delay[1] = std::chrono::milliseconds(400);
  options.stalled_nodes.insert(2);
  devnet_fixture f(options);
  ASSERT_TRUE(devnet_fixture::eventually([&] { return head_id(f, 1) == head_id(f, 0); },
                                         std::chrono::milliseconds(3000)));
  const auto stalled_head = head_num(f, 2);
  ASSERT_LT(stalled_head, head_num(f, 0));  // the fixture's block 1 never reached it
  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, account_id_type{6}, 7)}));
  ASSERT_TRUE(
      f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)}).ok());
  const auto produced_at = std::chrono::steady_clock::now();
  const auto block = f.produce_block();
  // Endpoint 1 is one block behind for about its delay, then has the producer's block.
  EXPECT_EQ(head_num(f, 1), block - 1);
  ASSERT_TRUE(devnet_fixture::eventually([&] { return head_id(f, 1) == head_id(f, 0); },
                                         std::chrono::milliseconds(3000)));
  EXPECT_GE(std::chrono::steady_clock::now() - produced_at, std::chrono::milliseconds(350));
  // Endpoint 2 still answers, at the block it had; it never saw the transaction either.
  f.produce_block();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(head_num(f, 2), stalled_head);
  EXPECT_EQ(f.node->net().metrics().nodes[2].relayed_in, 0u);
  EXPECT_EQ(f.balance(account_id_type{6}, 2), 0);
}

TEST(Network, RealTimeBlocksAndSynchronousBroadcast) {
  devnet_fixture f({}, /*real_time=*/true);
  ASSERT_TRUE(devnet_fixture::eventually(
      [&] {
        return f.call("database", "get_dynamic_global_properties", {})
                   .at("head_block_number")
                   .to_number<std::uint64_t>() >= 1;
      },
      std::chrono::milliseconds(3000)));
  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, account_id_type{7}, 99)}));
  const auto start = std::chrono::steady_clock::now();
  const auto r = f.client().call("network_broadcast", "broadcast_transaction_synchronous",
                                 {devnet_fixture::to_json(tx)}, std::chrono::milliseconds(15000));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  // Block 1 is a maintenance block: block 2 comes maintenance_skip_slots + 1 intervals later.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(10000));
  EXPECT_EQ(r.value().at("id").as_string(), to_hex(tx.id()));
}

TEST(Network, DataDirKeepsTheChainAcrossRestarts) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bts-devnet-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string head;
  {
    devnet_options options;
    options.data_dir = dir;
    devnet_fixture f(options);
    ASSERT_TRUE(f.try_call("network_broadcast", "broadcast_transaction",
                           {devnet_fixture::to_json(f.sign(f.make_tx(
                               {devnet_fixture::transfer(nathan, account_id_type{8}, 31337)})))})
                    .ok());
    f.produce_block();
    f.produce_block();
    head = head_id(f, 0);
  }
  {
    devnet_options options;
    options.data_dir = dir;
    // Replays (the genesis balance was claimed in block 1), then produces one more block.
    devnet_fixture f(options, false, /*claim_genesis_balance=*/false);
    EXPECT_EQ(f.balance(account_id_type{8}), 31337);
    const auto block3 = f.call("database", "get_block", {3});
    EXPECT_EQ(f.call("database", "get_dynamic_global_properties", {})
                  .at("head_block_number")
                  .to_number<std::uint64_t>(),
              4u);
    EXPECT_EQ(block3.at("transactions").as_array().size(), 0u);
    EXPECT_EQ(f.call("database", "get_block_header", {4}).at("previous").as_string(), head);
  }
  {
    devnet_options options;
    options.data_dir = dir;
    options.builtin.block_interval = 3;
    boost::asio::io_context io;
    EXPECT_THROW(devnet(io.get_executor(), options), input_error);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bts::devnet::testing
