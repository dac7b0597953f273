#include "protocol/transaction.hpp"

#include <algorithm>
#include <string>

#include "crypto/signature.hpp"
#include "protocol/block_id.hpp"
#include "util/hex.hpp"

namespace bts::protocol {

void transaction::set_reference_block(const block_id_type& block_id) {
  ref_block_num = static_cast<std::uint16_t>(block_num_from_id(block_id) & 0xffff);
  ref_block_prefix = ref_block_prefix_from_id(block_id);
}

void transaction::pack_unsigned(std::vector<std::uint8_t>& out) const {
  writer w(out);
  protocol::pack(w, *this);
}

std::vector<std::uint8_t> transaction::pack_unsigned() const {
  std::vector<std::uint8_t> out;
  pack_unsigned(out);
  return out;
}

digest_type transaction::digest() const { return crypto::sha256(pack_unsigned()); }

digest_type transaction::sig_digest(const chain_id_type& chain_id) const {
  std::vector<std::uint8_t> buffer(chain_id.begin(), chain_id.end());
  pack_unsigned(buffer);
  return crypto::sha256(buffer);
}

transaction_id_type transaction::id() const {
  const digest_type full = digest();
  transaction_id_type out;
  std::copy_n(full.begin(), out.size(), out.begin());
  return out;
}

const signature_type& signed_transaction::sign(const crypto::private_key& key,
                                               const chain_id_type& chain_id) {
  signatures.push_back(crypto::sign_compact(key, sig_digest(chain_id)));
  return signatures.back();
}

std::vector<public_key_type> signed_transaction::get_signature_keys(
    const chain_id_type& chain_id) const {
  const digest_type digest = sig_digest(chain_id);
  std::vector<public_key_type> keys;
  keys.reserve(signatures.size());
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    const std::string where = "signatures[" + std::to_string(i) + "]";
    const auto key = crypto::recover(signatures[i], digest, /*require_canonical=*/true);
    if (!key) throw input_error(where, "signature is not canonical or does not recover");
    // bitshares-core: "Duplicate Signature detected".
    if (std::find(keys.begin(), keys.end(), *key) != keys.end()) {
      throw input_error(where, "duplicate signature: the key already signed");
    }
    keys.push_back(*key);
  }
  return keys;
}

void signed_transaction::pack(std::vector<std::uint8_t>& out) const {
  writer w(out);
  protocol::pack(w, *this);
}

std::vector<std::uint8_t> signed_transaction::pack() const {
  std::vector<std::uint8_t> out;
  pack(out);
  return out;
}

signed_transaction unpack_transaction(std::span<const std::uint8_t> data, bool* has_signatures) {
  reader r(data);
  signed_transaction tx;
  unpack(r, static_cast<transaction&>(tx));
  const bool signed_form = !r.at_end();
  if (signed_form) {
    try {
      unpack(r, tx.signatures);
    } catch (const input_error& e) {
      throw e.within("signatures");
    }
    if (!r.at_end()) {
      throw input_error(std::to_string(r.remaining()) + " trailing bytes after the transaction at byte " +
                        std::to_string(r.position()));
    }
  }
  if (has_signatures != nullptr) *has_signatures = signed_form;
  return tx;
}

signed_transaction transaction_from_json(const boost::json::value& json,
                                         const json_read_options& options) {
  signed_transaction tx;
  from_json(json, tx, options);
  return tx;
}

boost::json::value transaction_to_json(const signed_transaction& tx,
                                       const json_write_options& options) {
  return to_json(tx, options);
}

chain_id_type chain_id_from_hex(std::string_view hex) {
  chain_id_type out;
  try {
    from_hex_exact(hex, out);
  } catch (const input_error& e) {
    throw input_error("chain id must be 32 bytes of hex: " + e.problem());
  }
  return out;
}

}  // namespace bts::protocol
