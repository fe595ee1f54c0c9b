// Static pod manifests: YAML 1.1 -> JSON as sigs.k8s.io/yaml converts it
// (with the line of every field path), schema check, decode, validation and
// the node identity of upstream's applyDefaults.
#include "messages/k8s/manifest.hpp"

#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/pod_schema.hpp"
#include "messages/text.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <variant>

namespace cafelet::k8s {

namespace {

// -- problems and lines ------------------------------------------------------

/// Field path -> 1-based line of its key (or of the list element).
using line_map = std::unordered_map<std::string, int>;

/// Deepest nesting of a manifest (yaml-cpp stops at 2000 itself).
constexpr size_t max_nesting = json::max_depth;

/// Most values a manifest may expand to (guards against alias bombs).
constexpr size_t max_values = 100'000;

manifest_problem problem(int line, std::string field, std::string message) {
  return manifest_problem{line, std::move(field), std::move(message)};
}

/// The line of `path` or of its nearest recorded ancestor; 0 if none.
int find_line(const line_map& lines, std::string_view path) {
  std::string p{path};
  for (;;) {
    if (auto i = lines.find(p); i != lines.end())
      return i->second;
    auto cut = p.find_last_of(".[");
    if (p.empty() || cut == std::string::npos)
      return 0;
    p.resize(cut);
  }
}

/// A problem at `path`, on its line.
manifest_problem at(const line_map& lines, std::string path,
                    std::string message) {
  auto line = find_line(lines, path);
  return problem(line, std::move(path), std::move(message));
}

int line_of(const YAML::Node& node) {
  auto line = node.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

int line_of(const YAML::Mark& mark) {
  return mark.line >= 0 ? mark.line + 1 : 0;
}

void append_key(std::string& path, std::string_view key) {
  if (!path.empty())
    path += '.';
  path += key;
}

void append_index(std::string& path, size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}

/// The JSON type name as the decoders spell it.
std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::value::type::null: return "null";
    case json::value::type::boolean: return "boolean";
    case json::value::type::integer:
    case json::value::type::number: return "number";
    case json::value::type::string: return "string";
    case json::value::type::array: return "array";
    case json::value::type::object: return "object";
  }
  return "unknown";
}

/// A value for messages: strings quoted as Go's %q, else JSON.
std::string show(const json::value& v) {
  if (v.is_string())
    return text::go_quote(v.as_string());
  return json::dump(v);
}

// -- YAML 1.1 scalars as go-yaml v2 resolves them ----------------------------

constexpr std::string_view yaml_tag = "tag:yaml.org,2002:";

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> xs) {
  return std::find(xs.begin(), xs.end(), s) != xs.end();
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int digit_value(char c) {
  if (is_digit(c))
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

/// Go's strconv.ParseUint(s, 0, 64) for the magnitude after the sign:
/// 0x/0o/0b prefixes, a leading 0 for octal, else decimal.
bool parse_magnitude(std::string_view s, uint64_t& out) {
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    switch (s[1]) {
      case 'x': case 'X': base = 16; s.remove_prefix(2); break;
      case 'o': case 'O': base = 8; s.remove_prefix(2); break;
      case 'b': case 'B': base = 2; s.remove_prefix(2); break;
      default: base = 8; s.remove_prefix(1);
    }
  }
  if (s.empty())
    return false;
  uint64_t x = 0;
  auto b = static_cast<uint64_t>(base);
  for (char c : s) {
    auto d = digit_value(c);
    if (d >= base)
      return false;
    auto digit = static_cast<uint64_t>(d);
    if (x > (UINT64_MAX - digit) / b)
      return false;
    x = x * b + digit;
  }
  out = x;
  return true;
}

/// go-yaml v2's integer resolution: ParseInt(s, 0, 64), then
/// ParseUint(s, 0, 64) (no sign).
std::optional<json::value> parse_go_int(std::string_view s) {
  char sign = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0];
    s.remove_prefix(1);
  }
  uint64_t mag = 0;
  if (!parse_magnitude(s, mag))
    return std::nullopt;
  constexpr auto int_max = static_cast<uint64_t>(INT64_MAX);
  if (sign == '-') {
    if (mag > int_max + 1)
      return std::nullopt;
    return json::value{static_cast<int64_t>(0 - mag)};
  }
  if (mag <= int_max)
    return json::value{static_cast<int64_t>(mag)};
  if (sign == '+')
    return std::nullopt;
  return json::value{mag}; // becomes a double, as JSON numbers do
}

