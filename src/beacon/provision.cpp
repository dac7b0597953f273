#include "beacon/provision.hpp"

#include <sys/stat.h>
#include <boost/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "beacon/chain_context.hpp"
#include "beacon/fee_budget.hpp"
#include "protocol/transaction.hpp"
#include "rpc/blocking_client.hpp"
#include "util/error.hpp"

namespace bts::beacon {

namespace json = boost::json;
using namespace std::chrono_literals;

json::object provision_report::to_json() const {
  json::array sk;
  for (const auto& s : skipped) sk.emplace_back(s);
  json::object o{{"claimed", claimed},
                 {"claimed_core", claimed_core},
                 {"existing", existing},
                 {"created", created},
                 {"funded", funded},
                 {"issued", issued},
                 {"asset_created", asset_created},
                 {"fund", fund},
                 {"skipped", std::move(sk)},
                 {"accounts_file", accounts_file}};
  if (!fee_budget.empty()) o["fee_budget"] = fee_budget;
  return o;
}

namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

class node_session {
 public:
  explicit node_session(const provision_options& o) : o_(o), client_(make_options(o)) {
    if (!client_.wait_connected(10s))
      throw input_error(o.node, "cannot connect: " + client_.async().last_error());
    chain_id_ = protocol::chain_id_from_hex(json::value_to<std::string>(db("get_chain_id", {})));
    params_ = parse_global_properties(db("get_global_properties", {}));
    if (auto cfg = client_.call("database", "get_config", {});
        cfg.ok() && cfg.value().is_object()) {
      if (const auto* p = cfg.value().as_object().if_contains("GRAPHENE_ADDRESS_PREFIX");
          p && p->is_string()) {
        prefix_ = std::string(p->as_string());
      }
    }
  }

  json::value db(std::string_view method, json::array params) {
    auto r = client_.call("database", method, std::move(params));
    if (!r) throw input_error(o_.node, std::string(method) + ": " + r.error().to_string());
    return std::move(r).value();
  }

  // Signs with `key` and broadcasts `ops` in transactions of at most `per_tx` operations.
  void broadcast(std::vector<protocol::operation> ops, const crypto::private_key& key,
                 std::size_t per_tx = 10) {
    for (std::size_t i = 0; i < ops.size(); i += per_tx) {
      const head_info head =
          parse_dynamic_global_properties(db("get_dynamic_global_properties", {}));
      protocol::signed_transaction tx;
      for (std::size_t j = i; j < std::min(ops.size(), i + per_tx); ++j) {
        protocol::operation op = ops[j];
        const protocol::share_type fee = params_.fees.calculate_fee(op);
        std::visit([&](auto& body) { body.fee = {fee, protocol::asset_id_type{0}}; }, op.value);
        tx.operations.push_back(std::move(op));
      }
      tx.set_reference_block(head.head_block_id);
      tx.set_expiration({head.head_time + 60});
      tx.sign(key, chain_id_);
      auto r = client_.call("network_broadcast", "broadcast_transaction",
                            {protocol::transaction_to_json(tx, {prefix_})});
      if (!r) throw input_error(o_.node, "broadcast_transaction: " + r.error().to_string());
    }
  }

  // Polls `done` until it returns true or the wait runs out.
  template <class F>
  void wait_for(const std::string& what, F&& done) {
    const auto deadline = std::chrono::steady_clock::now() + o_.wait;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw input_error(o_.node, "timed out waiting for " + what);
      std::this_thread::sleep_for(250ms);
    }
  }

  const std::string& prefix() const { return prefix_; }
  const chain_parameters& parameters() const { return params_; }
  const std::string& node() const { return o_.node; }

 private:
  static rpc::client_options make_options(const provision_options& o) {
    rpc::client_options co;
    co.url = o.node;
    co.call_timeout = 30s;
    return co;
  }

  const provision_options& o_;
  rpc::blocking_client client_;
  protocol::chain_id_type chain_id_{};
  chain_parameters params_;
  std::string prefix_ = "BTS";
};

std::optional<std::uint64_t> account_id(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  return protocol::parse_object_id(json::value_to<std::string>(v.as_object().at("id")), 1, 2);
}

