// Transaction and block processing (bitshares-core db_block.cpp, db_update.cpp,
// db_witness_schedule.cpp, the parts of db_maint.cpp the devnet needs).
#include <algorithm>
#include <cstring>

#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "chain/database.hpp"
#include "chain/detail/authority.hpp"
#include "chain/detail/evaluation.hpp"
#include "chain/detail/validate.hpp"
#include "crypto/hash.hpp"
#include "protocol/block_id.hpp"
#include "protocol/wire.hpp"
#include "crypto/signature.hpp"
#include "util/hex.hpp"

namespace bts::chain {
namespace {

using protocol::varint_size;

std::size_t result_packed_size(const operation_result& r) {
  switch (r.which()) {
    case 0:
      return 1;
    case 1:
      return 1 + 8;
    default: {
      const auto* a = r.get_if<protocol::asset>();
      return 1 + 8 + varint_size(a->asset_id.instance);
    }
  }
}

std::size_t processed_size(const precomputed_transaction& trx,
                           const processed_transaction& processed) {
  std::size_t size = trx.packed_size + varint_size(processed.operation_results.size());
  for (const auto& r : processed.operation_results) size += result_packed_size(r);
  return size;
}

boost::json::value time_json(time_point_sec t) { return protocol::to_json(t); }

}  // namespace

// ---- transactions ----------------------------------------------------------------------------

std::shared_ptr<const precomputed_transaction> database::precompute(
    protocol::signed_transaction trx) const {
  detail::validate_transaction(trx);
  auto out = std::make_shared<precomputed_transaction>();
  std::vector<std::uint8_t> buffer(chain_id().begin(), chain_id().end());
  buffer.reserve(256);
  trx.pack_unsigned(buffer);
  out->sig_digest = crypto::sha256(buffer);
  const auto digest =
      crypto::sha256(std::span<const std::uint8_t>(buffer).subspan(chain_id().size()));
  std::copy_n(digest.begin(), out->id.size(), out->id.begin());
  out->packed_size = buffer.size() - chain_id().size() + varint_size(trx.signatures.size()) +
                     trx.signatures.size() * sizeof(signature_type);
  out->signees.reserve(trx.signatures.size());
  for (const auto& sig : trx.signatures) {
    // fc::ecc::public_key(compact_signature, digest, check_canonical = true)
    if (sig[0] < 27 || sig[0] >= 35) {
      throw_error(fc_kind::unspecified, "public_key",
                  "unable to reconstruct public key from signature");
    }
    if (!crypto::is_canonical(sig)) {
      throw_assert("is_canonical( c )", "public_key", "signature is not canonical");
    }
    const auto key = crypto::recover(sig, out->sig_digest, /*require_canonical=*/false);
    if (!key) {
      throw_assert(
          "secp256k1_ecdsa_recover_compact( detail::_get_context(), (unsigned char*) "
          "digest.data(), "
          "(unsigned char*) c.begin() + 1, (unsigned char*) my->_key.begin(), (int*) &pk_len, 1, "
          "(*c.begin() - 27) & 3 )",
          "public_key");
    }
    if (std::find(out->signees.begin(), out->signees.end(), *key) != out->signees.end()) {
      throw_error(fc_kind::tx_duplicate_sig, "get_signature_keys", "Duplicate Signature detected");
    }
    out->signees.push_back(*key);
  }
  out->trx = std::move(trx);
  return out;
}

std::shared_ptr<const produced_block> import_block(signed_block block,
                                                   const chain_id_type& chain_id) {
  auto out = std::make_shared<produced_block>();
  out->transactions.reserve(block.transactions.size());
  for (const auto& trx : block.transactions) {
    auto p = std::make_shared<precomputed_transaction>();
    std::vector<std::uint8_t> buffer(chain_id.begin(), chain_id.end());
    trx.pack_unsigned(buffer);
    p->sig_digest = crypto::sha256(buffer);
    const auto digest =
        crypto::sha256(std::span<const std::uint8_t>(buffer).subspan(chain_id.size()));
    std::copy_n(digest.begin(), p->id.size(), p->id.begin());
    p->packed_size = buffer.size() - chain_id.size() + varint_size(trx.signatures.size()) +
                     trx.signatures.size() * sizeof(signature_type);
    p->trx = trx;
    out->transactions.push_back(std::move(p));
  }
  out->id = block.id();
  out->packed_size = packed_size(block);
  out->block = std::move(block);
  return out;
}

namespace {

struct authority_lookup {
  const database& db;
  const account_object& account(account_id_type id) const {
    const account_object* a = db.find_account(id);
    if (a == nullptr) {
      throw_assert("maybe_found != nullptr", "get", "Unable to find Object ${id}",
                   {{"id", object_id_type::of(id).to_string()}});
    }
    return *a;
  }
  std::function<const authority&(account_id_type)> active() const {
    return [this](account_id_type id) -> const authority& { return account(id).active; };
  }
  std::function<const authority&(account_id_type)> owner() const {
    return [this](account_id_type id) -> const authority& { return account(id).owner; };
  }
};

}  // namespace

std::vector<public_key_type> database::get_required_signatures(
    const precomputed_transaction& trx, const std::vector<public_key_type>& available) const {
  const authority_lookup lookup{*this};
  return detail::get_required_signatures(trx.trx.operations, trx.signees, available,
                                         lookup.active(), lookup.owner(),
                                         parameters().max_authority_depth);
}

std::vector<public_key_type> database::get_potential_signatures(
    const protocol::transaction& trx) const {
  const authority_lookup lookup{*this};
  return detail::get_potential_signatures(trx.operations, lookup.active(), lookup.owner());
}

void database::verify_authority(const precomputed_transaction& trx) const {
  const authority_lookup lookup{*this};
  detail::verify_authority(trx.trx.operations, trx.signees, lookup.active(), lookup.owner(),
                           parameters().max_authority_depth);
}

database::block_context database::pending_context() const {
  return {head_block_num() + 1,
          time_point_sec{head_block_time().sec_since_epoch + parameters().block_interval}};
}

processed_transaction database::push_transaction(
    const std::shared_ptr<const precomputed_transaction>& trx) {
  if (trx->packed_size >= config::hard_max_transaction_size) {
    throw_assert("fc::raw::pack_size(trx) < (1024 * 1024)", "push_transaction",
                 "Transaction exceeds maximum transaction size.");
  }
  if (!pending_session_) {
    undo_.begin();
    pending_session_ = true;
  }
  undo_session temp(undo_);
  processed_transaction processed = apply_transaction(*trx, skip_nothing, pending_context());
  temp.merge();
  pending_.push_back({trx, processed});
  return processed;
}

processed_transaction database::validate_transaction(const precomputed_transaction& trx) {
  undo_session scratch(undo_);
  return apply_transaction(trx, skip_nothing, pending_context());
}

processed_transaction database::apply_transaction(const precomputed_transaction& ptx,
                                                  std::uint32_t skip,
                                                  const block_context& context) {
  const auto& trx = ptx.trx;
  detail::validate_transaction(trx);
  if (!(skip & skip_transaction_dupe_check) && recent_transactions_.contains(ptx.id)) {
    throw_error(fc_kind::duplicate_transaction, "_apply_transaction",
                "Transaction '${txid}' is already in the database", {{"txid", to_hex(ptx.id)}});
  }
  const auto& params = parameters();
  if (!(skip & skip_transaction_signatures)) {
    const auto lookup = [this](account_id_type id) -> const account_object& {
      const account_object* a = find_account(id);
      if (a == nullptr) {
        throw_assert("maybe_found != nullptr", "get", "Unable to find Object ${id}",
                     {{"id", object_id_type::of(id).to_string()}});
      }
      return *a;
    };
    const std::function<const authority&(account_id_type)> get_active =
        [&](account_id_type id) -> const authority& { return lookup(id).active; };
    const std::function<const authority&(account_id_type)> get_owner =
        [&](account_id_type id) -> const authority& { return lookup(id).owner; };
    detail::verify_authority(trx.operations, ptx.signees, get_active, get_owner,
                             params.max_authority_depth);
  }
  if (head_block_num() > 0) {
    if (!(skip & skip_tapos_check)) {
      const auto& summary = block_summaries_[trx.ref_block_num];
      const std::uint32_t prefix = protocol::ref_block_prefix_from_id(summary);
      if (trx.ref_block_prefix != prefix) {
        throw_assert("trx.ref_block_prefix == tapos_block_summary.block_id._hash[1].value()",
                     "_apply_transaction");
      }
    }
    const time_point_sec now = head_block_time();
    const std::uint64_t latest =
        std::uint64_t(now.sec_since_epoch) + params.maximum_time_until_expiration;
    if (trx.expiration.sec_since_epoch > latest) {
      throw_assert("trx.expiration <= now + chain_parameters.maximum_time_until_expiration",
                   "_apply_transaction", "",
                   {{"trx.expiration", time_json(trx.expiration)},
                    {"now", time_json(now)},
                    {"max_til_exp", params.maximum_time_until_expiration}});
    }
    if (now > trx.expiration) {
      throw_assert("now <= trx.expiration", "_apply_transaction", "",
                   {{"now", time_json(now)}, {"trx.exp", time_json(trx.expiration)}});
    }
    // trx.get_packed_size() is precomputable_transaction's: transaction::get_packed_size(), the
    // size WITHOUT the signatures (the 1 MiB limit above counts them, this one does not).
    const std::size_t unsigned_size = ptx.packed_size - varint_size(trx.signatures.size()) -
                                      trx.signatures.size() * sizeof(signature_type);
    if (!(skip & skip_block_size_check) && unsigned_size > params.maximum_transaction_size) {
      throw_assert(
          "head_block_time() <= HARDFORK_CORE_1573_TIME || trx.get_packed_size() <= "
          "chain_parameters.maximum_transaction_size",
          "_apply_transaction", "Transaction exceeds maximum transaction size.");
    }
  }
  if (!(skip & skip_transaction_dupe_check)) {
    recent_transactions_.emplace(ptx.id, trx.expiration.sec_since_epoch);
    recent_transactions_by_expiration_.insert({trx.expiration.sec_since_epoch, ptx.id});
    undo_.record([this, id = ptx.id, exp = trx.expiration.sec_since_epoch] {
      recent_transactions_.erase(id);
      recent_transactions_by_expiration_.erase({exp, id});
    });
  }
  processed_transaction out;
  static_cast<protocol::signed_transaction&>(out) = trx;
  out.operation_results.reserve(trx.operations.size());
  for (const auto& op : trx.operations) {
    out.operation_results.push_back(evaluation::apply(*this, op, context));
  }
  return out;
}

void database::clear_pending_state() {
  if (pending_session_) {
    undo_.undo();
    pending_session_ = false;
  }
}

void database::repush_pending(std::vector<pending_transaction> old_pending) {
  for (auto& p : old_pending) {
    try {
      push_transaction(p.trx);
    } catch (const chain_error&) {
      // In the block now, expired, or no longer valid: dropped, as bitshares-core does.
    }
  }
}

// ---- witness schedule -----------------------------------------------------------------------

time_point_sec database::get_slot_time(std::uint32_t slot_num) const {
  if (slot_num == 0) return time_point_sec{};
  const std::uint32_t interval = parameters().block_interval;
  if (head_block_num() == 0) {
    // The first block is at genesis time plus one block interval.
    return time_point_sec{head_block_time().sec_since_epoch + slot_num * interval};
  }
  const std::uint64_t head_abs_slot = head_block_time().sec_since_epoch / interval;
  const std::uint64_t head_slot_time = head_abs_slot * interval;
  if (dynamic_properties_.dynamic_flags & config::maintenance_flag) {
    slot_num += parameters().maintenance_skip_slots;
  }
  return time_point_sec{
      static_cast<std::uint32_t>(head_slot_time + std::uint64_t(slot_num) * interval)};
}

std::uint32_t database::get_slot_at_time(time_point_sec when) const {
  const time_point_sec first = get_slot_time(1);
  if (when < first) return 0;
  return (when.sec_since_epoch - first.sec_since_epoch) / parameters().block_interval + 1;
}

witness_id_type database::get_scheduled_witness(std::uint32_t slot_num) const {
  const auto& shuffled = witness_schedule_.current_shuffled_witnesses;
  const std::uint64_t aslot = dynamic_properties_.current_aslot + slot_num;
  return shuffled[aslot % shuffled.size()];
}

void database::update_witness_schedule() {
  const auto& active = global_properties_.active_witnesses;
  if (head_block_num() % active.size() != 0) return;
  modify_singleton<witness_schedule_object>(witness_schedule_, [&](witness_schedule_object& wso) {
    auto& w = wso.current_shuffled_witnesses;
    w.assign(active.begin(), active.end());
    const std::uint64_t now_hi = std::uint64_t(head_block_time().sec_since_epoch) << 32;
    for (std::uint32_t i = 0; i < w.size(); ++i) {
      // xorshift, as db_witness_schedule.cpp
      std::uint64_t k = now_hi + std::uint64_t(i) * 2685821657736338717ULL;
      k ^= (k >> 12);
      k ^= (k << 25);
      k ^= (k >> 27);
      k *= 2685821657736338717ULL;
      const std::uint32_t jmax = static_cast<std::uint32_t>(w.size()) - i;
      const std::uint32_t j = i + static_cast<std::uint32_t>(k % jmax);
      std::swap(w[i], w[j]);
    }
  });
}

void database::update_last_irreversible_block() {
  std::vector<std::uint32_t> confirmed;
  for (const auto& id : global_properties_.active_witnesses) {
    confirmed.push_back(witnesses_[id.instance].last_confirmed_block_num);
  }
  const std::size_t offset = (config::percent_100 - config::irreversible_threshold) *
                             confirmed.size() / config::percent_100;
  std::nth_element(confirmed.begin(), confirmed.begin() + static_cast<std::ptrdiff_t>(offset),
                   confirmed.end());
  const std::uint32_t lib = confirmed[offset];
  if (lib > dynamic_properties_.last_irreversible_block_num) {
    modify_singleton<dynamic_global_property_object>(
        dynamic_properties_, [&](auto& d) { d.last_irreversible_block_num = lib; });
  }
}

// ---- blocks ----------------------------------------------------------------------------------

void database::clear_expired_transactions() {
  const std::uint32_t now = head_block_time().sec_since_epoch;
  while (!recent_transactions_by_expiration_.empty() &&
         now > recent_transactions_by_expiration_.begin()->first) {
    const auto entry = *recent_transactions_by_expiration_.begin();
    recent_transactions_by_expiration_.erase(recent_transactions_by_expiration_.begin());
    recent_transactions_.erase(entry.second);
    undo_.record([this, entry] {
      recent_transactions_.emplace(entry.second, entry.first);
      recent_transactions_by_expiration_.insert(entry);
    });
  }
}

void database::clear_expired_orders() {
  const std::uint32_t now = head_block_time().sec_since_epoch;
  while (!orders_by_expiration_.empty() && orders_by_expiration_.begin()->first <= now) {
    cancel_limit_order(limit_order_id_type{orders_by_expiration_.begin()->second}, true);
  }
}

void database::perform_chain_maintenance(const signed_block& block) {
  const auto& dgp = dynamic_properties_;
  const std::uint32_t interval = parameters().maintenance_interval;
  modify_singleton<global_property_object>(global_properties_, [&](global_property_object& p) {
    // Remove the scaling of the account registration fee.
    auto& params = p.parameters;
    const std::uint32_t steps = dgp.accounts_registered_this_interval /
                                std::max<std::uint32_t>(params.accounts_per_fee_scale, 1);
    if (steps > 0) {
      const std::uint64_t basic = params.current_fees.parameter(5, "basic_fee");
      params.current_fees.set_parameter(5, "basic_fee",
                                        basic >> (params.account_fee_scale_bitshifts * steps));
    }
  });
  modify_singleton<dynamic_global_property_object>(
      dynamic_properties_, [&](dynamic_global_property_object& d) {
        std::uint32_t next = d.next_maintenance_time.sec_since_epoch;
        if (next <= block.timestamp.sec_since_epoch) {
          if (block.block_num() == 1) {
            next = (block.timestamp.sec_since_epoch / interval + 1) * interval;
          } else {
            const std::uint32_t y = (d.time.sec_since_epoch - next) / interval;
            next += (y + 1) * interval;
          }
        }
        d.next_maintenance_time.sec_since_epoch = next;
        d.accounts_registered_this_interval = 0;
        d.last_budget_time = block.timestamp;
        d.last_vote_tally_time = block.timestamp;
      });
}

void database::apply_block_effects(const signed_block& block, const block_id_type& id) {
  const std::uint32_t block_num = block.block_num();
  const bool maint_needed = dynamic_properties_.next_maintenance_time <= block.timestamp;

  // update_witness_missed_blocks
  std::uint32_t missed = get_slot_at_time(block.timestamp);
  if (missed == 0)
    throw_assert("missed_blocks != 0", "update_witness_missed_blocks",
                 "Trying to push double-produced block onto current block?!");
  --missed;
  // Missed slots are charged to their witnesses only when fewer than a full round was missed.
  if (head_block_num() != 0 && missed < witness_schedule_.current_shuffled_witnesses.size()) {
    for (std::uint32_t i = 0; i < missed; ++i) {
      const witness_id_type w = get_scheduled_witness(i + 1);
      if (w != block.witness) {
        auto& wo = witnesses_[w.instance];
        undo_.record(
            [this, i = w.instance, old = wo.total_missed] { witnesses_[i].total_missed = old; });
        ++wo.total_missed;
        note_changed(object_id_type::of(w));
      }
    }
  }

  // update_global_dynamic_data
  modify_singleton<dynamic_global_property_object>(
      dynamic_properties_, [&](dynamic_global_property_object& d) {
        if (block_num == 1) {
          d.recently_missed_count = 0;
        } else if (missed != 0) {
          d.recently_missed_count += config::recently_missed_count_increment * missed;
        } else if (d.recently_missed_count > config::recently_missed_count_increment) {
          d.recently_missed_count -= config::recently_missed_count_decrement;
        } else if (d.recently_missed_count > 0) {
          --d.recently_missed_count;
        }
        d.head_block_number = block_num;
        d.head_block_id = id;
        d.time = block.timestamp;
        d.current_witness = block.witness;
        const unsigned __int128 shifted = (d.recent_slots_filled.value << 1) + 1;
        d.recent_slots_filled.value = missed >= 128 ? 0 : shifted << missed;
        d.current_aslot += std::uint64_t(missed) + 1;
      });

  // update_signing_witness
  {
    auto& wo = witnesses_[block.witness.instance];
    undo_.record([this, i = block.witness.instance, old = wo] { witnesses_[i] = old; });
    wo.last_aslot = dynamic_properties_.current_aslot;
    wo.last_confirmed_block_num = block_num;
    note_changed(object_id_type::of(block.witness));
  }
  update_last_irreversible_block();

  if (maint_needed) perform_chain_maintenance(block);

  // create_block_summary
  {
    const std::size_t slot = block_num & 0xffff;
    undo_.record([this, slot, old = block_summaries_[slot]] { block_summaries_[slot] = old; });
    block_summaries_[slot] = id;
  }
  clear_expired_transactions();
  clear_expired_orders();

  // update_maintenance_flag
  modify_singleton<dynamic_global_property_object>(dynamic_properties_,
                                                   [&](dynamic_global_property_object& d) {
                                                     if (maint_needed) {
                                                       d.dynamic_flags |= config::maintenance_flag;
                                                     } else {
                                                       d.dynamic_flags &= ~config::maintenance_flag;
                                                     }
                                                   });
  update_witness_schedule();
}

void database::store_block(const std::shared_ptr<const produced_block>& block) {
  blocks_.push_back(block);
  blocks_bytes_ += block->packed_size;
  while (blocks_.size() > 1 && blocks_bytes_ > options_.block_history_bytes) {
    blocks_bytes_ -= blocks_.front()->packed_size;
    blocks_.pop_front();
  }
}

std::shared_ptr<const produced_block> database::generate_block(
    time_point_sec when, const crypto::private_key& signing_key) {
  const std::uint32_t slot = get_slot_at_time(when);
  if (slot == 0) throw_assert("slot_num > 0", "_generate_block");
  const witness_id_type witness_id = get_scheduled_witness(slot);
  if (witnesses_[witness_id.instance].signing_key != signing_key.get_public_key()) {
    throw_assert("witness_id(*this).signing_key == block_signing_private_key.get_public_key()",
                 "_generate_block");
  }

  clear_pending_state();
  std::vector<pending_transaction> candidates = std::move(pending_);
  pending_.clear();

  auto produced = std::make_shared<produced_block>();
  signed_block& block = produced->block;
  const std::size_t maximum_block_size = parameters().maximum_block_size;
  std::size_t total_block_size = max_block_header_size(witness_id);
  const block_context context{head_block_num() + 1, when};
  std::vector<pending_transaction> postponed;

  track_changes_ = true;
  changes_ = {};
  undo_session block_session(undo_);
  for (auto& p : candidates) {
    if (total_block_size + processed_size(*p.trx, p.processed) > maximum_block_size) {
      postponed.push_back(std::move(p));
      continue;
    }
    try {
      undo_session temp(undo_);
      processed_transaction ptx = apply_transaction(*p.trx, skip_nothing, context);
      const std::size_t new_total = total_block_size + processed_size(*p.trx, ptx);
      if (new_total > maximum_block_size) {
        postponed.push_back(std::move(p));
        continue;
      }
      temp.merge();
      total_block_size = new_total;
      block.transactions.push_back(std::move(ptx));
      produced->transactions.push_back(p.trx);
    } catch (const chain_error&) {
      // No longer valid (expired, or its funds were spent): not re-applied, as bitshares-core.
    }
  }

  block.previous = head_block_id();
  block.timestamp = when;
  block.witness = witness_id;
  block.transaction_merkle_root = block.calculate_merkle_root();
  block.sign(signing_key);
  produced->id = block.id();
  produced->packed_size = packed_size(block);

  apply_block_effects(block, produced->id);
  block_session.merge();
  track_changes_ = false;
  store_block(produced);
  if (on_applied_block) on_applied_block(produced, changes_);
  repush_pending(std::move(postponed));
  return produced;
}

void database::push_block(const std::shared_ptr<const produced_block>& produced) {
  const signed_block& block = produced->block;
  if (block.previous != head_block_id()) {
    throw_assert(
        "head_block_id() == next_block.previous", "validate_block_header", "",
        {{"head_block_id", to_hex(head_block_id())}, {"next.prev", to_hex(block.previous)}});
  }
  if (!(head_block_time() < block.timestamp)) {
    throw_assert("head_block_time() < next_block.timestamp", "validate_block_header", "",
                 {{"head_block_time", time_json(head_block_time())},
                  {"next", time_json(block.timestamp)},
                  {"blocknum", block.block_num()}});
  }
  clear_pending_state();
  std::vector<pending_transaction> old_pending = std::move(pending_);
  pending_.clear();
  track_changes_ = true;
  changes_ = {};
  try {
    undo_session session(undo_);
    const block_context context{block.block_num(), block.timestamp};
    for (const auto& trx : produced->transactions) {
      apply_transaction(*trx, skip_transaction_signatures, context);
    }
    apply_block_effects(block, produced->id);
    session.merge();
  } catch (...) {
    track_changes_ = false;
    repush_pending(std::move(old_pending));
    throw;
  }
  track_changes_ = false;
  store_block(produced);
  if (on_applied_block) on_applied_block(produced, changes_);
  repush_pending(std::move(old_pending));
}

}  // namespace bts::chain
