// Basic protocol types of bitshares-core's graphene/protocol/types.hpp and fc, with their wire
// (wire.hpp) and JSON (json.hpp) forms:
//
//   time_point_sec          uint32 seconds          "YYYY-MM-DDTHH:MM:SS"
//   object_id<S, T>         varint instance         "S.T.instance", space/type checked
//   public_key_type         33 bytes                "BTS..." (any prefix in, configurable out)
//   address                 20 bytes                "BTS..." address string
//   vote_id_type            uint32 instance<<8|type "type:instance"
//   void_t                  nothing                 {}
//   static_variant<Ts...>   varint tag + member     [tag, member]
//   flat_set<T>             varint count + sorted   [items...] (sorted)
//   flat_map<K, V>          varint count + sorted   [[key, value], ...] (sorted by key)
//   extension<T>            count + (index, value)  {present fields only}
//   extensions_type         flat_set<static_variant<void_t>>, in practice `00` / []
//
// Sets and maps are kept in bitshares-core's order at all times (bitshares-protocol.md §0.1):
// ids by instance, public keys by graphene address, vote ids by instance, static_variants by
// tag, addresses by bytes. The node re-sorts whatever it receives before hashing, so bytes in
// any other order would be signed over a digest the node never computes. Entries the node
// would consider equal (it silently keeps the first) are rejected as duplicates instead.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/keys.hpp"
#include "crypto/signature.hpp"
#include "protocol/json.hpp"
#include "protocol/reflect.hpp"
#include "protocol/wire.hpp"

namespace bts::protocol {

using share_type = std::int64_t;
using chain_id_type = std::array<std::uint8_t, 32>;
using digest_type = std::array<std::uint8_t, 32>;
using block_id_type = std::array<std::uint8_t, 20>;
using transaction_id_type = std::array<std::uint8_t, 20>;
using signature_type = crypto::compact_signature;
using public_key_type = crypto::public_key;

// ---- time_point_sec ----------------------------------------------------------------------------

struct time_point_sec {
  std::uint32_t sec_since_epoch = 0;

  static constexpr time_point_sec maximum() { return {0xffffffffu}; }
  friend auto operator<=>(const time_point_sec&, const time_point_sec&) = default;
};

template <>
struct raw<time_point_sec> {
  static void write(writer& w, const time_point_sec& t) { pack(w, t.sec_since_epoch); }
  static void read(reader& r, time_point_sec& t) { unpack(r, t.sec_since_epoch); }
};
template <>
struct json_codec<time_point_sec> {
  static boost::json::value to(const time_point_sec& t, const json_write_options&);
  static void from(const boost::json::value& json, time_point_sec& t, const json_read_options&);
};

// ---- typed object ids ------------------------------------------------------------------------

// graphene::db::object_id<SpaceID, TypeID>: only the instance travels on the wire.
template <std::uint8_t Space, std::uint8_t Type>
struct object_id {
  static constexpr std::uint8_t space_id = Space;
  static constexpr std::uint8_t type_id = Type;
  std::uint64_t instance = 0;

