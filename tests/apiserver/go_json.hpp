#pragma once
/// @file
/// The JSON behaviour of Go's encoding/json that shows through the API
/// server: its syntax-error messages and its two-space indentation.

#include "messages/json/json.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cafelet::apiserver {

/// Scans `text` as Go's json.Unmarshal does before decoding and returns the
/// message of the first syntax error, e.g. "unexpected end of JSON input" or
/// "invalid character '}' looking for beginning of object key string";
/// nullopt for valid JSON.
std::optional<std::string> go_syntax_error(std::string_view text);

/// Renders `v` as Go's json.Indent with a two-space indent (what the API
/// server sends to curl or with `?pretty=true`), without trailing newline.
std::string dump_indented(const json::value& v);

} // namespace cafelet::apiserver
