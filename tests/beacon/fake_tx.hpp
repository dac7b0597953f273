// A pre-signed transaction stand-in for send-path tests: sequence k, an id made of k's bytes
// (distinct per k), one operation of 200 bytes. Nothing signed, no JSON.
#pragma once

#include <cstdint>
#include <cstring>

#include "beacon/factory.hpp"

namespace bts::test {

inline beacon::prepared_tx fake_tx(std::uint64_t k) {
  beacon::prepared_tx t;
  t.sequence = k;
  std::memcpy(t.id.data(), &k, sizeof k);
  t.ops = 1;
  t.bytes = 200;
  return t;
}

}  // namespace bts::test
