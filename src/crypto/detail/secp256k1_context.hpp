// The process-wide libsecp256k1 context. Private to bts_crypto.
#pragma once

#include <secp256k1.h>

namespace bts::crypto::detail {

// Created and randomized once, on first use (thread-safe static initialisation), then never
// modified: every thread may pass it to libsecp256k1 concurrently without locking (the library
// only mutates a context in secp256k1_context_randomize, which we call only at creation).
const secp256k1_context* secp_context();

}  // namespace bts::crypto::detail
