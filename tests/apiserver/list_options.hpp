#pragma once
/// @file
/// The query parameters of list and watch requests (selectors,
/// resourceVersion and its match rule, limit/continue, watch options),
/// validated as the real server validates them.

#include "tests/apiserver/api.hpp"
#include "tests/apiserver/resources.hpp"
#include "tests/apiserver/selectors.hpp"
#include "tests/apiserver/status.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace cafelet::apiserver {

/// Parsed list/watch options.
struct list_options {
  /// labelSelector.
  label_selector labels;
  /// fieldSelector.
  field_selector fields;
  /// resourceVersion as sent ("" if absent).
  std::string rv_text;
  /// resourceVersion as a number when it is a non-zero number.
  std::optional<uint64_t> from_rv;
  /// resourceVersionMatch ("", "Exact" or "NotOlderThan").
  std::string rv_match;
  /// limit (lists).
  std::optional<int64_t> limit;
  /// continue token (lists).
  std::string continue_token;
  /// timeoutSeconds (watches).
  std::optional<int64_t> timeout_seconds;
  /// allowWatchBookmarks.
  bool allow_bookmarks = false;
  /// sendInitialEvents.
  bool send_initial_events = false;
};

/// Parses and validates the options of a list (`watch` false) or watch of
/// `def`.
std::variant<list_options, api_error>
parse_list_options(const request& req, const resource_def& def, bool watch);

/// The Status of a request for a resourceVersion the server has not seen
/// yet ("Timeout: Too large resource version: X, current: Y").
json::value too_large_rv_status(uint64_t wanted, uint64_t current);

/// Encodes a continue token for a list at `rv` that continues after `key`.
std::string encode_continue(uint64_t rv, const std::string& key);

/// Decodes a continue token into (rv, start-after key).
std::optional<std::pair<uint64_t, std::string>>
decode_continue(std::string_view token);

} // namespace cafelet::apiserver
