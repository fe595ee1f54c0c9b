// Rendering: string escaping, numbers, compact dump.
#include "messages/json/json.hpp"

#include <charconv>
#include <cmath>

namespace cafelet::json {

namespace {

/// Length of the valid UTF-8 sequence at `s[i]`, or 0 if invalid. Rejects
/// overlong forms, surrogates and code points above U+10FFFF.
size_t utf8_sequence_length(std::string_view s, size_t i) noexcept {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto c = byte(i);
  auto n = s.size() - i;
  auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return n >= 2 && cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || !cont(i + 1) || !cont(i + 2))
      return 0;
    auto c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0)
      return 0; // overlong
    if (c == 0xED && c1 >= 0xA0)
      return 0; // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3))
      return 0;
    auto c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90)
      return 0; // overlong
    if (c == 0xF4 && c1 >= 0x90)
      return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

constexpr char hex_digits[] = "0123456789abcdef";

} // namespace

size_t find_invalid_utf8(std::string_view s) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    auto n = utf8_sequence_length(s, i);
    if (n == 0)
      return i;
    i += n;
  }
  return s.size();
}

void append_quoted(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no escaping in one go.
    auto start = i;
    while (i < s.size()) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
        break;
      ++i;
    }
    out.append(s.data() + start, i - start);
    if (i == s.size())
      break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      auto n = utf8_sequence_length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex_digits[c >> 4];
        out += hex_digits[c & 0x0F];
    }
  }
  out += '"';
}

void append_int(std::string& out, int64_t x) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  out.append(buf, res.ptr);
}

void append_double(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  std::string_view str{buf, static_cast<size_t>(res.ptr - buf)};
  out += str;
  // Keep doubles doubles when parsed back: "1" -> "1.0".
  if (str.find_first_of(".e") == std::string_view::npos)
    out += ".0";
}

void dump_to(std::string& out, const value& v) {
  switch (v.kind()) {
    case value::type::null:
      out += "null";
      break;
    case value::type::boolean:
      out += v.as_bool() ? "true" : "false";
      break;
    case value::type::integer:
      append_int(out, v.as_int());
      break;
    case value::type::number:
      append_double(out, v.as_double());
      break;
    case value::type::string:
      append_quoted(out, v.as_string());
      break;
    case value::type::array: {
      out += '[';
      bool first = true;
      for (const auto& x : v.as_array()) {
        if (!first)
          out += ',';
        first = false;
        dump_to(out, x);
      }
      out += ']';
      break;
    }
    case value::type::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.as_object()) {
        if (!first)
          out += ',';
        first = false;
        append_quoted(out, k);
        out += ':';
        dump_to(out, x);
      }
      out += '}';
      break;
    }
  }
}

std::string dump(const value& v) {
  std::string out;
  dump_to(out, v);
  return out;
}

} // namespace cafelet::json
