#include "beacon/block_reader.hpp"

#include <boost/json.hpp>

#include "chain/block.hpp"
#include "protocol/json.hpp"
#include "protocol/transaction.hpp"
#include "protocol/wire.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace bts::beacon {

namespace {

namespace json = boost::json;

using protocol::varint_size;

const protocol::json_read_options lenient{
    protocol::json_read_options::unknown_field_policy::ignore};

// The signed header's packed size: decoded and packed when possible, else the size of a header
// with empty extensions and this witness (what every BitShares block has). `id` gets the
// header's block id (hex) when it decodes.
std::size_t header_size(const json::object& block, std::uint64_t witness_instance,
                        std::string& id) {
  try {
    // The header members only: copying the whole block (its transactions) would be costly.
    json::object header;
    for (const char* key : {"previous", "timestamp", "witness", "transaction_merkle_root",
                            "extensions", "witness_signature"}) {
      if (const auto* v = block.if_contains(key)) header[key] = *v;
    }
    chain::signed_block_header h;
    protocol::from_json(json::value(std::move(header)), h, lenient);
    id = to_hex(h.id());
    return protocol::pack_to_bytes(h).size();
  } catch (const std::exception&) {
    chain::signed_block_header h;
    h.witness.instance = witness_instance;
    return protocol::pack_to_bytes(h).size();
  }
}

}  // namespace

block_contents read_block(const json::object& block, std::uint32_t block_num) {
  block_contents out;
  store::block_record& r = out.record;
  r.block_num = block_num;
  std::uint64_t witness_instance = 0;
  if (const auto* t = block.if_contains("timestamp"); t && t->is_string()) {
    try {
      r.time_ms = static_cast<std::int64_t>(parse_time_point_sec(t->as_string())) * 1000;
    } catch (const std::exception&) {
    }
  }
  if (const auto* w = block.if_contains("witness"); w && w->is_string()) {
    r.witness = std::string(w->as_string());
    try {
      witness_instance = protocol::parse_object_id(r.witness, 1, 6);
    } catch (const std::exception&) {
    }
  }
  const json::array empty;
  const json::array* txs = &empty;
  if (const auto* t = block.if_contains("transactions"); t && t->is_array()) txs = &t->as_array();
  const json::array* ids = nullptr;
  if (const auto* t = block.if_contains("transaction_ids"); t && t->is_array())
    ids = &t->as_array();

  std::size_t bytes = header_size(block, witness_instance, out.id) + varint_size(txs->size());
  r.transactions = static_cast<std::int64_t>(txs->size());
  out.transactions.resize(txs->size());
  for (std::size_t i = 0; i < txs->size(); ++i) {
    const json::value& tj = (*txs)[i];
    block_transaction& bt = out.transactions[i];
    if (const auto* o = tj.if_object()) {
      if (const auto* ops = o->if_contains("operations"); ops && ops->is_array()) {
        r.operations += static_cast<std::int64_t>(ops->as_array().size());
      }
    }
    try {
      chain::processed_transaction ptx;
      protocol::from_json(tj, ptx, lenient);
      bt.id = ptx.id();
      bytes += chain::packed_size(ptx);
      for (std::size_t k = 0; k < ptx.operation_results.size(); ++k) {
        if (const auto* oid = std::get_if<chain::object_id_type>(&ptx.operation_results[k].value)) {
          if (oid->space() == 1 && oid->type() == 7) {
            protocol::limit_order_id_type order;
            order.instance = oid->instance();
            bt.orders_created.emplace_back(static_cast<std::uint32_t>(k), order);
          }
        }
      }
      continue;
    } catch (const std::exception&) {
    }
    ++out.undecodable;
    out.size_estimated = true;
    try {
      // No (or unknown) operation_results: the signed transaction still gives the id, and its
      // size plus one result byte per operation.
      const protocol::signed_transaction stx = protocol::transaction_from_json(tj, lenient);
      bt.id = stx.id();
      bytes += stx.pack().size() + varint_size(stx.operations.size()) + stx.operations.size();
      continue;
    } catch (const std::exception&) {
    }
    bytes += json::serialize(tj).size() / 2;
    bt.id_known = false;
    if (ids != nullptr && i < ids->size() && (*ids)[i].is_string()) {
      try {
        from_hex_exact((*ids)[i].as_string(), bt.id);
        bt.id_known = true;
      } catch (const std::exception&) {
      }
    }
  }
  r.bytes = static_cast<std::int64_t>(bytes);
  return out;
}

}  // namespace bts::beacon
