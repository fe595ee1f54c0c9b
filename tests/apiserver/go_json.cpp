#include "tests/apiserver/go_json.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace cafelet::apiserver {

namespace {

/// Go's quoteChar: how a byte appears inside an "invalid character" message.
std::string quote_char(unsigned char c) {
  if (c == '\'')
    return "'\\''";
  if (c == '"')
    return "'\"'";
  std::string inner;
  switch (c) {
    case '\a':
      inner = "\\a";
      break;
    case '\b':
      inner = "\\b";
      break;
    case '\f':
      inner = "\\f";
      break;
    case '\n':
      inner = "\\n";
      break;
    case '\r':
      inner = "\\r";
      break;
    case '\t':
      inner = "\\t";
      break;
    case '\v':
      inner = "\\v";
      break;
    case '\\':
      inner = "\\\\";
      break;
    default:
      if (c < 0x20 || c == 0x7F) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        inner = buf;
      } else if (c < 0x80) {
        inner = std::string(1, static_cast<char>(c));
      } else if (c < 0xA0 || c == 0xAD) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        inner = buf;
      } else {
        // The byte as a Latin-1 code point, UTF-8 encoded.
        inner += static_cast<char>(0xC0 | (c >> 6));
        inner += static_cast<char>(0x80 | (c & 0x3F));
      }
  }
  return "'" + inner + "'";
}

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// A recursive scanner that mirrors the states of Go's json scanner.
class scanner {
public:
  explicit scanner(std::string_view in) : in_(in) {
  }

  std::optional<std::string> run() {
    skip_ws();
    if (!value(context::top))
      return err_;
    skip_ws();
    if (pos_ < in_.size())
      return invalid("after top-level value");
    return std::nullopt;
  }

private:
  enum class context { top, array, object_value };

  bool eof() const {
    return pos_ >= in_.size();
  }

  void skip_ws() {
    while (!eof() && is_ws(in_[pos_]))
      ++pos_;
  }

  std::optional<std::string> invalid(std::string_view what) {
    return "invalid character " + quote_char(static_cast<unsigned char>(in_[pos_]))
           + " " + std::string{what};
  }

  bool fail(std::string_view what) {
    if (eof())
      err_ = "unexpected end of JSON input";
    else
      err_ = invalid(what);
    return false;
  }

  bool value(context) {
    if (eof())
      return fail("");
    char c = in_[pos_];
    switch (c) {
      case '{':
        ++pos_;
        return object();
      case '[':
        ++pos_;
        return array();
      case '"':
        ++pos_;
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (c == '-' || is_digit(c))
          return number();
        return fail("looking for beginning of value");
    }
  }

  bool literal(std::string_view word) {
    ++pos_;
    for (size_t i = 1; i < word.size(); ++i) {
      if (eof() || in_[pos_] != word[i]) {
        std::string what = "in literal ";
        what += word;
        what += " (expecting '";
        what += word[i];
        what += "')";
        return fail(what);
      }
      ++pos_;
    }
    return true;
  }

  bool number() {
    if (in_[pos_] == '-') {
      ++pos_;
      if (eof() || !is_digit(in_[pos_]))
        return fail("in numeric literal");
    }
    if (in_[pos_] == '0') {
      ++pos_;
    } else {
      while (!eof() && is_digit(in_[pos_]))
        ++pos_;
    }
    if (!eof() && in_[pos_] == '.') {
      ++pos_;
      if (eof() || !is_digit(in_[pos_]))
        return fail("after decimal point in numeric literal");
      while (!eof() && is_digit(in_[pos_]))
        ++pos_;
    }
    if (!eof() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (!eof() && (in_[pos_] == '+' || in_[pos_] == '-'))
        ++pos_;
      if (eof() || !is_digit(in_[pos_]))
        return fail("in exponent of numeric literal");
      while (!eof() && is_digit(in_[pos_]))
        ++pos_;
    }
    return true;
  }

  bool string() {
    for (;;) {
      if (eof())
        return fail("");
      auto c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (eof())
          return fail("");
        char e = in_[pos_];
        if (e == 'u') {
          ++pos_;
          for (int i = 0; i < 4; ++i) {
            if (eof() || !is_hex(in_[pos_]))
              return fail("in \\u hexadecimal character escape");
            ++pos_;
          }
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f'
            && e != 'n' && e != 'r' && e != 't')
          return fail("in string escape code");
        ++pos_;
        continue;
      }
      if (c < 0x20)
        return fail("in string literal");
      ++pos_;
    }
  }

  bool object() {
    skip_ws();
    if (!eof() && in_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      if (eof() || in_[pos_] != '"')
        return fail("looking for beginning of object key string");
      ++pos_;
      if (!string())
        return false;
      skip_ws();
      if (eof() || in_[pos_] != ':')
        return fail("after object key");
      ++pos_;
      skip_ws();
      if (!value(context::object_value))
        return false;
      skip_ws();
      if (eof())
        return fail("");
      if (in_[pos_] == ',') {
        ++pos_;
        skip_ws();
        continue;
      }
      if (in_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("after object key:value pair");
    }
  }

  bool array() {
    skip_ws();
    if (!eof() && in_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!value(context::array))
        return false;
      skip_ws();
      if (eof())
        return fail("");
      if (in_[pos_] == ',') {
        ++pos_;
        skip_ws();
        continue;
      }
      if (in_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("after array element");
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::optional<std::string> err_;
};

void indent_to(std::string& out, const json::value& v, size_t depth) {
  auto newline = [&](size_t d) {
    out += '\n';
    out.append(d * 2, ' ');
  };
  if (v.is_object()) {
    const auto& obj = v.as_object();
    if (obj.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& [key, member] : obj) {
      if (!first)
        out += ',';
      first = false;
      newline(depth + 1);
      json::append_quoted(out, key);
      out += ": ";
      indent_to(out, member, depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array()) {
    const auto& arr = v.as_array();
    if (arr.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& element : arr) {
      if (!first)
        out += ',';
      first = false;
      newline(depth + 1);
      indent_to(out, element, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    json::dump_to(out, v);
  }
}

} // namespace

std::optional<std::string> go_syntax_error(std::string_view text) {
  return scanner{text}.run();
}

std::string dump_indented(const json::value& v) {
  std::string out;
  indent_to(out, v, 0);
  return out;
}

} // namespace cafelet::apiserver