/// go-yaml v2's float syntax:
/// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool yaml_float_syntax(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    auto start = i;
    while (i < s.size() && is_digit(s[i]))
      ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0)
      return false;
  } else {
    if (digits() == 0)
      return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    if (digits() == 0)
      return false;
  }
  return i == s.size();
}

/// strconv.ParseFloat for decimal text; integral values become integers
/// (Go's encoding/json prints 8.0 as 8, so it reads back as an integer).
std::optional<json::value> parse_go_float(std::string_view s) {
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);
  double x = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(x))
    return std::nullopt;
  if (std::trunc(x) == x && std::fabs(x) < 9.2e18)
    return json::value{static_cast<int64_t>(x)};
  return json::value{x};
}

/// How a plain scalar resolved.
struct plain_scalar {
  json::value value;
  /// .inf or .nan: a float JSON cannot carry.
  bool non_finite = false;
};

/// Resolves a plain (unquoted) scalar as go-yaml v2 does.
plain_scalar resolve_plain(const std::string& s) {
  if (s.empty())
    return {json::value{}};
  auto c = s[0];
  bool sign_or_digit = c == '+' || c == '-' || is_digit(c);
  if (!sign_or_digit && c != '.'
      && std::string_view{"yYnNtTfFoO~"}.find(c) == std::string_view::npos)
    return {json::value{s}};
  if (is_one_of(s, {"~", "null", "Null", "NULL"}))
    return {json::value{}};
  if (is_one_of(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                    "on", "On", "ON"}))
    return {json::value{true}};
  if (is_one_of(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                    "off", "Off", "OFF"}))
    return {json::value{false}};
  if (is_one_of(s, {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf",
                    "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"}))
    return {json::value{}, true};
  if (c == '.') {
    if (yaml_float_syntax(s))
      if (auto x = parse_go_float(s))
        return {std::move(*x)};
    return {json::value{s}};
  }
  if (!sign_or_digit)
    return {json::value{s}};
  std::string plain;
  std::copy_if(s.begin(), s.end(), std::back_inserter(plain),
               [](char ch) { return ch != '_'; });
  if (auto x = parse_go_int(plain))
    return {std::move(*x)};
  if (yaml_float_syntax(plain))
    if (auto x = parse_go_float(plain))
      return {std::move(*x)};
  return {json::value{s}};
}

// -- YAML tree -> JSON -------------------------------------------------------

/// Converts a yaml-cpp tree to JSON as sigs.k8s.io/yaml (go-yaml v2) does,
/// recording the line of every field path.
class converter {
public:
  explicit converter(line_map& lines) : lines_(lines) {
    // nop
  }

  /// Converts `node` (at `path`) into `out`; false after a problem.
  bool convert(const YAML::Node& node, std::string& path, size_t depth,
               json::value& out) {
    if (++values_ > max_values)
      return fail(node, path, "too many values (more than "
                                + std::to_string(max_values)
                                + " after expanding aliases)");
    if (depth > max_nesting)
      return fail(node, path, "nested too deeply");
    switch (node.Type()) {
      case YAML::NodeType::Null:
        out = nullptr;
        return true;
      case YAML::NodeType::Scalar:
        return scalar(node, path, out);
      case YAML::NodeType::Sequence: {
        auto& arr = out.as_array();
        size_t index = 0;
        for (const auto& element : node) {
          auto len = path.size();
          append_index(path, index++);
          lines_[path] = line_of(element);
          if (!convert(element, path, depth + 1, arr.emplace_back()))
            return false;
          path.resize(len);
        }
        return true;
      }
      case YAML::NodeType::Map: {
        std::set<std::string, std::less<>> seen;
        return mapping(node, path, depth, out.as_object(), seen);
      }
      default:
        out = nullptr;
        return true;
    }
  }

  /// The problem after `convert` returned false.
  manifest_problem take_problem() {
    return std::move(problem_);
  }

private:
  bool fail(const YAML::Node& node, const std::string& path,
            std::string message) {
    problem_ = problem(line_of(node), path, std::move(message));
    return false;
  }

