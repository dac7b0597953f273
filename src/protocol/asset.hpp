// asset and price (bitshares-core graphene/protocol/asset.hpp).
#pragma once

#include "protocol/types.hpp"

namespace bts::protocol {

// An amount in an asset's smallest unit: `6400000000000000 00` = 100 of 1.3.0.
struct asset {
  share_type amount = 0;
  asset_id_type asset_id;
};
BTS_REFLECT(asset, (amount)(asset_id))

// base / quote.
struct price {
  asset base;
  asset quote;
};
BTS_REFLECT(price, (base)(quote))

}  // namespace bts::protocol
