#include "net/client/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace cafelet::net {

token_bucket::token_bucket(double qps, int burst, clock_fn clock)
  : qps_(qps), burst_(std::max(burst, 1)), clock_(std::move(clock)),
    tokens_(static_cast<double>(burst_)), last_(now()) {
  // nop
}

token_bucket::time_point token_bucket::now() const {
  return clock_ ? clock_() : clock_type::now();
}

double token_bucket::tokens_at(time_point t) const {
  if (t <= last_)
    return tokens_;
  auto elapsed = std::chrono::duration<double>(t - last_).count();
  return std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
}

void token_bucket::advance(time_point t) {
  tokens_ = tokens_at(t);
  last_ = std::max(last_, t);
}

token_bucket::duration token_bucket::wait_for(double deficit) const {
  if (deficit <= 0)
    return duration::zero();
  auto ns = std::ceil(deficit / qps_ * 1e9);
  return duration{static_cast<duration::rep>(ns)};
}

bool token_bucket::try_take() {
  if (qps_ <= 0)
    return true;
  advance(now());
  if (tokens_ < 1.0)
    return false;
  tokens_ -= 1.0;
  return true;
}

token_bucket::duration token_bucket::reserve() {
  if (qps_ <= 0)
    return duration::zero();
  advance(now());
  tokens_ -= 1.0;
  return wait_for(-tokens_);
}

token_bucket::duration token_bucket::delay() const {
  if (qps_ <= 0)
    return duration::zero();
  return wait_for(1.0 - tokens_at(now()));
}

double token_bucket::tokens() const {
  if (qps_ <= 0)
    return static_cast<double>(burst_);
  return tokens_at(now());
}

} // namespace cafelet::net