  friend auto operator<=>(const object_id&, const object_id&) = default;
};

using account_id_type = object_id<1, 2>;
using asset_id_type = object_id<1, 3>;
using limit_order_id_type = object_id<1, 7>;

// "an account id" etc., for error messages.
std::string_view object_id_kind(std::uint8_t space, std::uint8_t type);
// Parses "S.T.I" requiring S and T; throws input_error("expected an account id (1.2.x)").
std::uint64_t parse_object_id(std::string_view text, std::uint8_t space, std::uint8_t type);

template <std::uint8_t S, std::uint8_t T>
struct raw<object_id<S, T>> {
  static void write(writer& w, const object_id<S, T>& id) { w.write_varint(id.instance); }
  static void read(reader& r, object_id<S, T>& id) { id.instance = r.read_varint(); }
};
template <std::uint8_t S, std::uint8_t T>
struct json_codec<object_id<S, T>> {
  static boost::json::value to(const object_id<S, T>& id, const json_write_options&) {
    return boost::json::string(std::to_string(S) + "." + std::to_string(T) + "." +
                               std::to_string(id.instance));
  }
  static void from(const boost::json::value& json, object_id<S, T>& id, const json_read_options&) {
    const auto* text = json.if_string();
    if (text == nullptr) {
      throw input_error("expected " + std::string(object_id_kind(S, T)) + " (" + std::to_string(S) +
                        "." + std::to_string(T) + ".x)");
    }
    id.instance = parse_object_id(*text, S, T);
  }
};

// ---- keys and addresses ------------------------------------------------------------------------

// public_key_type: 33 raw bytes on the wire. Decoding takes any 33 bytes, as fc does; JSON input
// is checked by bts::crypto (checksum, and a point on the curve or the null key).
template <>
struct raw<crypto::public_key> {
  static void write(writer& w, const crypto::public_key& k) { w.write(k.data.data(), k.data.size()); }
  static void read(reader& r, crypto::public_key& k) { unpack(r, k.data); }
};
template <>
struct json_codec<crypto::public_key> {
  static boost::json::value to(const crypto::public_key& k, const json_write_options& options);
  static void from(const boost::json::value& json, crypto::public_key& k, const json_read_options&);
};

// graphene::protocol::address: ripemd160(sha512(pub33)).
struct address {
  crypto::address data{};
  friend auto operator<=>(const address&, const address&) = default;
};
template <>
struct raw<address> {
  static void write(writer& w, const address& a) { w.write(a.data.data(), a.data.size()); }
  static void read(reader& r, address& a) { unpack(r, a.data); }
};
template <>
struct json_codec<address> {
  static boost::json::value to(const address& a, const json_write_options& options);
  static void from(const boost::json::value& json, address& a, const json_read_options&);
};

// ---- vote_id_type ------------------------------------------------------------------------------

// Lower 8 bits type (0 committee, 1 witness, 2 worker), upper 24 bits instance.
struct vote_id_type {
  std::uint32_t content = 0;

  static vote_id_type make(std::uint8_t type, std::uint32_t instance) {
    return {instance << 8 | type};
  }
  std::uint8_t type() const { return static_cast<std::uint8_t>(content & 0xff); }
  std::uint32_t instance() const { return content >> 8; }
  friend bool operator==(const vote_id_type&, const vote_id_type&) = default;
};
template <>
struct raw<vote_id_type> {
  static void write(writer& w, const vote_id_type& v) { pack(w, v.content); }
  static void read(reader& r, vote_id_type& v) { unpack(r, v.content); }
};
template <>
struct json_codec<vote_id_type> {
  static boost::json::value to(const vote_id_type& v, const json_write_options&);
  static void from(const boost::json::value& json, vote_id_type& v, const json_read_options&);
};

// ---- void_t and static_variant -----------------------------------------------------------------

struct void_t {};
BTS_REFLECT_EMPTY(void_t)

// fc::static_variant: the `which` (0-based position in Ts) then the member.
template <class... Ts>
struct static_variant {
  using variant_type = std::variant<Ts...>;
  variant_type value;

  static_variant() = default;
  template <class T>
    requires(std::is_same_v<std::remove_cvref_t<T>, Ts> || ...)
  static_variant(T&& member) : value(std::forward<T>(member)) {}

  std::size_t which() const { return value.index(); }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&value);
  }
};

