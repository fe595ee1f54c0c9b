#include "net/client/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace cafelet::net {

namespace {

backoff_policy sanitize(backoff_policy p) {
  using std::chrono::milliseconds;
  p.base = std::max(p.base, milliseconds{1});
  p.cap = std::max(p.cap, p.base);
  if (!(p.factor >= 1.0))
    p.factor = 1.0;
  if (!(p.jitter >= 0.0))
    p.jitter = 0.0;
  p.jitter = std::min(p.jitter, 1.0);
  return p;
}

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

} // namespace

backoff_policy watch_reconnect_policy() {
  return {std::chrono::milliseconds{800}, std::chrono::seconds{30}, 2.0, 0.2};
}

backoff_policy lease_retry_policy() {
  return {std::chrono::milliseconds{200}, std::chrono::seconds{7}, 2.0, 0.2};
}

backoff::backoff(backoff_policy policy) : backoff(policy, random_seed()) {
  // nop
}

backoff::backoff(backoff_policy policy, uint64_t seed)
  : policy_(sanitize(policy)), rng_(seed) {
  // nop
}

std::chrono::milliseconds backoff::next() {
  auto base = static_cast<double>(policy_.base.count());
  auto cap = static_cast<double>(policy_.cap.count());
  // pow overflows to inf for large attempt counts; min() then yields cap
  auto raw = std::min(cap, base * std::pow(policy_.factor, attempts_));
  if (attempts_ < UINT32_MAX)
    ++attempts_;
  auto u = static_cast<double>(rng_() >> 11) * 0x1.0p-53; // [0, 1)
  auto ms = raw * (1.0 - policy_.jitter * u);
  return std::chrono::milliseconds{
    std::max<int64_t>(1, static_cast<int64_t>(std::llround(ms)))};
}

void backoff::reset() noexcept {
  attempts_ = 0;
}

} // namespace cafelet::net
