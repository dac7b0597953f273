#include "chain/detail/authority.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "chain/chain_error.hpp"
#include "chain/config.hpp"

namespace bts::chain::detail {
namespace {

using namespace protocol;

template <class... Ts>
struct overload : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overload(Ts...) -> overload<Ts...>;

// sign_state of bitshares-core: which provided signatures have been used so far, and which
// accounts are already known to approve.
class sign_state {
 public:
  sign_state(const std::vector<public_key_type>& signees,
             const std::function<const authority&(account_id_type)>& get_active,
             const std::function<const authority&(account_id_type)>& get_owner,
             std::uint32_t max_recursion, const std::vector<public_key_type>& available = {})
      : get_active_(get_active),
        get_owner_(get_owner),
        max_recursion_(max_recursion),
        available_(available) {
    for (const auto& key : signees) provided_.emplace_back(key, false);
    approved_by_.insert(config::temp_account);
  }

  // A key counts if it signed, or (get_required_signatures) if it is available to sign.
  bool signed_by(const public_key_type& key) {
    for (auto& [k, used] : provided_) {
      if (k == key) {
        used = true;
        return true;
      }
    }
    if (std::find(available_.begin(), available_.end(), key) != available_.end()) {
      provided_.emplace_back(key, true);
      return true;
    }
    return false;
  }

  const std::vector<std::pair<public_key_type, bool>>& provided() const { return provided_; }

  bool signed_by(const address& addr) {
    for (auto& [k, used] : provided_) {
      if (crypto::to_address(k) == addr.data) {
        used = true;
        return true;
      }
    }
    return false;
  }

  // check_authority(account_id): active, or owner (non-immediate owner allowed since HF 584).
  bool check_account(account_id_type id) {
    if (approved_by_.contains(id.instance)) return true;
    return check(get_active_(id)) || check(get_owner_(id));
  }

  bool check(const authority& auth, std::uint32_t depth = 0) {
    std::uint32_t total_weight = 0;
    for (const auto& [key, weight] : auth.key_auths) {
      if (signed_by(key)) {
        total_weight += weight;
        if (total_weight >= auth.weight_threshold) return true;
      }
    }
    for (const auto& [addr, weight] : auth.address_auths) {
      if (signed_by(addr)) {
        total_weight += weight;
        if (total_weight >= auth.weight_threshold) return true;
      }
    }
    for (const auto& [account, weight] : auth.account_auths) {
      if (!approved_by_.contains(account.instance)) {
        if (depth == max_recursion_) continue;
        if (check(get_active_(account), depth + 1) || check(get_owner_(account), depth + 1)) {
          approved_by_.insert(account.instance);
          total_weight += weight;
          if (total_weight >= auth.weight_threshold) return true;
        }
      } else {
        total_weight += weight;
        if (total_weight >= auth.weight_threshold) return true;
      }
    }
    return total_weight >= auth.weight_threshold;
  }

  bool remove_unused_signatures() {
    const auto before = provided_.size();
    std::erase_if(provided_, [](const auto& p) { return !p.second; });
    return provided_.size() != before;
  }

