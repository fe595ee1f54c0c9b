#include "tests/apiserver/selectors.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace cafelet::apiserver {

namespace {

// -- label selector lexer -----------------------------------------------------

enum class tok { end, ident, comma, open, close, eq, eqeq, neq, bang, gt, lt };

struct token {
  tok kind;
  std::string text;
};

bool is_special(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>'
         || c == '<';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::vector<token> lex(std::string_view in) {
  std::vector<token> out;
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == ',') {
      out.push_back({tok::comma, ","});
      ++i;
    } else if (c == '(') {
      out.push_back({tok::open, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({tok::close, ")"});
      ++i;
    } else if (c == '>') {
      out.push_back({tok::gt, ">"});
      ++i;
    } else if (c == '<') {
      out.push_back({tok::lt, "<"});
      ++i;
    } else if (c == '=') {
      if (i + 1 < in.size() && in[i + 1] == '=') {
        out.push_back({tok::eqeq, "=="});
        i += 2;
      } else {
        out.push_back({tok::eq, "="});
        ++i;
      }
    } else if (c == '!') {
      if (i + 1 < in.size() && in[i + 1] == '=') {
        out.push_back({tok::neq, "!="});
        i += 2;
      } else {
        out.push_back({tok::bang, "!"});
        ++i;
      }
    } else {
      size_t start = i;
      while (i < in.size() && !is_special(in[i]) && !is_space(in[i]))
        ++i;
      out.push_back({tok::ident, std::string{in.substr(start, i - start)}});
    }
  }
  out.push_back({tok::end, ""});
  return out;
}

constexpr std::string_view binary_ops = "in, notin, =, ==, !=, gt, lt";

bool parse_int(std::string_view s, int64_t& out) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc{} && res.ptr == s.data() + s.size();
}

} // namespace

std::variant<label_selector, std::string>
label_selector::parse(std::string_view text) {
  label_selector sel;
  auto toks = lex(text);
  size_t pos = 0;
  auto peek = [&]() -> const token& { return toks[pos]; };
  auto next = [&]() -> const token& { return toks[pos++]; };
  if (peek().kind == tok::end)
    return sel;
  for (;;) {
    label_requirement req;
    bool negated_exists = false;
    if (peek().kind == tok::bang) {
      next();
      negated_exists = true;
    }
    const auto& key = next();
    if (key.kind != tok::ident)
      return "found '" + key.text + "', expected: identifier";
    req.key = key.text;
    if (negated_exists) {
      req.op = label_op::not_exists;
    } else if (peek().kind == tok::comma || peek().kind == tok::end) {
      req.op = label_op::exists;
    } else {
      const auto& op = next();
      bool set_op = false;
      switch (op.kind) {
        case tok::eq:
        case tok::eqeq:
          req.op = label_op::equals;
          break;
        case tok::neq:
          req.op = label_op::not_equals;
          break;
        case tok::gt:
          req.op = label_op::gt;
          break;
        case tok::lt:
          req.op = label_op::lt;
          break;
        case tok::ident:
          if (op.text == "in") {
            req.op = label_op::in;
            set_op = true;
          } else if (op.text == "notin") {
            req.op = label_op::not_in;
            set_op = true;
          } else {
            return "found '" + op.text + "', expected: "
                   + std::string{binary_ops};
          }
          break;
        default:
          return "found '" + op.text + "', expected: "
                 + std::string{binary_ops};
      }
      if (set_op) {
        if (next().kind != tok::open)
          return "found '" + toks[pos - 1].text + "', expected: '('";
        for (;;) {
          if (peek().kind == tok::close) {
            next();
            break;
          }
          if (peek().kind == tok::ident) {
            req.values.push_back(next().text);
          } else if (peek().kind == tok::comma) {
            // An empty value between commas.
            req.values.emplace_back();
          } else {
            return "found '" + peek().text + "', expected: ',', ')' or "
                   "identifier";
          }
          if (peek().kind == tok::comma) {
            next();
            if (peek().kind == tok::close)
              req.values.emplace_back();
            continue;
          }
          if (peek().kind != tok::close)
            return "found '" + peek().text + "', expected: ',' or ')'";
        }
        if (req.values.empty())
          return "for 'in', 'notin' operators, values set can't be empty";
      } else if (req.op == label_op::equals || req.op == label_op::not_equals) {
        // Single value; may be empty ("a=").
        if (peek().kind == tok::ident)
          req.values.push_back(next().text);
        else if (peek().kind == tok::comma || peek().kind == tok::end)
          req.values.emplace_back();
        else
          return "found '" + peek().text + "', expected: identifier";
      } else {
        // gt / lt: one integer.
        if (peek().kind != tok::ident)
          return "found '" + peek().text + "', expected: identifier";
        auto v = next().text;
        int64_t tmp = 0;
        if (!parse_int(v, tmp))
          return "for 'Gt', 'Lt' operators, the value must be an integer";
        req.values.push_back(std::move(v));
      }
    }
    sel.reqs_.push_back(std::move(req));
    const auto& sep = next();
    if (sep.kind == tok::end)
      break;
    if (sep.kind != tok::comma)
      return "found '" + sep.text + "', expected: ',' or 'end of string'";
  }
  return sel;
}

