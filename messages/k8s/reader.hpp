#pragma once
/// @file
/// Internal to the decoders: a simdjson ondemand reader that tracks the
/// field path ("spec.containers[1].image") for error messages, plus `read`
/// overloads for the primitive and container types. Include only from .cpp
/// files (pulls in simdjson.h).

#include "messages/json/ondemand.hpp"
#include "messages/k8s/boxed.hpp"
#include "messages/k8s/meta.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::k8s::detail {

namespace od = simdjson::ondemand;

using simdjson::error_code;

/// Decoding state of one document: the path of the value being read and
/// the first error.
class reader {
public:
  /// Reads from `doc`, whose padded text starts at `base`.
  reader(od::document& doc, std::string_view text, const char* base);

  /// Enters member `key`.
  void push(std::string_view key) {
    path_.push_back(segment{key, no_index});
  }

  /// Enters array element `index`.
  void push(size_t index) {
    path_.push_back(segment{{}, index});
  }

  /// Leaves the innermost member or element.
  void pop() {
    path_.pop_back();
  }

  /// Records `what` at the current path unless an error is recorded
  /// already; returns `code`.
  error_code fail(error_code code, std::string_view what);

  /// Records "expected <expected>, got <actual type>" for `v`.
  error_code type_error(od::value& v, std::string_view expected);

  /// Records a simdjson failure `code` at the current path.
  error_code syntax(error_code code);

  /// Records the failure `code` of getting `v` as an `expected` (e.g.
  /// "object"): a type error for INCORRECT_TYPE, else a syntax error.
  error_code get_error(od::value& v, error_code code,
                       std::string_view expected);

  /// The current path, e.g. "spec.containers[1].image".
  std::string path() const;

  /// Builds the final error for a failed decode of a `kind` object.
  caf::error make_error(std::string_view kind, error_code code) const;

  /// Makes a `kind` member at path depth `depth` fail unless it is empty
  /// or equals `kind` (catches e.g. a Status body where a Pod is expected).
  void expect_kind(std::string_view kind, size_t depth) {
    expected_kind_ = kind;
    kind_depth_ = depth;
  }

  /// Checks a `kind` value just read against `expect_kind`.
  error_code check_kind(std::string_view kind);

private:
  static constexpr size_t no_index = static_cast<size_t>(-1);

  struct segment {
    std::string_view key;
    size_t index;
  };

  od::document* doc_;
  std::string_view text_;
  const char* base_;
  std::vector<segment> path_;
  std::string message_;
  std::string_view expected_kind_;
  size_t kind_depth_ = 0;
};

/// RAII path segment.
class scope {
public:
  /// Enters `key`.
  scope(reader& r, std::string_view key) : r_(r) {
    r_.push(key);
  }

  /// Enters `index`.
  scope(reader& r, size_t index) : r_(r) {
    r_.push(index);
  }

  scope(const scope&) = delete;

  scope& operator=(const scope&) = delete;

  ~scope() {
    r_.pop();
  }

private:
  reader& r_;
};

/// Sets `is_null` if `v` is JSON null (consuming it).
error_code check_null(reader& r, od::value& v, bool& is_null);

/// Reads a string.
error_code read(reader& r, od::value v, std::string& out);

/// Reads a boolean.
error_code read(reader& r, od::value v, bool& out);

/// Reads an int32 (range-checked).
error_code read(reader& r, od::value v, int32_t& out);

/// Reads an int64.
error_code read(reader& r, od::value v, int64_t& out);

/// Reads an RFC 3339 time string.
error_code read(reader& r, od::value v, timestamp& out);

/// Reads an int or a string.
error_code read(reader& r, od::value v, int_or_string& out);

/// Reads an object of strings.
error_code read(reader& r, od::value v, string_map& out);

/// Reads an object of quantities (strings, numbers accepted as text).
error_code read(reader& r, od::value v, resource_list& out);

/// Reads `metav1.TypeMeta` members into `out`; returns false if `key` is
/// not one of them.
bool read_type_meta(reader& r, std::string_view key, od::value v,
                    type_meta& out, error_code& ec);

/// Reads `metav1.ObjectMeta`.
error_code read(reader& r, od::value v, object_meta& out);

/// Reads `metav1.ListMeta`.
error_code read(reader& r, od::value v, list_meta& out);

/// Reads `v1.ObjectReference`.
error_code read(reader& r, od::value v, object_reference& out);

/// Calls `f(key, value)` for each member of the object `v`; null is an
/// empty object. `f` returns an error_code; unread values are skipped.
template <class F>
error_code read_object(reader& r, od::value v, F&& f) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  od::object obj;
  if (auto ec = v.get_object().get(obj))
    return r.get_error(v, ec, "object");
  for (auto field : obj) {
    od::field fld;
    if (auto ec = std::move(field).get(fld))
      return r.syntax(ec);
    std::string_view key;
    if (auto ec = fld.unescaped_key().get(key))
      return r.syntax(ec);
    scope guard{r, key};
    if (auto ec = f(key, fld.value()))
      return ec;
  }
  return simdjson::SUCCESS;
}