 private:
  const std::function<const authority&(account_id_type)>& get_active_;
  const std::function<const authority&(account_id_type)>& get_owner_;
  std::uint32_t max_recursion_;
  const std::vector<public_key_type>& available_;
  std::vector<std::pair<public_key_type, bool>> provided_;
  std::set<std::uint64_t> approved_by_;
};

boost::json::value id_json(account_id_type id) { return to_json(id); }

}  // namespace

required_authorities get_required_authorities(const std::vector<operation>& ops) {
  std::set<std::uint64_t> active;
  std::set<std::uint64_t> owner;
  std::vector<authority> other;
  for (const auto& op : ops) {
    std::visit(
        overload{
            [&](const transfer_operation& o) { active.insert(o.from.instance); },
            [&](const limit_order_create_operation& o) { active.insert(o.seller.instance); },
            [&](const limit_order_cancel_operation& o) {
              active.insert(o.fee_paying_account.instance);
            },
            [&](const call_order_update_operation& o) {
              active.insert(o.funding_account.instance);
            },
            [&](const account_create_operation& o) { active.insert(o.registrar.instance); },
            [&](const account_update_operation& o) {
              // is_owner_update(): changing the owner authority needs the owner.
              if (o.owner || o.extensions.value.owner_special_authority) {
                owner.insert(o.account.instance);
              } else {
                active.insert(o.account.instance);
              }
            },
            [&](const account_upgrade_operation& o) {
              active.insert(o.account_to_upgrade.instance);
            },
            [&](const asset_create_operation& o) { active.insert(o.issuer.instance); },
            [&](const asset_update_operation& o) { active.insert(o.issuer.instance); },
            [&](const asset_issue_operation& o) { active.insert(o.issuer.instance); },
            [&](const asset_reserve_operation& o) { active.insert(o.payer.instance); },
            [&](const asset_fund_fee_pool_operation& o) { active.insert(o.from_account.instance); },
            [&](const override_transfer_operation& o) { active.insert(o.issuer.instance); },
            [&](const balance_claim_operation& o) {
              authority a;
              a.weight_threshold = 1;
              a.key_auths.insert({o.balance_owner_key, 1});
              other.push_back(std::move(a));
            },
        },
        op.value);
  }
  required_authorities out;
  for (const auto i : active) out.active.push_back(account_id_type{i});
  for (const auto i : owner) out.owner.push_back(account_id_type{i});
  out.other = std::move(other);
  return out;
}

void verify_authority(const std::vector<operation>& ops,
                      const std::vector<public_key_type>& signees,
                      const std::function<const authority&(account_id_type)>& get_active,
                      const std::function<const authority&(account_id_type)>& get_owner,
                      std::uint32_t max_recursion_depth) {
  const required_authorities required = get_required_authorities(ops);
  for (const auto& id : required.active) {
    if (id.instance == config::committee_account) {
      throw_error(fc_kind::invalid_committee_approval, "verify_authority",
                  "Committee account may only propose transactions");
    }
  }
  sign_state s(signees, get_active, get_owner, max_recursion_depth);
  for (const auto& auth : required.other) {
    if (!s.check(auth)) {
      throw_error(fc_kind::tx_missing_other_auth, "verify_authority", "Missing Authority",
                  {{"auth", to_json(auth)}});
    }
  }
  for (const auto& id : required.owner) {
    if (!s.check(get_owner(id))) {
      throw_error(fc_kind::tx_missing_owner_auth, "verify_authority",
                  "Missing Owner Authority ${id}",
                  {{"id", id_json(id)}, {"auth", to_json(get_owner(id))}});
    }
  }
  for (const auto& id : required.active) {
    if (!(s.check_account(id) || s.check(get_owner(id)))) {
      throw_error(fc_kind::tx_missing_active_auth, "verify_authority",
                  "Missing Active Authority ${id}",
                  {{"id", id_json(id)},
                   {"auth", to_json(get_active(id))},
                   {"owner", to_json(get_owner(id))}});
    }
  }
  if (s.remove_unused_signatures()) {
    throw_error(fc_kind::tx_irrelevant_sig, "verify_authority",
                "Unnecessary signature(s) detected");
  }
}

std::vector<public_key_type> get_potential_signatures(
    const std::vector<operation>& ops,
    const std::function<const authority&(account_id_type)>& get_active,
    const std::function<const authority&(account_id_type)>& get_owner) {
  std::vector<public_key_type> keys;
  const auto add = [&](const authority& a, const auto& self, int depth) -> void {
    for (const auto& [k, w] : a.key_auths) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
    if (depth > 0) return;
    for (const auto& [acct, w] : a.account_auths) {
      self(get_active(acct), self, depth + 1);
      self(get_owner(acct), self, depth + 1);
    }
  };
  const required_authorities required = get_required_authorities(ops);
  for (const auto& id : required.active) {
    add(get_active(id), add, 0);
    add(get_owner(id), add, 0);
  }
  for (const auto& id : required.owner) add(get_owner(id), add, 0);
  for (const auto& auth : required.other) add(auth, add, 0);
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return crypto::address_less(a, b); });
  return keys;
}

std::vector<public_key_type> get_required_signatures(
    const std::vector<operation>& ops, const std::vector<public_key_type>& signees,
    const std::vector<public_key_type>& available,
    const std::function<const authority&(account_id_type)>& get_active,
    const std::function<const authority&(account_id_type)>& get_owner,
    std::uint32_t max_recursion_depth) {
  const required_authorities required = get_required_authorities(ops);
  sign_state s(signees, get_active, get_owner, max_recursion_depth, available);
  for (const auto& auth : required.other) s.check(auth);
  for (const auto& id : required.owner) s.check(get_owner(id));
  for (const auto& id : required.active) {
    if (!s.check_account(id)) s.check(get_owner(id));
  }
  s.remove_unused_signatures();
  std::vector<public_key_type> out;
  for (const auto& [key, used] : s.provided()) {
    if (std::find(signees.begin(), signees.end(), key) == signees.end()) out.push_back(key);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return crypto::address_less(a, b); });
  return out;
}

}  // namespace bts::chain::detail
