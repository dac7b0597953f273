// The genesis state (graphene/chain/genesis_state.hpp) and the devnet's built-in genesis.
//
// Chain id: bitshares-core's application computes sha256 over the raw bytes of the genesis JSON
// it loaded (the --genesis-json file as read, or the embedded genesis text), so whitespace and
// key order matter. compute_chain_id() hashes exactly the bytes it is given; the devnet hashes
// the text of builtin_genesis_json() or the --genesis file's bytes, untouched.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain/config.hpp"
#include "chain/objects.hpp"
#include "protocol/types.hpp"

namespace bts::chain {

// The development key of bitshares-core's dev genesis: secret = sha256("nathan").
inline constexpr std::string_view dev_private_key_wif =
    "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
inline constexpr std::string_view dev_public_key =
    "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

struct genesis_state {
  struct initial_account {
    std::string name;
    public_key_type owner_key;
    public_key_type active_key;
    bool is_lifetime_member = false;
  };
  struct initial_asset {
    std::string symbol;
    std::string issuer_name;
    std::string description;
    std::uint8_t precision = 5;
    share_type max_supply = 0;
    share_type accumulated_fees = 0;
    bool is_bitasset = false;
    std::vector<boost::json::value> collateral_records;
  };
  struct initial_balance {
    protocol::address owner;
    std::string asset_symbol;
    share_type amount = 0;
  };
  struct initial_witness {
    std::string owner_name;
    public_key_type block_signing_key;
  };
  struct initial_committee_member {
    std::string owner_name;
  };

  time_point_sec initial_timestamp;
  share_type max_core_supply = config::max_share_supply;
  chain_parameters initial_parameters;
  std::vector<initial_account> initial_accounts;
  std::vector<initial_asset> initial_assets;
  std::vector<initial_balance> initial_balances;
  std::vector<boost::json::value> initial_vesting_balances;
  std::uint64_t initial_active_witnesses = 1;
  std::vector<initial_witness> initial_witness_candidates;
  std::vector<initial_committee_member> initial_committee_candidates;
  std::vector<boost::json::value> initial_worker_candidates;
  chain_id_type initial_chain_id{};
  immutable_chain_parameters immutable_parameters;
};

// Parses a genesis file's JSON as fc does (missing fields take their defaults, unknown ones are
// ignored) and checks what the devnet needs: at least one witness candidate with an existing
// account, account names valid and unique, balances' assets known. Throws bts::input_error
// naming the JSON path. initial_chain_id is left as in the text (compute it with
// compute_chain_id).
genesis_state parse_genesis(std::string_view json_text, std::string_view source = "genesis");

// sha256 of the genesis bytes, as application.cpp computes initial_chain_id.
chain_id_type compute_chain_id(std::string_view genesis_json_text);

// Parameters of the built-in genesis that devnet flags may change.
struct builtin_genesis_options {
  std::uint8_t block_interval = 1;
  std::uint32_t maximum_block_size = 2000000;
  std::uint32_t maximum_transaction_size = 2048;
};

// The devnet's genesis: bitshares-core's genesis-dev.json (11 witnesses init0..init10 and
// nathan, all on the development key, the dev fee schedule, all of the core supply in one
// initial balance of nathan's key) with three changes: nathan is a lifetime member, the block
// interval and block/transaction size limits come from `options`, and the initial timestamp is
// 2025-01-01T00:00:00.
std::string builtin_genesis_json(const builtin_genesis_options& options = {});

}  // namespace bts::chain
