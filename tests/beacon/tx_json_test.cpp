// The beacon's direct JSON writer produces exactly boost::json::serialize(transaction_to_json())
// for every operation the beacon builds, including fc's large-number strings, memos and
// several signatures; anything else is left to the generic path.
#include "beacon/tx_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <random>

namespace bts::beacon {
namespace {

using namespace protocol;

std::string generic(const signed_transaction& tx) {
  return boost::json::serialize(transaction_to_json(tx, {"TEST"}));
}

std::string direct(const signed_transaction& tx) {
  std::string out = "prefix:";
  const bool ok = append_transaction_json(out, tx, [](const crypto::public_key& k) {
    thread_local std::string text;
    text = crypto::to_string(k, "TEST");
    return std::string_view(text);
  });
  return ok ? out.substr(7) : "(not covered: " + out + ")";
}

TEST(tx_json, matches_the_generic_writer_for_every_beacon_operation) {
  std::mt19937_64 rng(7);
  const auto a = crypto::private_key::from_seed("tx-json-a");
  const auto b = crypto::private_key::from_seed("tx-json-b");
  for (int round = 0; round < 300; ++round) {
    signed_transaction tx;
    tx.ref_block_num = static_cast<std::uint16_t>(rng());
    tx.ref_block_prefix = static_cast<std::uint32_t>(rng());
    tx.set_expiration(time_point_sec{static_cast<std::uint32_t>(1700000000 + rng() % 100000000)});
    // Amounts on both sides of the int32 boundary, where fc switches to strings.
    const auto amount = [&] {
      const std::int64_t choices[] = {0,
                                      1,
                                      2147483647,
                                      2147483648LL,
                                      -5,
                                      1000000000000LL,
                                      static_cast<std::int64_t>(rng() >> 1)};
      return choices[rng() % 7];
    };
    const int ops = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < ops; ++i) {
      switch (rng() % 4) {
        case 0:
        case 1: {
          transfer_operation t;
          t.fee = {amount(), asset_id_type{0}};
          t.from.instance = rng() % 1000000;
          t.to.instance = rng();
          t.amount = {amount(), asset_id_type{rng() % 5000}};
          if (rng() % 2) {
            memo_data m;
            m.from = a.get_public_key();
            m.to = b.get_public_key();
            m.nonce = rng() % 2 ? rng() : rng() % 0xffffffffULL;
            m.message.resize(rng() % 80);
            for (auto& c : m.message) c = static_cast<std::uint8_t>(rng());
            t.memo = m;
          }
          tx.operations.push_back(t);
          break;
        }
        case 2: {
          limit_order_create_operation o;
          o.fee = {amount(), asset_id_type{0}};
          o.seller.instance = rng() % 1000;
          o.amount_to_sell = {amount(), asset_id_type{0}};
          o.min_to_receive = {amount(), asset_id_type{1}};
          o.expiration = time_point_sec{static_cast<std::uint32_t>(rng())};
          o.fill_or_kill = rng() % 2 == 0;
          tx.operations.push_back(o);
          break;
        }
        default: {
          limit_order_cancel_operation c;
          c.fee = {amount(), asset_id_type{0}};
          c.fee_paying_account.instance = rng() % 100;
          c.order.instance = rng();
          tx.operations.push_back(c);
        }
      }
    }
    const int sigs = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < sigs; ++i) tx.sign(i % 2 ? a : b, chain_id_type{});
    ASSERT_EQ(direct(tx), generic(tx)) << "round " << round;
  }
}

TEST(tx_json, leaves_other_transactions_to_the_generic_path) {
  signed_transaction tx;
  tx.operations.push_back(transfer_operation{});
  EXPECT_EQ(direct(tx).rfind("(not covered", 0), 0u) << "unsigned: signatures may be omitted";
  tx.sign(crypto::private_key::from_seed("x"), chain_id_type{});
  EXPECT_EQ(direct(tx), generic(tx));
  tx.operations.push_back(asset_issue_operation{});
  EXPECT_EQ(direct(tx), "(not covered: prefix:)");  // output left as it was
}

}  // namespace
}  // namespace bts::beacon