std::int64_t balance_of(node_session& n, std::uint64_t account, std::uint64_t asset) {
  const json::value b = n.db("get_account_balances", {"1.2." + std::to_string(account),
                                                      json::array{"1.3." + std::to_string(asset)}});
  for (const auto& e : b.as_array()) {
    const auto& o = e.as_object();
    if (json::value_to<std::string>(o.at("asset_id")) == "1.3." + std::to_string(asset)) {
      return protocol::read_json_signed(o.at("amount"), INT64_MIN, INT64_MAX, "int64");
    }
  }
  return 0;
}

void write_accounts_file(const std::string& path, const std::vector<account_entry>& accounts) {
  const std::string tmp = path + ".tmp";
  {
    const mode_t old = ::umask(077);
    std::ofstream f(tmp, std::ios::trunc);
    ::umask(old);
    if (!f)
      throw input_error("--accounts-out " + path,
                        std::string("cannot write: ") + std::strerror(errno));
    f << format_accounts(accounts);
    if (!f.flush()) throw input_error("--accounts-out " + path, "write failed");
  }
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, path);
}

// The genesis balance objects owned by the address of `key`, as get_balance_objects lists them.
json::array genesis_balances(node_session& n, const crypto::private_key& key) {
  const protocol::address owner{crypto::to_address(key.get_public_key())};
  const json::value list =
      n.db("get_balance_objects", {json::array{protocol::to_json(owner, {n.prefix()})}});
  if (!list.is_array()) throw input_error(n.node(), "get_balance_objects: expected an array");
  return list.as_array();
}

void claim_genesis_balances(node_session& n, const provision_options& o,
                            std::uint64_t registrar_id, const crypto::private_key& key,
                            provision_report& report) {
  const json::array found = genesis_balances(n, key);
  if (found.empty()) return;
  if (!o.claim_genesis_balance) {
    if (balance_of(n, registrar_id, 0) > 0) return;
    throw input_error("--registrar " + o.registrar,
                      "holds no core asset, but its key owns " + std::to_string(found.size()) +
                          " unclaimed genesis balance(s) on " + o.node +
                          ": pass --claim-genesis-balance to claim them first");
  }
  std::vector<protocol::operation> claims;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::string where = "get_balance_objects[" + std::to_string(i) + "]";
    protocol::balance_claim_operation op;
    try {
      const auto& b = protocol::expect_object(found[i]);
      op.balance_to_claim.instance = protocol::parse_object_id(
          protocol::expect_string(b.at("id")), 1, 15);
      protocol::from_json(b.at("balance"), op.total_claimed);
    } catch (const input_error& e) {
      throw input_error(o.node, e.within(where).what());
    } catch (const std::out_of_range&) {
      throw input_error(o.node, where + ": expected members id and balance");
    }
    op.deposit_to_account.instance = registrar_id;
    op.balance_owner_key = key.get_public_key();
    if (op.total_claimed.asset_id.instance == 0) report.claimed_core += op.total_claimed.amount;
    claims.push_back(op);
  }
  n.broadcast(std::move(claims), key);
  n.wait_for("the genesis balance claims", [&] { return genesis_balances(n, key).empty(); });
  report.claimed = static_cast<std::uint32_t>(found.size());
}

// The registrar's key: the first line of the WIF file that is not empty or a # comment.
crypto::private_key read_registrar_key(const provision_options& o) {
  std::string wif;
  std::ifstream f(o.registrar_wif_file);
  if (!f)
    throw input_error("--registrar-wif-file " + o.registrar_wif_file,
                      std::string("cannot open: ") + std::strerror(errno));
  std::string line;
  while (std::getline(f, line)) {
    line = trim(line);
    if (!line.empty() && line[0] != '#') {
      wif = line;
      break;
    }
  }
  try {
    return crypto::private_key::from_wif(wif);
  } catch (const input_error& e) {
    throw input_error("--registrar-wif-file " + o.registrar_wif_file, e.problem());
  }
}

