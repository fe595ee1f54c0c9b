// Parsing: simdjson ondemand -> DOM, with byte offsets in errors.
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/json/ondemand.hpp"

#include <cstring>
#include <memory>
#include <tuple>
#include <unordered_map>

namespace cafelet::json {

namespace sj = simdjson;
namespace od = simdjson::ondemand;

namespace {

constexpr size_t npos = std::string_view::npos;

/// Buffers larger than this are released after use.
constexpr size_t keep_capacity = 8 * 1024 * 1024;

/// Objects with more members than this use a hash index for duplicates.
constexpr size_t linear_dedup_limit = 16;

} // namespace

struct ondemand_session::state {
  od::parser parser;
  std::string buf;
  size_t len = 0;
  bool in_use = false;
  bool owned = false;
};

namespace {

ondemand_session::state*& thread_state() {
  thread_local std::unique_ptr<ondemand_session::state> st;
  thread_local ondemand_session::state* ptr = nullptr;
  if (!st) {
    st = std::make_unique<ondemand_session::state>();
    ptr = st.get();
  }
  return ptr;
}

} // namespace

ondemand_session::ondemand_session() {
  auto st = thread_state();
  if (st->in_use) {
    // Nested use on one thread: fall back to a private parser.
    st_ = new state;
    st_->owned = true;
  } else {
    st_ = st;
  }
  st_->in_use = true;
}

ondemand_session::~ondemand_session() {
  if (st_->owned) {
    delete st_;
    return;
  }
  st_->in_use = false;
  if (st_->buf.capacity() > keep_capacity) {
    std::string{}.swap(st_->buf);
    st_->parser = od::parser{};
  }
}

sj::simdjson_result<od::document>
ondemand_session::iterate(std::string_view text) {
  st_->len = text.size();
  st_->buf.resize(text.size() + sj::SIMDJSON_PADDING);
  if (!text.empty())
    std::memcpy(st_->buf.data(), text.data(), text.size());
  std::memset(st_->buf.data() + text.size(), 0, sj::SIMDJSON_PADDING);
  return st_->parser.iterate(
    sj::padded_string_view{st_->buf.data(), text.size(), st_->buf.size()});
}

const char* ondemand_session::base() const noexcept {
  return st_->buf.data();
}

std::string_view ondemand_session::text() const noexcept {
  return {st_->buf.data(), st_->len};
}

std::string reason(sj::error_code err) {
  switch (err) {
    case sj::UTF8_ERROR:
      return "invalid UTF-8";
    case sj::EMPTY:
      return "empty document";
    case sj::UNCLOSED_STRING:
      return "unterminated string";
    case sj::INCOMPLETE_ARRAY_OR_OBJECT:
      return "document ends inside an array or object (truncated?)";
    case sj::TRAILING_CONTENT:
      return "trailing content after the document";
    case sj::DEPTH_ERROR:
      return "nesting deeper than " + std::to_string(max_depth) + " levels";
    case sj::STRING_ERROR:
      return "invalid string or escape sequence";
    case sj::UNESCAPED_CHARS:
      return "unescaped control character in string";
    case sj::T_ATOM_ERROR:
    case sj::F_ATOM_ERROR:
    case sj::N_ATOM_ERROR:
      return "invalid literal (expected true, false or null)";
    case sj::NUMBER_ERROR:
      return "invalid number";
    case sj::NUMBER_OUT_OF_RANGE:
      return "number out of range";
    case sj::TAPE_ERROR:
      return "malformed JSON (unexpected character or missing separator)";
    case sj::INCORRECT_TYPE:
      return "unexpected value type";
    case sj::CAPACITY:
      return "document too large";
    case sj::MEMALLOC:
      return "out of memory";
    default:
      return sj::error_message(err);
  }
}

size_t offset_of(od::document& doc, const char* base, size_t size) noexcept {
  const char* loc = nullptr;
  if (doc.current_location().get(loc) != sj::SUCCESS || loc < base)
    return npos;
  auto off = static_cast<size_t>(loc - base);
  return off <= size ? off : npos;
}

namespace {

/// Error path only: simdjson reports a root container whose last token is
/// not its closing bracket as incomplete, whether the input was truncated or
/// has trailing content. Tell the two apart by matching brackets outside
/// strings. Returns TRAILING_CONTENT with the offset of the trailing bytes,
/// or keeps `err` with the end of input as the offset.
std::pair<sj::error_code, size_t> refine_incomplete(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0 || --depth == 0) {
        auto rest = text.find_first_not_of(" \t\r\n", i + 1);
        if (rest != std::string_view::npos)
          return {sj::TRAILING_CONTENT, rest};
      }
    }
  }
  return {sj::INCOMPLETE_ARRAY_OR_OBJECT, text.size()};
}

} // namespace