  bool scalar(const YAML::Node& node, const std::string& path,
              json::value& out) {
    static const std::string str_tag = std::string{yaml_tag} + "str";
    static const std::string binary_tag = std::string{yaml_tag} + "binary";
    static const std::string null_tag = std::string{yaml_tag} + "null";
    const auto& tag = node.Tag();
    const auto& text = node.Scalar();
    if (tag == "!" || tag == str_tag || tag == binary_tag) {
      out = text; // quoted, or explicitly a string
      return true;
    }
    if (tag == null_tag) {
      out = nullptr;
      return true;
    }
    auto resolved = resolve_plain(text);
    if (resolved.non_finite)
      return fail(node, path, "unsupported value " + text
                                + ": JSON has no infinity or NaN");
    out = std::move(resolved.value);
    return true;
  }

  /// A map key as sigs.k8s.io/yaml turns it into a JSON member name.
  bool key_text(const YAML::Node& key, const std::string& path,
                std::string& out) {
    if (key.IsMap() || key.IsSequence())
      return fail(key, path, "a mapping key must be a scalar, got a "
                               + std::string{key.IsMap() ? "mapping"
                                                         : "list"});
    if (!key.IsScalar())
      return fail(key, path, "unsupported map key: null");
    const auto& text = key.Scalar();
    if (key.Tag() != "?") {
      out = text;
      return true;
    }
    auto resolved = resolve_plain(text);
    const auto& v = resolved.value;
    if (v.is_null() && !resolved.non_finite)
      return fail(key, path, "unsupported map key: null");
    if (v.is_bool())
      out = v.as_bool() ? "true" : "false";
    else if (v.is_int())
      out = std::to_string(v.as_int());
    else
      out = text;
    return true;
  }

  static bool is_merge_key(const YAML::Node& key) {
    return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
  }

  static void set(json::object& obj, std::string key, json::value val) {
    auto i = std::find_if(obj.begin(), obj.end(),
                          [&](const auto& kv) { return kv.first == key; });
    if (i != obj.end())
      i->second = std::move(val);
    else
      obj.emplace_back(std::move(key), std::move(val));
  }

  /// Converts the members of a mapping into `obj`; later members replace
  /// earlier ones as in go-yaml, but a key written twice is a problem.
  bool mapping(const YAML::Node& node, std::string& path, size_t depth,
               json::object& obj, std::set<std::string, std::less<>>& seen) {
    for (const auto& kv : node) {
      YAML::Node key = kv.first;
      YAML::Node val = kv.second;
      if (is_merge_key(key)) {
        if (!merge(key, val, path, depth, obj))
          return false;
        continue;
      }
      std::string name;
      if (!key_text(key, path, name))
        return false;
      auto len = path.size();
      append_key(path, name);
      if (!seen.insert(name).second)
        return fail(key, path, "duplicate field");
      lines_[path] = line_of(key);
      json::value member;
      if (!convert(val, path, depth + 1, member))
        return false;
      path.resize(len);
      set(obj, std::move(name), std::move(member));
    }
    return true;
  }

  /// A `<<` merge key: the value is a mapping or a list of mappings
  /// (earlier ones take precedence).
  bool merge(const YAML::Node& key, const YAML::Node& val, std::string& path,
             size_t depth, json::object& obj) {
    static constexpr auto bad = "map merge requires a mapping or a list of "
                                "mappings as the value";
    if (++values_ > max_values || ++depth > max_nesting)
      return fail(key, path, "nested too deeply or too many values");
    if (val.IsMap()) {
      std::set<std::string, std::less<>> seen;
      return mapping(val, path, depth, obj, seen);
    }
    if (!val.IsSequence())
      return fail(key, path, bad);
    for (size_t i = val.size(); i > 0; --i) {
      auto element = val[i - 1];
      if (!element.IsMap())
        return fail(element, path, bad);
      std::set<std::string, std::less<>> seen;
      if (!mapping(element, path, depth, obj, seen))
        return false;
    }
    return true;
  }

  line_map& lines_;
  size_t values_ = 0;
  manifest_problem problem_;
};