// Default-constructs alternative `index` of `v` and calls f on it. REQUIRES: index < size.
template <class Variant, class F>
void emplace_alternative(Variant& v, std::size_t index, F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (void)((index == I ? (f(v.template emplace<I>()), true) : false) || ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

template <class... Ts>
struct raw<static_variant<Ts...>> {
  static void write(writer& w, const static_variant<Ts...>& v) {
    w.write_varint(v.which());
    std::visit([&](const auto& member) { pack(w, member); }, v.value);
  }
  static void read(reader& r, static_variant<Ts...>& v) {
    auto guard = r.nest();
    const std::size_t at = r.position();
    const std::uint64_t tag = r.read_varint();
    if (tag >= sizeof...(Ts)) {
      throw input_error("static_variant tag " + std::to_string(tag) + " at byte " +
                        std::to_string(at) + " is out of range (0.." +
                        std::to_string(sizeof...(Ts) - 1) + ")");
    }
    emplace_alternative(v.value, tag, [&](auto& member) { unpack(r, member); });
  }
};
template <class... Ts>
struct json_codec<static_variant<Ts...>> {
  static boost::json::value to(const static_variant<Ts...>& v, const json_write_options& options) {
    boost::json::array out;
    out.emplace_back(static_cast<std::uint64_t>(v.which()));
    out.push_back(std::visit([&](const auto& member) { return to_json(member, options); }, v.value));
    return out;
  }
  static void from(const boost::json::value& json, static_variant<Ts...>& v,
                   const json_read_options& options) {
    const auto* pair = json.if_array();
    if (pair == nullptr || pair->size() != 2) throw input_error("expected [tag, value]");
    std::uint64_t tag = 0;
    try {
      tag = read_json_unsigned((*pair)[0], sizeof...(Ts) - 1, "this static_variant");
    } catch (const input_error& e) {
      throw e.within("[0]");
    }
    try {
      emplace_alternative(v.value, tag, [&](auto& member) { from_json((*pair)[1], member, options); });
    } catch (const input_error& e) {
      throw e.within("[1]");
    }
  }
};

// ---- sorted containers -------------------------------------------------------------------------

// set_order<T>::key(item) projects an item onto the value bitshares-core's operator< compares.
template <class T>
struct set_order;

template <std::uint8_t S, std::uint8_t T>
struct set_order<object_id<S, T>> {
  static std::uint64_t key(const object_id<S, T>& id) { return id.instance; }
};
template <>
struct set_order<crypto::public_key> {
  static crypto::address key(const crypto::public_key& k) { return crypto::to_address(k); }
};
template <>
struct set_order<address> {
  static const crypto::address& key(const address& a) { return a.data; }
};
// vote_id_type converts implicitly to its instance and is ordered by that.
template <>
struct set_order<vote_id_type> {
  static std::uint32_t key(const vote_id_type& v) { return v.instance(); }
};
template <class... Ts>
struct set_order<static_variant<Ts...>> {
  static std::size_t key(const static_variant<Ts...>& v) { return v.which(); }
};
template <class K, class V>
struct set_order<std::pair<K, V>> {
  static decltype(auto) key(const std::pair<K, V>& p) { return set_order<K>::key(p.first); }
};

// boost::container::flat_set with bitshares-core's comparator: always sorted, no duplicates.
template <class T>
class flat_set {
 public:
  using value_type = T;
  flat_set() = default;
  // Duplicates are dropped, as boost::container::flat_set's constructor does.
  flat_set(std::initializer_list<T> items) {
    for (const T& item : items) insert(item);
  }

  // Inserts `item` at its place; returns false (and changes nothing) if an equivalent item
  // is present.
  bool insert(T item) {
    const auto k = set_order<T>::key(item);
    const auto it = std::lower_bound(items_.begin(), items_.end(), k, [](const T& a, const auto& key) {
      return set_order<T>::key(a) < key;
    });
    if (it != items_.end() && !(k < set_order<T>::key(*it))) return false;
    items_.insert(it, std::move(item));
    return true;
  }

  // Replaces the contents with `items` in the node's order. If two entries are equivalent
  // (the node would keep only the first), leaves the set unchanged and returns the indexes in
  // `items` of the later and the earlier one.
  std::optional<std::pair<std::size_t, std::size_t>> assign(std::vector<T> items) {
    using key_type = std::remove_cvref_t<decltype(set_order<T>::key(items.front()))>;
    std::vector<std::pair<key_type, std::size_t>> keys;
    keys.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) keys.emplace_back(set_order<T>::key(items[i]), i);
    std::stable_sort(keys.begin(), keys.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < keys.size(); ++i) {
      if (!(keys[i - 1].first < keys[i].first)) {
        // stable_sort keeps equivalent entries in input order: [i - 1] came first.
        return std::pair{keys[i].second, keys[i - 1].second};
      }
    }
    items_.clear();
    items_.reserve(items.size());
    for (const auto& k : keys) items_.push_back(std::move(items[k.second]));
    return std::nullopt;
  }

  const std::vector<T>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }

 private:
  std::vector<T> items_;
};

// flat_map<K, V>: a flat_set of (key, value) pairs ordered by key.
template <class K, class V>
using flat_map = flat_set<std::pair<K, V>>;

template <class K, class V>
struct raw<std::pair<K, V>> {
  static void write(writer& w, const std::pair<K, V>& p) {
    pack(w, p.first);
    pack(w, p.second);
  }
  static void read(reader& r, std::pair<K, V>& p) {
    unpack(r, p.first);
    unpack(r, p.second);
  }
};
template <class K, class V>
struct json_codec<std::pair<K, V>> {
  static boost::json::value to(const std::pair<K, V>& p, const json_write_options& options) {
    return boost::json::array{to_json(p.first, options), to_json(p.second, options)};
  }
  static void from(const boost::json::value& json, std::pair<K, V>& p,
                   const json_read_options& options) {
    const auto* pair = json.if_array();
    if (pair == nullptr || pair->size() != 2) throw input_error("expected a [key, value] pair");
    try {
      from_json((*pair)[0], p.first, options);
    } catch (const input_error& e) {
      throw e.within("[0]");
    }
    try {
      from_json((*pair)[1], p.second, options);
    } catch (const input_error& e) {
      throw e.within("[1]");
    }
  }
};

