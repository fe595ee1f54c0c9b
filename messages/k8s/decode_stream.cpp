// Decoding of list envelopes and watch events.
#include "messages/k8s/decode.hpp"
#include "messages/k8s/decode_objects.hpp"

namespace cafelet::k8s::detail {

template <class T>
error_code read(reader& r, od::value v, object_list<T>& out) {
  return read_resource(r, v, out, [&](std::string_view key, od::value val) {
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
    r.expect_kind(kind_name<status>(), 2);
    return read(r, v, out.error);
  }
  r.expect_kind(kind_name<T>(), 2);
  return read(r, v, out.object);
}

/// Decodes an `object` that preceded `type` in the event (a second pass).
template <class T>
caf::error decode_deferred(std::string_view text, watch_event<T>& out) {
  if (out.type == watch_event_type::error)
    return decode_text(text, kind_name<status>(), out.error);
  return decode_text(text, kind_name<T>(), out.object);
}

} // namespace

} // namespace cafelet::k8s::detail

namespace cafelet::k8s {

template <class T>
caf::expected<std::shared_ptr<const object_list<T>>>
decode_list(std::string_view json) {
  return detail::decode_shared<object_list<T>>(json,
                                               detail::list_kind_name<T>());
}

template <class T>
caf::expected<watch_event<T>> decode_watch_event(std::string_view json) {
  using namespace detail;
  constexpr std::string_view what = "WatchEvent";
  watch_event<T> result;
  bool have_type = false;
  // An `object` before `type` (unusual order), decoded once type is known.
  std::string deferred;
  auto err = decode_root(json, what, [&](reader& r, od::value root) {
    return read_object(r, root, [&](std::string_view key, od::value val) {
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
      od::object obj;
      if (auto ec = val.get_object().get(obj))
        return r.get_error(val, ec, "object");
      std::string_view raw;
      if (auto ec = obj.raw_json().get(raw))
        return r.syntax(ec);
      deferred.assign(raw);
      return simdjson::SUCCESS;
    });
  });
  if (err)
    return err;
  if (!have_type)
    return envelope_error(what, "type: missing");
  if (!deferred.empty()) {
    err = decode_deferred(deferred, result);
    if (err)
      return err;
  }
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
CAFELET_K8S_INSTANTIATE(service)

#undef CAFELET_K8S_INSTANTIATE

} // namespace cafelet::k8s