/// The single document of `text` as JSON, or the problem.
std::variant<json::value, manifest_problem> parse_yaml(std::string_view text,
                                                       line_map& lines) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string{text});
  } catch (const YAML::Exception& e) {
    return problem(line_of(e.mark), {}, "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return problem(0, {}, std::string{"invalid YAML: "} + e.what());
  }
  const YAML::Node* doc = nullptr;
  for (const auto& d : docs) {
    if (d.IsNull())
      continue;
    if (doc != nullptr)
      return problem(line_of(d), {},
                     "multiple YAML documents: a static pod manifest must "
                     "hold exactly one Pod");
    doc = &d;
  }
  if (doc == nullptr)
    return problem(0, {}, "empty manifest: no Pod in the file");
  if (!doc->IsMap())
    return problem(line_of(*doc), {},
                   std::string{"a static pod manifest must be a mapping "
                               "holding one Pod, got a "}
                     + (doc->IsSequence() ? "list" : "scalar"));
  converter conv{lines};
  json::value result;
  std::string path;
  try {
    if (!conv.convert(*doc, path, 0, result))
      return conv.take_problem();
  } catch (const std::exception& e) {
    return problem(0, {}, std::string{"invalid YAML: "} + e.what());
  }
  return result;
}

// -- schema ------------------------------------------------------------------

/// Checks `v` at `path` against `node`: unknown fields and values of the
/// wrong shape.
std::optional<manifest_problem> check_schema(const json::value& v,
                                             const schema_node* node,
                                             std::string& path,
                                             const line_map& lines) {
  using shape = schema_node::shape;
  if (v.is_null() || node->kind == shape::any)
    return std::nullopt;
  auto mismatch = [&](std::string_view expected) {
    std::string msg = "expected ";
    msg += expected;
    msg += ", got ";
    msg += type_name(v);
    return at(lines, path, std::move(msg));
  };
  switch (node->kind) {
    case shape::scalar:
      if (v.is_object() || v.is_array())
        return mismatch("a scalar value");
      return std::nullopt;
    case shape::list: {
      if (!v.is_array())
        return mismatch("array");
      size_t index = 0;
      for (const auto& element : v.as_array()) {
        auto len = path.size();
        append_index(path, index++);
        if (auto p = check_schema(element, node->element(), path, lines))
          return p;
        path.resize(len);
      }
      return std::nullopt;
    }
    case shape::map:
      if (!v.is_object())
        return mismatch("object");
      return std::nullopt;
    case shape::object:
      if (!v.is_object())
        return mismatch("object");
      for (const auto& [key, member] : v.as_object()) {
        auto len = path.size();
        append_key(path, key);
        auto* child = node->child(key);
        if (child == nullptr)
          return at(lines, path, "unknown field");
        if (auto p = check_schema(member, child, path, lines))
          return p;
        path.resize(len);
      }
      return std::nullopt;
    case shape::any:
      break;
  }
  return std::nullopt;
}

/// apiVersion v1, kind Pod.
std::optional<manifest_problem> check_type(const json::value& root,
                                           const line_map& lines) {
  auto check = [&](std::string_view key, std::string_view wanted)
    -> std::optional<manifest_problem> {
    const auto* v = root.find(key);
    if (v == nullptr || v->is_null()
        || (v->is_string() && v->as_string().empty()))
      return problem(0, std::string{key},
                     "Required value: must be " + text::go_quote(wanted));
    if (v->is_string() && v->as_string() == wanted)
      return std::nullopt;
    return at(lines, std::string{key},
              "Unsupported value: " + show(*v) + ": supported values: "
                + text::go_quote(wanted));
  };
  if (auto p = check("kind", "Pod"))
    return p;
  return check("apiVersion", "v1");
}

/// Maps a decoder error ("Pod: spec.containers[0].image: expected string,
/// got number") to a problem on the line of its field path.
manifest_problem decode_problem(const caf::error& err, const line_map& lines) {
  auto msg = context_of(err);
  std::string_view rest = msg;
  if (rest.starts_with("Pod: "))
    rest.remove_prefix(5);
  for (auto pos = rest.find(": "); pos != std::string_view::npos;
       pos = rest.find(": ", pos + 2)) {
    std::string field{rest.substr(0, pos)};
    if (lines.count(field) > 0)
      return at(lines, std::move(field), std::string{rest.substr(pos + 2)});
  }
  return problem(0, {}, std::string{rest});
}

// -- validation --------------------------------------------------------------

constexpr std::string_view label_fmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
}

/// Matches [a-z0-9]([-a-z0-9]*[a-z0-9])? (no length limit).
bool matches_label(std::string_view s) {
  return !s.empty() && s.front() != '-' && s.back() != '-'
         && std::all_of(s.begin(), s.end(), is_label_char);
}

