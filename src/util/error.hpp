// Errors shared by every module.
//
// Four kinds of error exist in bts-infra (see docs/style.md):
//   - bugs: assert/abort;
//   - expected failures inside libraries: results or error codes;
//   - bad configuration or input: `input_error`, which names *where* (a JSON path such as
//     `operations[0][1].amount.amount`, a flag, or file:line) and *what*; mains catch it, print
//     one line on stderr and exit with code 2;
//   - failures under load: counted by category, never thrown.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace bts {

// Bad input from a user or a peer. `where()` is empty when the input has no structure to point
// into (e.g. a single hex string); `what()` is always the full one-line message.
class input_error : public std::runtime_error {
 public:
  input_error(std::string where, const std::string& problem)
      : std::runtime_error(where.empty() ? problem : where + ": " + problem),
        where_(std::move(where)),
        problem_(problem) {}
  explicit input_error(const std::string& problem) : input_error(std::string(), problem) {}

  const std::string& where() const { return where_; }
  const std::string& problem() const { return problem_; }

  // Returns a copy with `outer` prepended to the location, e.g. prefix("operations[0][1]")
  // on an error at "amount.amount" gives "operations[0][1].amount.amount".
  input_error within(const std::string& outer) const {
    if (where_.empty()) return input_error(outer, problem_);
    if (outer.empty()) return *this;
    const bool index = where_.front() == '[';
    return input_error(outer + (index ? "" : ".") + where_, problem_);
  }

 private:
  std::string where_;
  std::string problem_;
};

// Exit code for bad configuration or input (usage errors included).
inline constexpr int exit_bad_input = 2;

}  // namespace bts
