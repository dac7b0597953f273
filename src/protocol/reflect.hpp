// Compile-time field lists for protocol structs, the equivalent of fc's FC_REFLECT.
//
// Every protocol struct is described once, next to its definition, in bitshares-core's
// FC_REFLECT order (which is the wire order and the JSON key order):
//
//   struct asset { std::int64_t amount = 0; asset_id_type asset_id; };
//   BTS_REFLECT(asset, (amount)(asset_id))
//
// Generic code (wire.hpp: pack/unpack, json.hpp: to_json/from_json) walks that list; no struct
// has hand-written serialization. BTS_REFLECT must be used in namespace bts::protocol (the
// description is found through argument-dependent lookup on `reflect_tag<T>`).
#pragma once

#include <boost/preprocessor/cat.hpp>
#include <boost/preprocessor/punctuation/comma_if.hpp>
#include <boost/preprocessor/seq/for_each_i.hpp>
#include <boost/preprocessor/stringize.hpp>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace bts::protocol {

// Per-field options that FC_REFLECT has no words for.
enum class field_flags : unsigned {
  none = 0,
  // JSON input may leave the field out; it then takes its default value. Used for fields a
  // client never fills in (signed_transaction::signatures). `extensions` fields get this
  // behaviour from their type (see json.hpp), optional<T> fields are always omittable.
  may_be_omitted = 1,
};

// One reflected member: its name and a compile-time pointer to it.
template <auto Member, field_flags Flags = field_flags::none>
struct field {
  std::string_view name;
  static constexpr auto member = Member;
  static constexpr bool may_be_omitted = Flags == field_flags::may_be_omitted;
};

template <class T>
struct reflect_tag {};

// True for types described with BTS_REFLECT / BTS_REFLECT_EMPTY.
template <class T>
concept reflected = requires { bts_reflect(reflect_tag<T>{}); };

// The tuple of `field<...>` of T, in declaration (wire) order.
template <reflected T>
constexpr auto fields_of() {
  return bts_reflect(reflect_tag<T>{});
}

template <reflected T>
inline constexpr std::size_t field_count = std::tuple_size_v<decltype(fields_of<T>())>;

// Calls f(field) for every field of T, in order.
template <reflected T, class F>
constexpr void for_each_field(F&& f) {
  std::apply([&](auto... fs) { (f(fs), ...); }, fields_of<T>());
}

// Calls f(field, index) for every field of T, in order.
template <reflected T, class F>
constexpr void for_each_field_indexed(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    constexpr auto fields = fields_of<T>();
    (f(std::get<I>(fields), I), ...);
  }(std::make_index_sequence<field_count<T>>{});
}

// The type of the member a field describes, e.g. `asset` for field<&transfer_operation::fee>.
template <class Field, class Object>
using field_type_t = std::remove_cvref_t<decltype(std::declval<Object&>().*Field::member)>;

// True when T has a field named `name`.
template <reflected T>
constexpr bool has_field(std::string_view name) {
  bool found = false;
  for_each_field<T>([&](auto f) { found = found || f.name == name; });
  return found;
}

}  // namespace bts::protocol

#define BTS_REFLECT_FIELD_(r, TYPE, i, MEMBER) \
  BOOST_PP_COMMA_IF(i)::bts::protocol::field<&TYPE::MEMBER> { BOOST_PP_STRINGIZE(MEMBER) }

// BTS_REFLECT(type, (member1)(member2)...) — members in bitshares-core's FC_REFLECT order.
#define BTS_REFLECT(TYPE, MEMBERS)                                                 \
  constexpr auto bts_reflect(::bts::protocol::reflect_tag<TYPE>) {                 \
    return std::make_tuple(BOOST_PP_SEQ_FOR_EACH_I(BTS_REFLECT_FIELD_, TYPE, MEMBERS)); \
  }

// For structs without members (void_t, no_special_authority): packed as nothing, JSON {}.
#define BTS_REFLECT_EMPTY(TYPE) \
  constexpr auto bts_reflect(::bts::protocol::reflect_tag<TYPE>) { return std::tuple<>{}; }
