// bts-infra's half of the bitsharesjs cross-check (see run.sh).
//
//   oracle_check IN.json OUT.json
// For every transaction bitsharesjs generated: parse its JSON, require the same unsigned bytes
// and id as bitsharesjs, require bitsharesjs's signature to be canonical and to recover to the
// signer, then sign it ourselves and write our signature and JSON form for bitsharesjs to check.
// Exits 1 listing the first mismatches; prints a count line on success.
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "crypto/keys.hpp"
#include "crypto/signature.hpp"
#include "protocol/transaction.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace json = boost::json;
using namespace bts;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: oracle_check IN.json OUT.json\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  json::array entries = json::parse(text.str()).as_array();

  int failures = 0;
  std::set<std::int64_t> tags;
  auto fail = [&](std::int64_t index, const std::string& what) {
    if (failures++ < 10) std::cerr << "oracle_check: transaction " << index << ": " << what << "\n";
  };
  for (json::value& value : entries) {
    json::object& e = value.as_object();
    const std::int64_t index = e.at("index").as_int64();
    try {
      const auto chain_id = protocol::chain_id_from_hex(e.at("chain_id").as_string());
      protocol::signed_transaction tx = protocol::transaction_from_json(e.at("tx"));
      for (const auto& op : e.at("tx").at("operations").as_array()) {
        tags.insert(op.as_array().at(0).as_int64());
      }
      const std::string unsigned_hex = to_hex(tx.pack_unsigned());
      if (unsigned_hex != e.at("unsigned_hex").as_string()) {
        fail(index, "unsigned bytes differ:\n  bts-infra   " + unsigned_hex +
                        "\n  bitsharesjs " + std::string(e.at("unsigned_hex").as_string()));
        continue;
      }
      if (to_hex(tx.id()) != e.at("id").as_string()) fail(index, "transaction id differs");
      const auto digest = tx.sig_digest(chain_id);
      if (to_hex(digest) != e.at("digest").as_string()) fail(index, "signing digest differs");

      crypto::compact_signature js_sig{};
      from_hex_exact(e.at("js_signature").as_string(), js_sig);
      const auto signer = crypto::public_key_from_string(e.at("signer_public_key").as_string());
      const auto recovered = crypto::recover(js_sig, digest);
      if (!recovered || !(*recovered == signer)) {
        fail(index, "bitsharesjs's signature does not recover to the signer in bts-infra");
      }

      const auto key = crypto::private_key::from_wif(e.at("signer_wif").as_string());
      tx.sign(key, chain_id);
      e["cpp_signature"] = to_hex(tx.signatures.back());
      e["cpp_json"] = protocol::transaction_to_json(tx);
    } catch (const std::exception& ex) {
      fail(index, std::string("bts-infra rejected it: ") + ex.what());
    }
  }
  std::ofstream(argv[2]) << json::serialize(entries);
  std::cout << "oracle_check: " << entries.size() << " transactions over " << tags.size()
            << " operation types: bytes, ids and bitsharesjs signatures checked in bts-infra, "
            << failures << " failures\n";
  return failures == 0 ? 0 : 1;
}
