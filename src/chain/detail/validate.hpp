// transaction::validate() and each operation's validate() (bitshares-core protocol/*.cpp):
// stateless checks, with bitshares-core's assertion texts.
#pragma once

#include "protocol/operations.hpp"
#include "protocol/transaction.hpp"

namespace bts::chain::detail {

// Throws chain_error (assert_exception) on the first failed check.
void validate_transaction(const protocol::transaction& trx);
void validate_operation(const protocol::operation& op);

}  // namespace bts::chain::detail