// Keys of accounts made before (the accounts file, if it exists).
std::map<std::string, crypto::private_key> known_keys(const provision_options& o) {
  std::map<std::string, crypto::private_key> known;
  if (std::filesystem::exists(o.accounts_out)) {
    std::ifstream f(o.accounts_out);
    std::stringstream text;
    text << f.rdbuf();
    for (auto& e : parse_accounts(text.str(), o.accounts_out)) known.emplace(e.name, e.key);
  }
  return known;
}

// Chooses N names: existing ones with known keys, free ones to create (appended to to_create).
std::vector<account_entry> choose_accounts(node_session& n, const provision_options& o,
                                           const std::map<std::string, crypto::private_key>& known,
                                           std::vector<account_entry>& to_create,
                                           provision_report& report) {
  std::vector<account_entry> chosen;
  for (std::uint32_t i = 0; chosen.size() < o.count && i < o.count * 4 + 100; ++i) {
    const std::string name = o.name_prefix + std::to_string(i);
    const json::value found = n.db("lookup_account_names", {json::array{json::value(name)}});
    const bool exists = account_id(found.as_array().at(0)).has_value();
    const auto k = known.find(name);
    if (exists && k != known.end()) {
      chosen.push_back({name, k->second});
      ++report.existing;
    } else if (exists) {
      report.skipped.push_back(name);
    } else {
      const auto key = k != known.end() ? k->second : crypto::private_key::generate();
      chosen.push_back({name, key});
      to_create.push_back({name, key});
    }
  }
  return chosen;
}

void create_accounts(node_session& n, std::uint64_t registrar_id,
                     const crypto::private_key& registrar_key,
                     const std::vector<account_entry>& to_create, provision_report& report) {
  if (to_create.empty()) return;
  std::vector<protocol::operation> ops;
  for (const auto& a : to_create) {
    protocol::account_create_operation op;
    op.registrar.instance = registrar_id;
    op.referrer.instance = registrar_id;
    op.name = a.name;
    const auto pub = a.key.get_public_key();
    op.owner.weight_threshold = 1;
    op.owner.key_auths.insert({pub, 1});
    op.active = op.owner;
    op.options.memo_key = pub;
    ops.push_back(op);
  }
  n.broadcast(std::move(ops), registrar_key);
  n.wait_for("the new accounts", [&] {
    const json::value last =
        n.db("lookup_account_names", {json::array{json::value(to_create.back().name)}});
    return account_id(last.as_array().at(0)).has_value();
  });
  report.created = static_cast<std::uint32_t>(to_create.size());
}

// Tops up every account holding less than `below` to `fund`.
void fund_accounts(node_session& n, std::int64_t fund, std::int64_t below,
                   std::uint64_t registrar_id, const crypto::private_key& registrar_key,
                   const std::vector<std::uint64_t>& ids, provision_report& report) {
  std::vector<protocol::operation> transfers;
  std::size_t last_funded = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto bal = balance_of(n, ids[i], 0);
    if (bal < below) {
      protocol::transfer_operation t;
      t.from.instance = registrar_id;
      t.to.instance = ids[i];
      t.amount = {fund - bal, protocol::asset_id_type{0}};
      transfers.push_back(t);
      last_funded = i;
    }
  }
  if (transfers.empty()) return;
  report.funded = static_cast<std::uint32_t>(transfers.size());
  n.broadcast(std::move(transfers), registrar_key);
  n.wait_for("the funding transfers", [&] { return balance_of(n, ids[last_funded], 0) >= below; });
}

// What each account needs for the scenario: its share of the budget, raised by three standard
// deviations of its transaction count (each transaction's payer is drawn at random, so one
// account of few pays for more than its share), plus the margin.
std::int64_t scenario_fund(const node_session& n, const provision_options& o,
                           provision_report& report) {
  const scenarios::scenario& sc = *o.for_scenario;
  const fee_budget b = compute_fee_budget(sc, n.parameters(), {}, 0, o.count);
  if (!b.transactions) {
    throw input_error("--for-scenario " + o.for_scenario_source,
                      b.basis + ": give the scenario a duration or a count to fund it");
  }
  report.fee_budget = b.to_json();
  report.fee_budget.erase("held");
  report.fee_budget.erase("affordable");
  const double per_account = static_cast<double>(*b.transactions) / o.count;
  const double spread =
      per_account > 0 ? (per_account + 3 * std::sqrt(per_account)) / per_account : 1;
  const double share = static_cast<double>(b.needed()) / o.count * spread * (1 + o.budget_margin);
  return std::max<std::int64_t>({1, o.min_fund, static_cast<std::int64_t>(std::ceil(share))});
}

