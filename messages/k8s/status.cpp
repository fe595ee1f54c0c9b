#include "messages/k8s/status.hpp"

#include "messages/k8s/watch.hpp"

namespace cafelet::k8s {

errc to_errc(int32_t code, std::string_view reason) {
  if (code >= 200 && code <= 299)
    return errc::none;
  switch (code) {
    case 400:
    case 422:
      return errc::invalid;
    case 401:
      return errc::unauthorized;
    case 403:
      return errc::forbidden;
    case 404:
      return errc::not_found;
    case 409:
      return errc::conflict;
    case 410:
      return errc::gone;
    case 429:
      return errc::too_many_requests;
    case 504:
      return errc::timeout;
    default:
      break;
  }
  if (code >= 500 && code <= 599)
    return errc::server_error;
  // Without a usable code, fall back to the reason.
  if (reason == "NotFound")
    return errc::not_found;
  if (reason == "AlreadyExists" || reason == "Conflict")
    return errc::conflict;
  if (reason == "Expired" || reason == "Gone")
    return errc::gone;
  if (reason == "Forbidden")
    return errc::forbidden;
  if (reason == "Unauthorized")
    return errc::unauthorized;
  if (reason == "Invalid" || reason == "BadRequest")
    return errc::invalid;
  if (reason == "TooManyRequests")
    return errc::too_many_requests;
  if (reason == "Timeout")
    return errc::timeout;
  return errc::server_error;
}

caf::error to_error(const status& x) {
  std::string ctx = std::to_string(x.code);
  if (!x.reason.empty()) {
    ctx += ' ';
    ctx += x.reason;
  }
  if (!x.message.empty()) {
    ctx += ": ";
    ctx += x.message;
  }
  return make_error(to_errc(x.code, x.reason), std::move(ctx));
}

std::string_view to_string(watch_event_type x) {
  switch (x) {
    case watch_event_type::added:
      return "ADDED";
    case watch_event_type::modified:
      return "MODIFIED";
    case watch_event_type::deleted:
      return "DELETED";
    case watch_event_type::bookmark:
      return "BOOKMARK";
    case watch_event_type::error:
      return "ERROR";
  }
  return "UNKNOWN";
}

} // namespace cafelet::k8s
