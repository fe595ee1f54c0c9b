#pragma once
/// @file
/// `boxed<T>`: an optional value stored out of line. Rarely set parts of
/// decoded objects (a container's probes, lifecycle hooks, security
/// context) cost one pointer when absent instead of their full size, which
/// an inline `std::optional` always takes. Same interface as the parts of
/// `std::optional` the code uses; copies are deep.

#include <memory>
#include <optional>
#include <utility>

namespace cafelet::k8s {

/// An optional `T` on the heap.
template <class T>
class boxed {
public:
  boxed() noexcept = default;

  boxed(std::nullopt_t) noexcept {
    // nop
  }

  boxed(const T& x) : ptr_(std::make_unique<T>(x)) {
    // nop
  }

  boxed(T&& x) : ptr_(std::make_unique<T>(std::move(x))) {
    // nop
  }

  boxed(const std::optional<T>& x) {
    if (x)
      ptr_ = std::make_unique<T>(*x);
  }

  boxed(const boxed& other) {
    if (other.ptr_)
      ptr_ = std::make_unique<T>(*other.ptr_);
  }

  boxed(boxed&&) noexcept = default;

  boxed& operator=(const boxed& other) {
    if (this != &other)
      ptr_ = other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr;
    return *this;
  }

  boxed& operator=(boxed&&) noexcept = default;

  boxed& operator=(std::nullopt_t) noexcept {
    ptr_.reset();
    return *this;
  }

  boxed& operator=(const T& x) {
    ptr_ = std::make_unique<T>(x);
    return *this;
  }

  boxed& operator=(T&& x) {
    ptr_ = std::make_unique<T>(std::move(x));
    return *this;
  }

  boxed& operator=(const std::optional<T>& x) {
    ptr_ = x ? std::make_unique<T>(*x) : nullptr;
    return *this;
  }

  /// Sets a new value built from `xs`.
  template <class... Ts>
  T& emplace(Ts&&... xs) {
    ptr_ = std::make_unique<T>(std::forward<Ts>(xs)...);
    return *ptr_;
  }

  void reset() noexcept {
    ptr_.reset();
  }

  bool has_value() const noexcept {
    return ptr_ != nullptr;
  }

  explicit operator bool() const noexcept {
    return ptr_ != nullptr;
  }

  T& operator*() noexcept {
    return *ptr_;
  }

  const T& operator*() const noexcept {
    return *ptr_;
  }

  T* operator->() noexcept {
    return ptr_.get();
  }

  const T* operator->() const noexcept {
    return ptr_.get();
  }

  /// The value; throws std::bad_optional_access when empty (as optional).
  const T& value() const {
    if (!ptr_)
      throw std::bad_optional_access{};
    return *ptr_;
  }

  friend bool operator==(const boxed& x, std::nullopt_t) noexcept {
    return !x.ptr_;
  }

private:
  std::unique_ptr<T> ptr_;
};

} // namespace cafelet::k8s