std::string syntax_message(sj::error_code err, std::string_view text,
                           size_t offset) {
  if (err == sj::UTF8_ERROR)
    offset = find_invalid_utf8(text);
  else if (err == sj::INCOMPLETE_ARRAY_OR_OBJECT)
    std::tie(err, offset) = refine_incomplete(text);
  std::string msg = "JSON: ";
  msg += reason(err);
  if (offset != npos && offset <= text.size()) {
    msg += " at byte ";
    msg += std::to_string(offset);
    if (offset < text.size()) {
      // Quote a short excerpt, escaped so that it is printable.
      msg += " near ";
      std::string excerpt;
      append_quoted(excerpt, text.substr(offset, 24));
      msg += excerpt;
    }
  }
  msg += " (input of " + std::to_string(text.size()) + " bytes)";
  return msg;
}

caf::error syntax_error(sj::error_code err, std::string_view text,
                        size_t offset) {
  return make_error(errc::bad_response, syntax_message(err, text, offset));
}

namespace {

/// Inserts or replaces (last occurrence wins) a member.
struct object_builder {
  object members;
  std::unordered_map<std::string, size_t> index;

  void set(std::string_view key, value&& x) {
    if (members.size() < linear_dedup_limit) {
      for (auto& [k, v] : members) {
        if (k == key) {
          v = std::move(x);
          return;
        }
      }
      members.emplace_back(std::string{key}, std::move(x));
      if (members.size() == linear_dedup_limit)
        for (size_t i = 0; i < members.size(); ++i)
          index.emplace(members[i].first, i);
      return;
    }
    auto [i, added] = index.emplace(std::string{key}, members.size());
    if (!added) {
      members[i->second].second = std::move(x);
      return;
    }
    members.emplace_back(std::string{key}, std::move(x));
  }
};

/// Shared conversion for documents and values (same ondemand API).
template <class V>
sj::error_code convert(V& v, value& out, size_t depth) {
  od::json_type t;
  if (auto err = v.type().get(t))
    return err;
  switch (t) {
    case od::json_type::null: {
      bool is_null = false;
      if (auto err = v.is_null().get(is_null))
        return err;
      if (!is_null)
        return sj::N_ATOM_ERROR;
      out = value{};
      return sj::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto err = v.get_bool().get(b))
        return err;
      out = value{b};
      return sj::SUCCESS;
    }
    case od::json_type::number: {
      od::number_type nt;
      if (auto err = v.get_number_type().get(nt))
        return err;
      if (nt == od::number_type::signed_integer) {
        int64_t i = 0;
        auto err = v.get_int64().get(i);
        if (err == sj::SUCCESS) {
          out = value{i};
          return sj::SUCCESS;
        }
        if (err != sj::NUMBER_OUT_OF_RANGE)
          return err;
      }
      double d = 0;
      if (auto err = v.get_double().get(d))
        return err;
      out = value{d};
      return sj::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s))
        return err;
      out = value{s};
      return sj::SUCCESS;
    }
    case od::json_type::array: {
      if (depth >= max_depth)
        return sj::DEPTH_ERROR;
      od::array arr;
      if (auto err = v.get_array().get(arr))
        return err;
      array result;
      for (auto element : arr) {
        od::value ev;
        if (auto err = std::move(element).get(ev))
          return err;
        result.emplace_back();
        if (auto err = convert(ev, result.back(), depth + 1))
          return err;
      }
      out = value{std::move(result)};
      return sj::SUCCESS;
    }
    case od::json_type::object: {
      if (depth >= max_depth)
        return sj::DEPTH_ERROR;
      od::object obj;
      if (auto err = v.get_object().get(obj))
        return err;
      object_builder builder;
      for (auto field : obj) {
        od::field fld;
        if (auto err = std::move(field).get(fld))
          return err;
        std::string_view key;
        if (auto err = fld.unescaped_key().get(key))
          return err;
        // The key view stays valid: it lives in the parser's string buffer.
        value member;
        if (auto err = convert(fld.value(), member, depth + 1))
          return err;
        builder.set(key, std::move(member));
      }
      out = value{};
      out.as_object() = std::move(builder.members);
      return sj::SUCCESS;
    }
  }
  return sj::TAPE_ERROR;
}

} // namespace

sj::error_code to_value(od::value v, value& out, size_t depth) {
  return convert(v, out, depth);
}

caf::expected<value> parse(std::string_view text) {
  ondemand_session session;
  od::document doc;
  if (auto err = session.iterate(text).get(doc))
    return syntax_error(err, text, npos);
  value result;
  if (auto err = convert(doc, result, 0))
    return syntax_error(err, text,
                        offset_of(doc, session.base(), text.size()));
  // Scalar documents are checked for trailing content by simdjson itself;
  // after a container, anything left over is garbage.
  if (auto off = offset_of(doc, session.base(), text.size()); off != npos)
    return syntax_error(sj::TRAILING_CONTENT, text, off);
  return result;
}

} // namespace cafelet::json
