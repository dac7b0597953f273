// The evaluators (bitshares-core *_evaluator.cpp behind generic_evaluator::start_evaluate): the
// fee checks every operation goes through, then the operation's own do_evaluate / do_apply.
#pragma once

#include "chain/block.hpp"
#include "chain/database.hpp"
#include "protocol/operations.hpp"

namespace bts::chain {

struct evaluation {
  struct impl;
  // Evaluates and applies `op` to `db` (inside the caller's undo session). Throws chain_error.
  static operation_result apply(database& db, const protocol::operation& op,
                                const database::block_context& context);
};

}  // namespace bts::chain
