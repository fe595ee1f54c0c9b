#include "tests/apiserver/schema.hpp"

#include "tests/apiserver/support.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace cafelet::apiserver {

namespace detail {
extern const char* const schema_text;
} // namespace detail

namespace {

using shape = go_type::shape;

/// Owns every go_type built from the schema text.
class type_registry {
public:
  type_registry() {
    parse(detail::schema_text);
  }

  const go_type* root(std::string_view kind) const {
    auto i = structs_.find(std::string{kind});
    return i == structs_.end() ? nullptr : i->second;
  }

private:
  go_type* make(shape k) {
    auto& t = pool_.emplace_back();
    t.kind = k;
    return &t;
  }

  go_type* struct_named(const std::string& name) {
    auto& slot = structs_[name];
    if (!slot) {
      slot = make(shape::structure);
      slot->name = name;
    }
    return slot;
  }

  const go_type* scalar(std::string_view word) {
    static const std::map<std::string_view, shape> scalars = {
      {"string", shape::string},     {"bool", shape::boolean},
      {"int32", shape::int32},       {"int64", shape::int64},
      {"float64", shape::float64},   {"time", shape::time},
      {"microtime", shape::micro_time}, {"quantity", shape::quantity},
      {"intstr", shape::int_or_string}, {"bytes", shape::bytes},
      {"raw", shape::raw},
    };
    auto i = scalars.find(word);
    if (i == scalars.end())
      return nullptr;
    auto& slot = scalar_types_[i->second];
    if (!slot)
      slot = make(i->second);
    return slot;
  }

  const go_type* type_of(std::string_view spec) {
    if (spec.starts_with("[]")) {
      auto* t = make(shape::slice);
      t->elem = type_of(spec.substr(2));
      return t;
    }
    if (spec.starts_with("map[")) {
      auto* t = make(shape::map);
      t->elem = type_of(spec.substr(4, spec.size() - 5));
      return t;
    }
    if (auto* s = scalar(spec))
      return s;
    return struct_named(std::string{spec});
  }

  static std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n'))
      s.remove_suffix(1);
    return std::string{s};
  }

  void parse(std::string_view text) {
    // Split into definitions: a definition starts on a non-indented line.
    std::vector<std::string> defs;
    std::istringstream in{std::string{text}};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty())
        continue;
      if (line.front() != ' ')
        defs.push_back(line);
      else if (!defs.empty())
        defs.back() += " " + line;
    }
    for (const auto& def : defs) {
      auto colon = def.find(':');
      auto name = trim(std::string_view{def}.substr(0, colon));
      bool closed = !name.empty() && name.back() == '!';
      if (closed)
        name.pop_back();
      auto* t = struct_named(name);
      t->closed = closed;
      std::string_view body{def};
      body.remove_prefix(colon + 1);
      while (!body.empty()) {
        auto semi = body.find(';');
        auto part = trim(body.substr(0, semi));
        body = semi == std::string_view::npos ? std::string_view{}
                                              : body.substr(semi + 1);
        if (part.empty())
          continue;
        go_field f;
        auto space = part.find(' ');
        f.name = part.substr(0, space);
        auto spec = trim(std::string_view{part}.substr(space + 1));
        if (!spec.empty() && spec.back() == '=') {
          f.omitempty = false;
          spec.pop_back();
        }
        if (!spec.empty() && spec.front() == '*') {
          f.pointer = true;
          spec.erase(0, 1);
        }
        f.type = type_of(spec);
        t->fields.push_back(std::move(f));
      }
    }
  }

  std::deque<go_type> pool_;
  std::map<std::string, go_type*> structs_;
  std::map<shape, go_type*> scalar_types_;
};

const type_registry& registry() {
  static type_registry instance;
  return instance;
}

std::string_view json_kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::value::type::boolean:
      return "bool";
    case json::value::type::integer:
    case json::value::type::number:
      return "number";
    case json::value::type::string:
      return "string";
    case json::value::type::array:
      return "array";
    case json::value::type::object:
      return "object";
    default:
      return "null";
  }
}

/// Decoding context: where we are for error messages.
struct decoder {
  decode_result result;
  std::vector<std::string> path;
  std::string struct_name;

  std::string field_path() const {
    std::string out;
    for (const auto& p : path) {
      if (!out.empty())
        out += '.';
      out += p;
    }
    return out;
  }