// "[3]: duplicate entry (equivalent to entry 1 for bitshares-core)".
[[noreturn]] void throw_duplicate_entry(std::size_t index, std::size_t first_index);

template <class T>
void assign_checked(flat_set<T>& set, std::vector<T> items) {
  if (const auto dup = set.assign(std::move(items))) throw_duplicate_entry(dup->first, dup->second);
}

template <class T>
struct raw<flat_set<T>> {
  static void write(writer& w, const flat_set<T>& s) {
    w.write_varint(s.size());
    for (const T& item : s) pack(w, item);
  }
  static void read(reader& r, flat_set<T>& s) {
    std::vector<T> items;
    raw<std::vector<T>>::read(r, items);
    assign_checked(s, std::move(items));
  }
};
template <class T>
struct json_flat_set_codec {
  static boost::json::value to(const flat_set<T>& s, const json_write_options& options) {
    return to_json(s.items(), options);
  }
  static void from(const boost::json::value& json, flat_set<T>& s, const json_read_options& options) {
    std::vector<T> items;
    from_json(json, items, options);
    assign_checked(s, std::move(items));
  }
};
template <class T>
struct json_codec<flat_set<T>> : json_flat_set_codec<T> {};

// extensions_type (future_extensions): a flat_set of static_variant<void_t>, empty in practice.
using future_extensions = static_variant<void_t>;
using extensions_type = flat_set<future_extensions>;
template <>
struct json_codec<extensions_type> : json_flat_set_codec<future_extensions> {
  static constexpr bool default_when_missing = true;
};

// ---- graphene extension<T> ---------------------------------------------------------------------

// T is a reflected struct whose members are all std::optional. Wire: varint count of present
// members, then (varint field index, value) for each, in declaration order. JSON: an object of
// the present members; [] and null read as empty; unknown keys are rejected (as fc does).
// (Unconstrained: the member type is reflected only after the enclosing operation.)
template <class T>
struct extension {
  T value;
};

template <reflected T>
struct raw<extension<T>> {
  static void write(writer& w, const extension<T>& ext) {
    std::uint64_t count = 0;
    for_each_field<T>([&](auto f) { count += (ext.value.*decltype(f)::member).has_value() ? 1 : 0; });
    w.write_varint(count);
    for_each_field_indexed<T>([&](auto f, std::size_t index) {
      const auto& member = ext.value.*decltype(f)::member;
      if (member) {
        w.write_varint(index);
        pack(w, *member);
      }
    });
  }
  static void read(reader& r, extension<T>& ext) {
    auto guard = r.nest();
    ext = extension<T>{};
    std::uint64_t count_left = r.read_varint();
    std::uint64_t next_index = count_left > 0 ? r.read_varint() : 0;
    for_each_field_indexed<T>([&](auto f, std::size_t index) {
      if (count_left == 0 || next_index != index) return;
      auto& member = ext.value.*decltype(f)::member;
      try {
        unpack(r, member.emplace());
      } catch (const input_error& e) {
        throw e.within(std::string(f.name));
      }
      if (--count_left > 0) next_index = r.read_varint();
    });
    if (count_left > 0) {
      throw input_error("extension field index " + std::to_string(next_index) +
                        " is unknown or out of order (" + std::to_string(field_count<T>) +
                        " fields known)");
    }
  }
};

template <reflected T>
struct json_codec<extension<T>> {
  static constexpr bool default_when_missing = true;

  static boost::json::value to(const extension<T>& ext, const json_write_options& options) {
    return to_json(ext.value, options);  // reflected codec: empty optionals are omitted
  }
  static void from(const boost::json::value& json, extension<T>& ext,
                   const json_read_options& options) {
    ext = extension<T>{};
    if (json.is_null()) return;
    if (const auto* array = json.if_array()) {
      if (!array->empty()) throw input_error("expected an object of extensions (or [])");
      return;
    }
    // Unknown extension keys are an error even when unknown fields are otherwise ignored.
    json_read_options strict = options;
    strict.unknown_fields = json_read_options::unknown_field_policy::reject;
    from_json(json, ext.value, strict);
  }
};

}  // namespace bts::protocol
