#include "chain/block.hpp"

#include <algorithm>
#include <charconv>

#include "crypto/hash.hpp"
#include "crypto/signature.hpp"
#include "protocol/block_id.hpp"

namespace bts::chain {

std::string object_id_type::to_string() const {
  return std::to_string(space()) + "." + std::to_string(type()) + "." + std::to_string(instance());
}

std::optional<object_id_type> object_id_type::parse(std::string_view text) {
  std::uint64_t parts[3] = {0, 0, 0};
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t end = i < 2 ? text.find('.', pos) : text.size();
    if (end == std::string_view::npos || end == pos) return std::nullopt;
    const auto part = text.substr(pos, end - pos);
    const auto res = std::from_chars(part.data(), part.data() + part.size(), parts[i]);
    if (res.ec != std::errc() || res.ptr != part.data() + part.size()) return std::nullopt;
    pos = end + 1;
  }
  if (parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffffffffffffULL) return std::nullopt;
  return make(static_cast<std::uint8_t>(parts[0]), static_cast<std::uint8_t>(parts[1]), parts[2]);
}

digest_type processed_transaction::merkle_digest() const {
  return crypto::sha256(protocol::pack_to_bytes(*this));
}

std::uint32_t block_header::num_from_id(const block_id_type& id) {
  return protocol::block_num_from_id(id);
}

digest_type block_header::digest() const {
  return crypto::sha256(protocol::pack_to_bytes(static_cast<const block_header&>(*this)));
}

block_id_type signed_block_header::id() const {
  const auto hash =
      crypto::sha224(protocol::pack_to_bytes(static_cast<const signed_block_header&>(*this)));
  block_id_type out;
  std::copy_n(hash.begin(), out.size(), out.begin());
  const std::uint32_t num = block_num();
  out[0] = static_cast<std::uint8_t>(num >> 24);
  out[1] = static_cast<std::uint8_t>(num >> 16);
  out[2] = static_cast<std::uint8_t>(num >> 8);
  out[3] = static_cast<std::uint8_t>(num);
  return out;
}

void signed_block_header::sign(const crypto::private_key& signer) {
  witness_signature = crypto::sign_compact(signer, digest());
}

std::optional<public_key_type> signed_block_header::signee() const {
  return crypto::recover(witness_signature, digest(), /*require_canonical=*/true);
}

checksum_type signed_block::calculate_merkle_root() const {
  checksum_type root{};
  if (transactions.empty()) return root;
  std::vector<digest_type> ids;
  ids.reserve(transactions.size());
  for (const auto& trx : transactions) ids.push_back(trx.merkle_digest());
  std::size_t count = ids.size();
  std::array<std::uint8_t, 64> pair;
  while (count > 1) {
    const std::size_t i_max = count - (count & 1);
    std::size_t k = 0;
    for (std::size_t i = 0; i < i_max; i += 2) {
      std::copy(ids[i].begin(), ids[i].end(), pair.begin());
      std::copy(ids[i + 1].begin(), ids[i + 1].end(), pair.begin() + 32);
      ids[k++] = crypto::sha256(pair);
    }
    if (count & 1) ids[k++] = ids[i_max];
    count = k;
  }
  return crypto::ripemd160(ids[0]);
}

std::size_t packed_size(const processed_transaction& trx) {
  return protocol::pack_to_bytes(trx).size();
}

std::size_t packed_size(const signed_block& block) { return protocol::pack_to_bytes(block).size(); }

std::size_t max_block_header_size(witness_id_type witness) {
  // bitshares-core: pack_size(signed_block_header()) - pack_size(witness_id_type()) + 3 +
  // pack_size(witness).
  signed_block_header header;
  header.witness = witness;
  return protocol::pack_to_bytes(header).size() + 3;
}

}  // namespace bts::chain

namespace bts::protocol {

void json_codec<chain::object_id_type>::from(const boost::json::value& json,
                                             chain::object_id_type& id, const json_read_options&) {
  const auto& text = expect_string(json);
  const auto parsed = chain::object_id_type::parse(text);
  if (!parsed) throw input_error("expected an object id (space.type.instance)");
  id = *parsed;
}

}  // namespace bts::protocol