/// Problem text for a DNS-1123 label, or empty if `s` is one.
std::string label_error(std::string_view s) {
  if (s.size() > 63)
    return "must be no more than 63 characters";
  if (!matches_label(s))
    return "a lowercase RFC 1123 label must consist of lower case "
           "alphanumeric characters or '-', and must start and end with an "
           "alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
           "used for validation is '"
           + std::string{label_fmt} + "')";
  return {};
}

/// Problem text for a DNS-1123 subdomain, or empty if `s` is one.
std::string subdomain_error(std::string_view s) {
  if (s.size() > 253)
    return "must be no more than 253 characters";
  bool ok = !s.empty();
  for (size_t start = 0; ok;) {
    auto dot = s.find('.', start);
    ok = matches_label(s.substr(start, dot - start));
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  if (!ok)
    return "a lowercase RFC 1123 subdomain must consist of lower case "
           "alphanumeric characters, '-' or '.', and must start and end "
           "with an alphanumeric character (e.g. 'example.com', regex used "
           "for validation is '"
           + std::string{label_fmt} + "(\\." + std::string{label_fmt}
           + ")*')";
  return {};
}

std::string invalid(std::string_view value, const std::string& why) {
  return "Invalid value: " + text::go_quote(value) + ": " + why;
}

std::string unsupported(std::string_view value,
                        std::initializer_list<std::string_view> supported) {
  std::string msg = "Unsupported value: " + text::go_quote(value)
                    + ": supported values: ";
  bool first = true;
  for (auto x : supported) {
    if (!first)
      msg += ", ";
    first = false;
    msg += text::go_quote(x);
  }
  return msg;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// The API server's checks that are cheap and clearly right; the first
/// problem found.
class validator {
public:
  validator(const pod& p, const line_map& lines, std::string_view node_name)
    : pod_(p), lines_(lines), node_name_(node_name) {
    // nop
  }

  std::optional<manifest_problem> run() {
    if (auto p = metadata())
      return p;
    for (size_t i = 0; i < pod_.spec.volumes.size(); ++i)
      if (auto p = volume(i))
        return p;
    const auto& spec = pod_.spec;
    if (spec.containers.empty())
      return at(lines_, "spec.containers", "Required value");
    for (size_t i = 0; i < spec.init_containers.size(); ++i)
      if (auto p = container(spec.init_containers[i], "spec.initContainers",
                             i))
        return p;
    for (size_t i = 0; i < spec.containers.size(); ++i)
      if (auto p = container(spec.containers[i], "spec.containers", i))
        return p;
    const auto& rp = spec.restart_policy;
    if (!rp.empty() && rp != "Always" && rp != "OnFailure" && rp != "Never")
      return at(lines_, "spec.restartPolicy",
                unsupported(rp, {"Always", "OnFailure", "Never"}));
    return std::nullopt;
  }

private:
  std::optional<manifest_problem> fail(std::string path, std::string msg) {
    return at(lines_, std::move(path), std::move(msg));
  }

  std::optional<manifest_problem> metadata() {
    const auto& name = pod_.metadata.name;
    if (name.empty())
      return fail("metadata.name",
                  "Required value: name is needed for the pod");
    if (auto why = subdomain_error(name); !why.empty())
      return fail("metadata.name", invalid(name, why));
    auto full = name + "-" + lower(node_name_);
    if (auto why = subdomain_error(full); !why.empty())
      return fail("metadata.name",
                  invalid(full, why + " (the pod name with the node name "
                                      "suffix the kubelet appends)"));
    const auto& ns = pod_.metadata.namespace_;
    if (!ns.empty())
      if (auto why = label_error(ns); !why.empty())
        return fail("metadata.namespace", invalid(ns, why));
    // A UID given in the manifest names the pod's directory on the node:
    // letters, digits, '-', '_' and '.', starting with a letter or digit.
    const auto& uid = pod_.metadata.uid;
    if (!uid.empty()) {
      auto ok = uid.size() <= 128 && std::isalnum(static_cast<unsigned char>(uid[0]))
                && std::all_of(uid.begin(), uid.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '-'
                            || c == '_' || c == '.';
                   });
      if (!ok)
        return fail("metadata.uid",
                    invalid(uid, "at most 128 letters, digits, '-', '_' or '.', "
                                 "starting with a letter or digit"));
    }
    if (pod_.metadata.deletion_timestamp)
      return fail("metadata.deletionTimestamp",
                  "Forbidden: a manifest cannot describe a pod being deleted");
    return std::nullopt;
  }

  std::optional<manifest_problem> volume(size_t index) {
    const auto& name = pod_.spec.volumes[index].name;
    auto path = "spec.volumes[" + std::to_string(index) + "].name";
    if (name.empty())
      return fail(path, "Required value");
    if (auto why = label_error(name); !why.empty())
      return fail(path, invalid(name, why));
    if (!volumes_.insert(name).second)
      return fail(path, "Duplicate value: " + text::go_quote(name));
    return std::nullopt;
  }

  std::optional<manifest_problem>
  container(const k8s::container& c, std::string_view list, size_t index) {
    auto base = std::string{list} + "[" + std::to_string(index) + "]";
    if (c.name.empty())
      return fail(base + ".name", "Required value");
    if (auto why = label_error(c.name); !why.empty())
      return fail(base + ".name", invalid(c.name, why));
    if (!containers_.insert(c.name).second)
      return fail(base + ".name", "Duplicate value: " + text::go_quote(c.name));
    if (c.image.empty())
      return fail(base + ".image", "Required value");
    for (size_t i = 0; i < c.ports.size(); ++i)
      if (auto p = port(c.ports[i], base + ".ports[" + std::to_string(i) + "]"))
        return p;
    const auto& pull = c.image_pull_policy;
    if (!pull.empty() && pull != "Always" && pull != "IfNotPresent"
        && pull != "Never")
      return fail(base + ".imagePullPolicy",
                  unsupported(pull, {"Always", "IfNotPresent", "Never"}));
    for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
      const auto& m = c.volume_mounts[i];
      auto path = base + ".volumeMounts[" + std::to_string(i) + "]";
      if (m.name.empty())
        return fail(path + ".name", "Required value");
      if (volumes_.count(m.name) == 0)
        return fail(path + ".name", "Not found: " + text::go_quote(m.name));
      if (m.mount_path.empty())
        return fail(path + ".mountPath", "Required value");
    }
    return std::nullopt;
  }

  std::optional<manifest_problem> port(const container_port& p,
                                       const std::string& path) {
    static constexpr auto range = "must be between 1 and 65535, inclusive";
    if (p.container_port == 0)
      return fail(path + ".containerPort", "Required value");
    if (p.container_port < 0 || p.container_port > 65535)
      return fail(path + ".containerPort",
                  "Invalid value: " + std::to_string(p.container_port) + ": "
                    + range);
    if (p.host_port < 0 || p.host_port > 65535)
      return fail(path + ".hostPort", "Invalid value: "
                                        + std::to_string(p.host_port) + ": "
                                        + range);
    const auto& proto = p.protocol;
    if (!proto.empty() && proto != "TCP" && proto != "UDP" && proto != "SCTP")
      return fail(path + ".protocol",
                  unsupported(proto, {"SCTP", "TCP", "UDP"}));
    return std::nullopt;
  }

  const pod& pod_;
  const line_map& lines_;
  std::string_view node_name_;
  std::set<std::string, std::less<>> volumes_;
  std::set<std::string, std::less<>> containers_;
};