  void type_error(std::string_view what, const go_type& t) {
    if (result.error)
      return;
    std::string msg = "json: cannot unmarshal ";
    msg += what;
    if (path.empty()) {
      msg += " into Go value of type " + t.go_name();
    } else {
      msg += " into Go struct field " + struct_name + "." + field_path()
             + " of type " + t.go_name();
    }
    result.error = std::move(msg);
  }

  void plain_error(std::string msg) {
    if (!result.error)
      result.error = std::move(msg);
  }

  void decode(const go_type& t, json::value& v) {
    if (v.is_null() || result.error)
      return;
    switch (t.kind) {
      case shape::string:
        if (!v.is_string())
          type_error(json_kind_name(v), t);
        break;
      case shape::boolean:
        if (!v.is_bool())
          type_error(json_kind_name(v), t);
        break;
      case shape::int32:
      case shape::int64:
        if (v.is_int()) {
          auto x = v.as_int();
          if (t.kind == shape::int32
              && (x < std::numeric_limits<int32_t>::min()
                  || x > std::numeric_limits<int32_t>::max()))
            type_error("number " + std::to_string(x), t);
        } else if (v.is_double()) {
          type_error("number " + json::dump(v), t);
        } else {
          type_error(json_kind_name(v), t);
        }
        break;
      case shape::float64:
        if (!v.is_number())
          type_error(json_kind_name(v), t);
        break;
      case shape::time:
      case shape::micro_time:
        if (!v.is_string()) {
          plain_error("json: cannot unmarshal " + std::string{json_kind_name(v)}
                      + " into Go value of type string");
        } else if (!v.as_string().empty()) {
          auto parsed = parse_time(v.as_string());
          if (!parsed)
            plain_error("parsing time \"" + v.as_string()
                        + "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \""
                        + v.as_string() + "\" as \"2006\"");
        }
        break;
      case shape::quantity:
        if (!v.is_string() && !v.is_number())
          plain_error("quantities must match the regular expression "
                      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
        break;
      case shape::int_or_string:
        if (!v.is_string() && !v.is_int()) {
          if (v.is_double())
            plain_error("json: cannot unmarshal number " + json::dump(v)
                        + " into Go value of type int32");
          else
            plain_error("json: cannot unmarshal "
                        + std::string{json_kind_name(v)}
                        + " into Go value of type int32");
        }
        break;
      case shape::bytes:
        if (!v.is_string()) {
          type_error(json_kind_name(v), t);
        } else {
          size_t bad = 0;
          if (!base64_decode(v.as_string(), &bad))
            plain_error("illegal base64 data at input byte "
                        + std::to_string(bad));
        }
        break;
      case shape::raw:
        break;
      case shape::slice:
        if (!v.is_array()) {
          type_error(json_kind_name(v), t);
          break;
        }
        for (auto& element : v.as_array())
          decode(*t.elem, element);
        break;
      case shape::map:
        if (!v.is_object()) {
          type_error(json_kind_name(v), t);
          break;
        }
        for (auto& [key, element] : v.as_object())
          decode(*t.elem, element);
        break;
      case shape::structure: {
        if (!v.is_object()) {
          type_error(json_kind_name(v), t);
          break;
        }
        auto& members = v.as_object();
        json::object kept;
        kept.reserve(members.size());
        for (auto& [key, member] : members) {
          const auto* f = t.field(key);
          if (f == nullptr && t.closed) {
            path.push_back(key);
            result.unknown_fields.push_back(field_path());
            path.pop_back();
            continue;
          }
          if (f != nullptr) {
            auto saved = struct_name;
            struct_name = t.name;
            path.push_back(key);
            decode(*f->type, member);
            path.pop_back();
            struct_name = std::move(saved);
          }
          kept.emplace_back(key, std::move(member));
        }
        members = std::move(kept);
        break;
      }
    }
  }
};

bool is_empty_for_omitempty(const go_type& t, const json::value& v) {
  switch (t.kind) {
    case shape::string:
    case shape::bytes:
      return v.is_string() && v.as_string().empty();
    case shape::boolean:
      return v.is_bool() && !v.as_bool();
    case shape::int32:
    case shape::int64:
    case shape::float64:
      return v.is_number() && v.as_double() == 0.0;
    case shape::slice:
      return v.is_array() && v.as_array().empty();
    case shape::map:
      return v.is_object() && v.as_object().empty();
    default:
      return false;
  }
}

bool always_emitted(const go_field& f) {
  if (f.pointer)
    return false;
  switch (f.type->kind) {
    case shape::structure:
    case shape::time:
    case shape::micro_time:
    case shape::quantity:
    case shape::int_or_string:
      return true;
    default:
      return !f.omitempty;
  }
}

} // namespace

