#pragma once
/// @file
/// Label and field selectors as the API server parses them from the
/// `labelSelector` and `fieldSelector` query parameters.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cafelet::apiserver {

/// Looks up a label or field value of one object; nullopt if absent.
using value_lookup =
  std::function<std::optional<std::string>(std::string_view key)>;

/// Operator of one label requirement.
enum class label_op { equals, not_equals, in, not_in, exists, not_exists, gt, lt };

/// One requirement of a label selector, e.g. `app in (web,db)`.
struct label_requirement {
  /// Label key.
  std::string key;
  /// Operator.
  label_op op = label_op::exists;
  /// Values for =, !=, in, notin (one for =, !=, gt and lt).
  std::vector<std::string> values;
};

/// A parsed label selector: all requirements must hold.
class label_selector {
public:
  /// Parses `text` (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). On error,
  /// returns the message the API server puts into its 400 Status.
  static std::variant<label_selector, std::string> parse(std::string_view text);

  /// True if the object whose labels `get` looks up satisfies every
  /// requirement.
  bool matches(const value_lookup& get) const;

  /// True if the selector selects everything.
  bool empty() const noexcept {
    return reqs_.empty();
  }

  /// The parsed requirements.
  const std::vector<label_requirement>& requirements() const noexcept {
    return reqs_;
  }

private:
  std::vector<label_requirement> reqs_;
};

/// One requirement of a field selector: `field=value` or `field!=value`.
struct field_requirement {
  /// Field path, e.g. "spec.nodeName".
  std::string field;
  /// True for `!=`.
  bool negated = false;
  /// Unescaped value.
  std::string value;
};

/// A parsed field selector: all requirements must hold.
class field_selector {
public:
  /// Parses `text` (`a=b,c==d,e!=f`, backslash escapes `\,` `\=` `\\`).
  /// On error, returns the API server's message.
  static std::variant<field_selector, std::string> parse(std::string_view text);

  /// True if the object whose fields `get` looks up satisfies every
  /// requirement (an absent field counts as the empty string).
  bool matches(const value_lookup& get) const;

  /// True if the selector selects everything.
  bool empty() const noexcept {
    return reqs_.empty();
  }

  /// The value `field` must equal, if the selector has `field=value`.
  std::optional<std::string> exact(std::string_view field) const;

  /// Adds the requirement `field=value`.
  void require(std::string field, std::string value) {
    reqs_.push_back(field_requirement{std::move(field), false, std::move(value)});
  }

  /// The parsed requirements.
  const std::vector<field_requirement>& requirements() const noexcept {
    return reqs_;
  }

private:
  std::vector<field_requirement> reqs_;
};

} // namespace cafelet::apiserver