// The test asset, created if missing and issued to every account holding none.
void issue_test_asset(node_session& n, const provision_options& o, std::uint64_t registrar_id,
                      const crypto::private_key& registrar_key,
                      const std::vector<std::uint64_t>& ids, provision_report& report) {
  auto lookup = [&]() -> std::optional<std::uint64_t> {
    const json::value a = n.db("lookup_asset_symbols", {json::array{json::value(o.asset_symbol)}});
    const auto& v = a.as_array().at(0);
    if (!v.is_object()) return std::nullopt;
    return protocol::parse_object_id(json::value_to<std::string>(v.as_object().at("id")), 1, 3);
  };
  auto asset = lookup();
  if (!asset) {
    protocol::asset_create_operation op;
    op.issuer.instance = registrar_id;
    op.symbol = o.asset_symbol;
    op.precision = 5;
    op.common_options.core_exchange_rate = {{1, protocol::asset_id_type{0}},
                                            {1, protocol::asset_id_type{1}}};
    op.common_options.description = "bts-infra beacon test asset";
    n.broadcast({op}, registrar_key);
    n.wait_for("asset " + o.asset_symbol, [&] { return lookup().has_value(); });
    asset = lookup();
    report.asset_created = true;
  }
  std::vector<protocol::operation> issues;
  std::size_t last = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (balance_of(n, ids[i], *asset) == 0) {
      protocol::asset_issue_operation op;
      op.issuer.instance = registrar_id;
      op.asset_to_issue = {o.asset_issue, protocol::asset_id_type{*asset}};
      op.issue_to_account.instance = ids[i];
      issues.push_back(op);
      last = i;
    }
  }
  if (issues.empty()) return;
  report.issued = static_cast<std::uint32_t>(issues.size());
  n.broadcast(std::move(issues), registrar_key);
  n.wait_for("the asset issues", [&] { return balance_of(n, ids[last], *asset) > 0; });
}

}  // namespace

provision_report provision(const provision_options& o) {
  provision_report report;
  report.accounts_file = o.accounts_out;
  if (o.count == 0) throw input_error("--count", "must be > 0");
  const crypto::private_key registrar_key = read_registrar_key(o);
  const std::map<std::string, crypto::private_key> known = known_keys(o);

  node_session n(o);
  const json::value reg = n.db("lookup_account_names", {json::array{json::value(o.registrar)}});
  const auto registrar_id = account_id(reg.as_array().at(0));
  if (!registrar_id)
    throw input_error("--registrar", "account " + o.registrar + " not found on " + o.node);

  // The scenario's funding first: an unbounded scenario is refused before anything is created.
  report.fund = o.for_scenario ? scenario_fund(n, o, report) : o.fund;
  claim_genesis_balances(n, o, *registrar_id, registrar_key, report);

  std::vector<account_entry> to_create;
  const std::vector<account_entry> chosen = choose_accounts(n, o, known, to_create, report);
  // Write the file before broadcasting: keys of accounts about to exist must never be lost.
  write_accounts_file(o.accounts_out, chosen);
  create_accounts(n, *registrar_id, registrar_key, to_create, report);

  // Ids of every chosen account.
  std::vector<std::uint64_t> ids;
  for (const auto& a : chosen) {
    const json::value found = n.db("lookup_account_names", {json::array{json::value(a.name)}});
    const auto id = account_id(found.as_array().at(0));
    if (!id) throw input_error(o.node, "account " + a.name + " did not appear");
    ids.push_back(*id);
  }
  // For a scenario every account below its need is topped up; else those below half of `fund`.
  fund_accounts(n, report.fund, o.for_scenario ? report.fund : o.fund / 2, *registrar_id,
                registrar_key, ids, report);
  if (!o.asset_symbol.empty()) issue_test_asset(n, o, *registrar_id, registrar_key, ids, report);
  return report;
}

}  // namespace bts::beacon