/// Calls `f(value)` for each element of the array `v`; null is empty.
template <class F>
error_code read_array(reader& r, od::value v, F&& f) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null); ec || is_null)
    return ec;
  od::array arr;
  if (auto ec = v.get_array().get(arr))
    return r.get_error(v, ec, "array");
  size_t index = 0;
  for (auto element : arr) {
    scope guard{r, index++};
    od::value ev;
    if (auto ec = std::move(element).get(ev))
      return r.syntax(ec);
    if (auto ec = f(ev))
      return ec;
  }
  return simdjson::SUCCESS;
}

/// Reads an array; null leaves `out` empty.
template <class T>
error_code read(reader& r, od::value v, std::vector<T>& out) {
  out.clear();
  return read_array(r, v, [&](od::value& ev) {
    out.emplace_back();
    return read(r, ev, out.back());
  });
}

/// Reads a new object, shared read-only (null reads as an empty object).
template <class T>
error_code read(reader& r, od::value v, std::shared_ptr<const T>& out) {
  auto item = std::make_shared<T>();
  auto ec = read(r, v, *item);
  out = std::move(item);
  return ec;
}

/// Reads an optional value; null resets `out`.
template <class T>
error_code read(reader& r, od::value v, boxed<T>& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null))
    return ec;
  if (is_null) {
    out.reset();
    return simdjson::SUCCESS;
  }
  return read(r, v, out.emplace());
}

/// Reads an optional value; null resets `out`.
template <class T>
error_code read(reader& r, od::value v, std::optional<T>& out) {
  bool is_null = false;
  if (auto ec = check_null(r, v, is_null))
    return ec;
  if (is_null) {
    out.reset();
    return simdjson::SUCCESS;
  }
  return read(r, v, out.emplace());
}

/// Reads the list of `{"<key>": "..."}` objects (e.g. podIPs) as strings.
error_code read_keyed_strings(reader& r, od::value v, std::string_view key,
                              std::vector<std::string>& out);

/// Reads a top-level object: `apiVersion` and `kind` into `out.type`,
/// `metadata` into `out.metadata`, and every other member with
/// `f(key, value)`.
template <class T, class F>
error_code read_resource(reader& r, od::value v, T& out, F&& f) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (error_code ec = simdjson::SUCCESS;
        read_type_meta(r, key, val, out.type, ec))
      return ec;
    if (key == "metadata")
      return read(r, val, out.metadata);
    return f(key, val);
  });
}

/// Reads a top-level object whose other members are `spec` and, if `T` has
/// one, `status` (Pod, Node, Lease).
template <class T>
error_code read_spec_status(reader& r, od::value v, T& out) {
  return read_resource(r, v, out, [&](std::string_view key, od::value val) {
    if (key == "spec")
      return read(r, val, out.spec);
    if constexpr (requires { out.status; })
      if (key == "status")
        return read(r, val, out.status);
    return simdjson::SUCCESS;
  });
}

/// Error for a document whose root is not an object, or that has trailing
/// content, or whose `kind` is not `expected_kind`.
caf::error envelope_error(std::string_view kind, std::string what);

/// Gets the root object of `doc` as a value, or fails naming the problem
/// (a syntax error or a root that is not an object).
caf::error root_object(od::document& doc, std::string_view kind,
                       std::string_view text, const char* base,
                       od::value& out);

/// Parses the whole of `text`, which must be one JSON object, and reads its
/// root with `f(reader, root)` (returning an `error_code`). `kind` names
/// the document in errors. Values viewed in the parsed text are valid only
/// during `f`.
template <class F>
caf::error decode_root(std::string_view text, std::string_view kind, F&& f) {
  json::ondemand_session session;
  od::document doc;
  if (auto ec = session.iterate(text).get(doc))
    return envelope_error(kind, json::syntax_message(ec, text,
                                                     std::string_view::npos));
  od::value root;
  if (auto err = root_object(doc, kind, text, session.base(), root))
    return err;
  reader r{doc, text, session.base()};
  if (auto ec = f(r, root))
    return r.make_error(kind, ec);
  auto off = json::offset_of(doc, session.base(), text.size());
  if (off != std::string_view::npos)
    return envelope_error(kind, json::syntax_message(
                                  simdjson::TRAILING_CONTENT, text, off));
  return caf::none;
}

/// Decodes the whole of `text` into `out` with the `read` overload for `T`.
/// `kind` names the object in errors; a top-level `kind` member that
/// differs from `kind` fails the decode (e.g. a Status instead of a Pod).
template <class T>
caf::error decode_text(std::string_view text, std::string_view kind, T& out) {
  return decode_root(text, kind, [&](reader& r, od::value root) {
    r.expect_kind(kind, 1);
    return read(r, root, out);
  });
}

/// Decodes the whole of `text` into a new `T`, shared read-only; `kind`
/// as for `decode_text`.
template <class T>
caf::expected<std::shared_ptr<const T>> decode_shared(std::string_view text,
                                                      std::string_view kind) {
  std::shared_ptr<const T> result;
  if (auto err = decode_text(text, kind, result))
    return err;
  return result;
}

} // namespace cafelet::k8s::detail