// -- identity ----------------------------------------------------------------

/// A copy of `v` with object members sorted by key, recursively.
json::value canonical(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    out.reserve(v.size());
    for (const auto& x : v.as_array())
      out.push_back(canonical(x));
    return json::value{std::move(out)};
  }
  if (v.is_object()) {
    json::object out;
    out.reserve(v.size());
    for (const auto& [key, x] : v.as_object())
      out.emplace_back(key, canonical(x));
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
      return x.first < y.first;
    });
    return json::value{std::move(out)};
  }
  return v;
}

/// Lower-case hex MD5 of the concatenated `parts`; empty if unavailable.
std::string md5_hex(std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1)
    return {};
  for (auto part : parts)
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1)
      return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1)
    return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

/// upstream's AddOrUpdateTolerationInPod for {operator: Exists, effect:
/// NoExecute}: replaces matching tolerations (same key, operator, value and
/// effect) or appends it.
void add_no_execute_toleration(json::value& spec) {
  auto& tolerations = spec["tolerations"];
  if (!tolerations.is_array())
    tolerations = json::array{};
  json::value wanted{json::object{{"operator", "Exists"},
                                  {"effect", "NoExecute"}}};
  bool matched = false;
  for (auto& t : tolerations.as_array()) {
    if (t.get_string("key").empty() && t.get_string("operator") == "Exists"
        && t.get_string("value").empty()
        && t.get_string("effect") == "NoExecute") {
      const auto* seconds = t.find("tolerationSeconds");
      if (seconds == nullptr || seconds->is_null())
        return; // already there
      t = wanted;
      matched = true;
    }
  }
  if (!matched)
    tolerations.push_back(std::move(wanted));
}