const go_field* go_type::field(std::string_view json_name) const {
  for (const auto& f : fields)
    if (f.name == json_name)
      return &f;
  return nullptr;
}

std::string go_type::go_name() const {
  switch (kind) {
    case shape::string:
      return "string";
    case shape::boolean:
      return "bool";
    case shape::int32:
      return "int32";
    case shape::int64:
      return "int64";
    case shape::float64:
      return "float64";
    case shape::time:
      return "v1.Time";
    case shape::micro_time:
      return "v1.MicroTime";
    case shape::quantity:
      return "resource.Quantity";
    case shape::int_or_string:
      return "intstr.IntOrString";
    case shape::bytes:
      return "[]uint8";
    case shape::raw:
      return "interface {}";
    case shape::structure:
      return "v1." + name;
    case shape::slice:
      return "[]" + elem->go_name();
    case shape::map:
      return "map[string]" + elem->go_name();
  }
  return "?";
}

const go_type* schema_for(std::string_view kind) {
  return registry().root(kind);
}

decode_result decode_as(const go_type& type, json::value& v) {
  decoder d;
  d.decode(type, v);
  if (!d.result.error)
    normalize_as(type, v);
  return std::move(d.result);
}

json::value zero_value(const go_type& t) {
  switch (t.kind) {
    case shape::string:
      return json::value{""};
    case shape::boolean:
      return json::value{false};
    case shape::int32:
    case shape::int64:
    case shape::int_or_string:
      return json::value{0};
    case shape::float64:
      return json::value{0.0};
    case shape::quantity:
      return json::value{"0"};
    case shape::structure: {
      json::value out{json::object{}};
      for (const auto& f : t.fields)
        if (always_emitted(f))
          out[f.name] = zero_value(*f.type);
      return out;
    }
    default:
      return json::value{};
  }
}

void normalize_as(const go_type& t, json::value& v) {
  switch (t.kind) {
    case shape::time:
      if (v.is_string() && !v.as_string().empty())
        if (auto parsed = parse_time(v.as_string()))
          v = json::value{format_time(*parsed)};
      break;
    case shape::micro_time:
      if (v.is_string() && !v.as_string().empty())
        if (auto parsed = parse_time(v.as_string()))
          v = json::value{format_micro_time(*parsed)};
      break;
    case shape::quantity:
      if (v.is_number())
        v = json::value{json::dump(v)};
      break;
    case shape::slice:
      if (v.is_array())
        for (auto& element : v.as_array())
          normalize_as(*t.elem, element);
      break;
    case shape::map:
      if (v.is_object()) {
        auto& members = v.as_object();
        std::stable_sort(members.begin(), members.end(),
                         [](const auto& a, const auto& b) {
                           return a.first < b.first;
                         });
        for (auto& [key, element] : members)
          normalize_as(*t.elem, element);
      }
      break;
    case shape::structure: {
      if (!v.is_object()) {
        v = zero_value(t);
        break;
      }
      auto& members = v.as_object();
      json::object out;
      out.reserve(members.size() + 4);
      for (const auto& f : t.fields) {
        auto i = std::find_if(members.begin(), members.end(),
                              [&](const auto& m) { return m.first == f.name; });
        if (i == members.end() || i->second.is_null()) {
          if (always_emitted(f))
            out.emplace_back(f.name, zero_value(*f.type));
          continue;
        }
        normalize_as(*f.type, i->second);
        if (!f.pointer && f.omitempty && is_empty_for_omitempty(*f.type, i->second))
          continue;
        out.emplace_back(f.name, std::move(i->second));
      }
      for (auto& m : members)
        if (t.field(m.first) == nullptr && !m.second.is_null())
          out.emplace_back(m.first, std::move(m.second));
      members = std::move(out);
      break;
    }
    default:
      break;
  }
}

} // namespace cafelet::apiserver
