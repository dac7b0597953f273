#include "rpc/clock.hpp"

namespace bts::rpc {

namespace {
class steady_clock_source final : public clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};
}  // namespace

clock& clock::steady() {
  static steady_clock_source instance;
  return instance;
}

}  // namespace bts::rpc
