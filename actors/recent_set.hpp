#pragma once
/// @file
/// `recent_set`: the most recent `capacity` keys put in, for "remember this
/// UID for a while" book-keeping (finished pods, dropped statuses, erased
/// board entries). Putting a key in again makes it the newest; taking one
/// out forgets it at once. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

namespace cafelet::actors {

/// A bounded set of strings that forgets the oldest first.
class recent_set {
public:
  explicit recent_set(size_t capacity) : capacity_(capacity) {
    // nop
  }

  /// Adds `key` as the newest; returns false if it was in already.
  bool insert(const std::string& key) {
    if (capacity_ == 0 || keys_.count(key) > 0)
      return false;
    keys_.emplace(key, ++seq_);
    order_.emplace_back(key, seq_);
    while (keys_.size() > capacity_ || order_.size() > 2 * capacity_) {
      auto& [old, seq] = order_.front();
      // Only the entry of a key's current insertion counts (an erased and
      // re-inserted key has an older, stale entry too).
      if (auto j = keys_.find(old); j != keys_.end() && j->second == seq)
        keys_.erase(j);
      order_.pop_front();
    }
    return true;
  }

  /// Forgets `key`.
  void erase(const std::string& key) {
    keys_.erase(key); // (its order entries age out)
  }

  bool contains(const std::string& key) const {
    return keys_.count(key) > 0;
  }

  size_t size() const noexcept {
    return keys_.size();
  }

  /// Changes the capacity (takes effect at the next insert).
  void capacity(size_t n) noexcept {
    capacity_ = n;
  }

private:
  size_t capacity_;
  uint64_t seq_ = 0;
  std::unordered_map<std::string, uint64_t> keys_;
  std::deque<std::pair<std::string, uint64_t>> order_;
};

} // namespace cafelet::actors