bool label_selector::matches(const value_lookup& get) const {
  for (const auto& r : reqs_) {
    auto v = get(r.key);
    switch (r.op) {
      case label_op::exists:
        if (!v)
          return false;
        break;
      case label_op::not_exists:
        if (v)
          return false;
        break;
      case label_op::equals:
        if (!v || *v != r.values.front())
          return false;
        break;
      case label_op::not_equals:
        if (v && *v == r.values.front())
          return false;
        break;
      case label_op::in:
        if (!v)
          return false;
        if (std::find(r.values.begin(), r.values.end(), *v) == r.values.end())
          return false;
        break;
      case label_op::gt:
      case label_op::lt: {
        int64_t have = 0;
        int64_t want = 0;
        if (!v || !parse_int(*v, have) || !parse_int(r.values.front(), want))
          return false;
        if (r.op == label_op::gt ? !(have > want) : !(have < want))
          return false;
        break;
      }
      case label_op::not_in:
        if (v
            && std::find(r.values.begin(), r.values.end(), *v)
                 != r.values.end())
          return false;
        break;
    }
  }
  return true;
}

// -- field selector -------------------------------------------------------------

namespace {

/// Splits on unescaped `sep`, keeping escapes in the parts.
std::vector<std::string> split_unescaped(std::string_view in, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      cur += in[i];
      cur += in[i + 1];
      ++i;
    } else if (in[i] == sep) {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += in[i];
    }
  }
  out.push_back(std::move(cur));
  return out;
}

bool unescape_value(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\') {
      if (i + 1 >= in.size())
        return false;
      char c = in[i + 1];
      if (c != '\\' && c != ',' && c != '=')
        return false;
      out += c;
      ++i;
    } else if (in[i] == ',' || in[i] == '=') {
      return false;
    } else {
      out += in[i];
    }
  }
  return true;
}

} // namespace

std::variant<field_selector, std::string>
field_selector::parse(std::string_view text) {
  field_selector sel;
  if (text.empty())
    return sel;
  for (auto& part : split_unescaped(text, ',')) {
    // Find the first unescaped operator in the term.
    size_t op_pos = std::string::npos;
    size_t op_len = 0;
    bool negated = false;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] == '\\') {
        ++i;
        continue;
      }
      if (part.compare(i, 2, "!=") == 0) {
        op_pos = i;
        op_len = 2;
        negated = true;
        break;
      }
      if (part.compare(i, 2, "==") == 0) {
        op_pos = i;
        op_len = 2;
        break;
      }
      if (part[i] == '=') {
        op_pos = i;
        op_len = 1;
        break;
      }
    }
    if (op_pos == std::string::npos)
      return "invalid selector: '" + std::string{text} + "'; can't understand '"
             + part + "'";
    field_requirement req;
    req.field = part.substr(0, op_pos);
    req.negated = negated;
    if (!unescape_value(std::string_view{part}.substr(op_pos + op_len),
                        req.value))
      return "invalid field selector value: '" + part + "'";
    auto trim = [](std::string& s) {
      while (!s.empty() && is_space(s.back()))
        s.pop_back();
      size_t k = 0;
      while (k < s.size() && is_space(s[k]))
        ++k;
      s.erase(0, k);
    };
    trim(req.field);
    sel.reqs_.push_back(std::move(req));
  }
  return sel;
}

bool field_selector::matches(const value_lookup& get) const {
  for (const auto& r : reqs_) {
    auto v = get(r.field).value_or(std::string{});
    if ((v == r.value) == r.negated)
      return false;
  }
  return true;
}

std::optional<std::string>
field_selector::exact(std::string_view field) const {
  for (const auto& r : reqs_)
    if (r.field == field && !r.negated)
      return r.value;
  return std::nullopt;
}

} // namespace cafelet::apiserver