/// applyDefaults of the file source, applied to the JSON tree.
void apply_identity(json::value& root, const static_pod_origin& origin,
                    const std::string& uid) {
  auto& meta = root["metadata"];
  meta["uid"] = uid;
  auto& name = meta["name"].as_string();
  name += "-";
  name += lower(origin.node_name);
  if (auto* ns = meta.find("namespace");
      ns == nullptr || !ns->is_string() || ns->as_string().empty())
    meta["namespace"] = "default";
  auto& annotations = meta["annotations"];
  if (!annotations.is_object())
    annotations = json::object{};
  annotations["kubernetes.io/config.hash"] = uid;
  annotations["kubernetes.io/config.seen"] = format_rfc3339_nano(origin.seen);
  annotations["kubernetes.io/config.source"] = "file";
  auto& spec = root["spec"];
  spec["nodeName"] = origin.node_name;
  add_no_execute_toleration(spec);
  auto& status = root["status"];
  if (!status.is_object())
    status = json::object{};
  status["phase"] = "Pending";
}

} // namespace

std::string to_string(const manifest_problem& x, std::string_view file) {
  std::string out{file};
  if (x.line > 0) {
    out += out.empty() ? "line " : ":";
    out += std::to_string(x.line);
  }
  if (!x.field.empty()) {
    if (!out.empty())
      out += ": ";
    out += x.field;
  }
  if (!out.empty())
    out += ": ";
  out += x.message;
  return out;
}

std::string format_rfc3339_nano(timestamp t) {
  auto out = format_time(t);
  auto micros = t.time_since_epoch().count() % 1'000'000;
  if (micros < 0)
    micros += 1'000'000;
  if (micros == 0 || out.empty() || out.back() != 'Z')
    return out;
  auto frac = std::to_string(micros);
  frac.insert(0, 6 - frac.size(), '0');
  while (frac.back() == '0')
    frac.pop_back();
  out.insert(out.size() - 1, "." + frac);
  return out;
}

static_pod_result read_static_pod(std::string_view text,
                                  const static_pod_origin& origin) {
  line_map lines;
  auto parsed = parse_yaml(text, lines);
  if (auto* p = std::get_if<manifest_problem>(&parsed))
    return std::move(*p);
  auto& root = std::get<json::value>(parsed);
  if (auto p = check_type(root, lines))
    return std::move(*p);
  std::string path;
  if (auto p = check_schema(root, pod_schema(), path, lines))
    return std::move(*p);
  // Decode and validate the manifest as written.
  auto decoded = decode_pod(json::dump(root));
  if (!decoded)
    return decode_problem(decoded.error(), lines);
  if (auto p = validator{**decoded, lines, origin.node_name}.run())
    return std::move(*p);
  // The identity of applyDefaults.
  std::string uid;
  if (const auto* given = root.find_path({"metadata", "uid"});
      given != nullptr && given->is_string() && !given->as_string().empty()) {
    uid = given->as_string();
  } else {
    auto host = "host:" + origin.node_name;
    auto file = "file:" + origin.file;
    uid = md5_hex({json::dump(canonical(root)), host, file});
    if (uid.empty())
      return problem(0, "metadata.uid",
                     "cannot compute the pod UID: MD5 is unavailable");
  }
  apply_identity(root, origin, uid);
  auto body = std::make_shared<std::string>(json::dump(root));
  auto final_pod = decode_pod(*body);
  if (!final_pod)
    return decode_problem(final_pod.error(), lines);
  return static_pod{std::move(*final_pod), std::move(body)};
}

bool ignored_manifest_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '~'
      || name == "4913")
    return true;
  if (name.size() >= 2 && name.front() == '#' && name.back() == '#')
    return true;
  for (auto suffix : {".swp", ".swo", ".swx", ".tmp"})
    if (name.ends_with(suffix))
      return true;
  return false;
}

} // namespace cafelet::k8s
