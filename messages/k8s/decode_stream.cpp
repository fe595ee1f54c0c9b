// Decoding of list envelopes and watch events.
#include "messages/k8s/decode.hpp"
#include "messages/k8s/decode_objects.hpp"

namespace cafelet::k8s::detail {

template <class T>
error_code read(reader& r, od::value v, object_list<T>& out) {
  return read_object(r, v, [&](std::string_view key, od::value val) {
    if (error_code ec = simdjson::SUCCESS;
        read_type_meta(r, key, val, out.type, ec))
      return ec;
    if (key == "metadata")
      return read(r, val, out.metadata);
    if (key == "items")
      return read(r, val, out.items);
    return simdjson::SUCCESS;
  });
}

namespace {

bool parse_event_type(std::string_view x, watch_event_type& out) {
  if (x == "ADDED")
    out = watch_event_type::added;
  else if (x == "MODIFIED")
    out = watch_event_type::modified;
  else if (x == "DELETED")
    out = watch_event_type::deleted;
  else if (x == "BOOKMARK")
    out = watch_event_type::bookmark;
  else if (x == "ERROR")
    out = watch_event_type::error;
  else
    return false;
  return true;
}

/// Reads the `object` of an event whose type is known.
template <class T>
error_code read_event_object(reader& r, od::value v, watch_event<T>& out) {
  if (out.type == watch_event_type::error) {
    auto st = std::make_shared<status>();
    r.expect_kind("Status", 2);
    auto ec = read(r, v, *st);
    out.error = std::move(st);
    return ec;
  }
  auto obj = std::make_shared<T>();
  r.expect_kind(kind_name<T>(), 2);
  auto ec = read(r, v, *obj);
  out.object = std::move(obj);
  return ec;
}

/// Decodes an `object` that preceded `type` in the event (a second pass).
template <class T>
caf::error decode_deferred(std::string_view text, watch_event<T>& out) {
  if (out.type == watch_event_type::error) {
    auto st = std::make_shared<status>();
    if (auto err = decode_text(text, "Status", *st))
      return err;
    out.error = std::move(st);
    return caf::none;
  }
  auto obj = std::make_shared<T>();
  if (auto err = decode_text(text, kind_name<T>(), *obj))
    return err;
  out.object = std::move(obj);
  return caf::none;
}

} // namespace

} // namespace cafelet::k8s::detail

namespace cafelet::k8s {

template <class T>
caf::expected<std::shared_ptr<const object_list<T>>>
decode_list(std::string_view json) {
  auto result = std::make_shared<object_list<T>>();
  if (auto err = detail::decode_text(json, detail::list_kind_name<T>(),
                                     *result))
    return err;
  return std::shared_ptr<const object_list<T>>{std::move(result)};
}

template <class T>
caf::expected<watch_event<T>> decode_watch_event(std::string_view json) {
  using namespace detail;
  constexpr std::string_view what = "WatchEvent";
  json::ondemand_session session;
  od::document doc;
  if (auto ec = session.iterate(json).get(doc))
    return envelope_error(what, json::syntax_message(ec, json,
                                                     std::string_view::npos));
  od::value root;
  if (auto err = root_object(doc, what, json, session.base(), root))
    return err;
  reader r{doc, json, session.base()};
  watch_event<T> result;
  bool have_type = false;
  std::string_view deferred;
  auto ec = read_object(r, root, [&](std::string_view key, od::value val) {
    if (key == "type") {
      std::string type;
      if (auto ec = read(r, val, type))
        return ec;
      if (!parse_event_type(type, result.type)) {
        std::string msg = "unknown watch event type ";
        json::append_quoted(msg, type.substr(0, 40));
        return r.fail(simdjson::INCORRECT_TYPE, msg);
      }
      have_type = true;
      return simdjson::SUCCESS;
    }
    if (key != "object")
      return simdjson::SUCCESS;
    if (have_type)
      return read_event_object(r, val, result);
    // Unusual member order: keep the raw text, decode it once type is known.
    od::object obj;
    if (auto ec = val.get_object().get(obj)) {
      if (ec == simdjson::INCORRECT_TYPE)
        return r.type_error(val, "object");
      return r.syntax(ec);
    }
    if (auto ec = obj.raw_json().get(deferred))
      return r.syntax(ec);
    return simdjson::SUCCESS;
  });
  if (ec)
    return r.make_error(what, ec);
  auto off = json::offset_of(doc, session.base(), json.size());
  if (off != std::string_view::npos)
    return envelope_error(what, json::syntax_message(
                                  simdjson::TRAILING_CONTENT, json, off));
  if (!have_type)
    return envelope_error(what, "type: missing");
  if (!deferred.empty())
    if (auto err = decode_deferred(deferred, result))
      return err;
  if (!result.object && !result.error)
    return envelope_error(what, "object: missing");
  return result;
}

#define CAFELET_K8S_INSTANTIATE(T)                                             \
  template caf::expected<std::shared_ptr<const object_list<T>>>                \
  decode_list<T>(std::string_view);                                            \
  template caf::expected<watch_event<T>> decode_watch_event<T>(                \
    std::string_view);

CAFELET_K8S_INSTANTIATE(pod)
CAFELET_K8S_INSTANTIATE(node)
CAFELET_K8S_INSTANTIATE(lease)
CAFELET_K8S_INSTANTIATE(event)
CAFELET_K8S_INSTANTIATE(config_map)
CAFELET_K8S_INSTANTIATE(secret)

#undef CAFELET_K8S_INSTANTIATE

} // namespace cafelet::k8s
