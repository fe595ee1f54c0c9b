#include "tests/apiserver/status.hpp"

#include <algorithm>
#include <cstdio>

namespace cafelet::apiserver {

// -- error_target ---------------------------------------------------------------

error_target error_target::of(const resource_def& def, std::string name) {
  return error_target{def.group, def.plural, std::move(name), def.qualified()};
}

error_target error_target::of_kind(const resource_def& def, std::string name) {
  auto qualified = def.group.empty() ? def.kind : def.kind + "." + def.group;
  return error_target{def.group, def.kind, std::move(name),
                      std::move(qualified)};
}

// -- field_error ----------------------------------------------------------------
std::string field_error::reason() const {
  switch (type) {
    case kind::invalid:
      return "FieldValueInvalid";
    case kind::required:
      return "FieldValueRequired";
    case kind::forbidden:
      return "FieldValueForbidden";
    case kind::not_supported:
      return "FieldValueNotSupported";
    case kind::duplicate:
      return "FieldValueDuplicate";
    case kind::not_found:
      return "FieldValueNotFound";
    case kind::too_long:
      return "FieldValueTooLong";
  }
  return "FieldValueInvalid";
}

std::string field_error::body() const {
  auto with_detail = [this](std::string head) {
    if (!detail.empty())
      head += ": " + detail;
    return head;
  };
  switch (type) {
    case kind::invalid:
      return with_detail("Invalid value: " + bad_value);
    case kind::required:
      return with_detail("Required value");
    case kind::forbidden:
      return with_detail("Forbidden");
    case kind::not_supported: {
      auto s = "Unsupported value: " + bad_value;
      if (!detail.empty())
        s += ": supported values: " + detail;
      return s;
    }
    case kind::duplicate:
      return "Duplicate value: " + bad_value;
    case kind::not_found:
      return "Not found: " + bad_value;
    case kind::too_long:
      return with_detail("Too long");
  }
  return {};
}

std::string field_error::text() const {
  return field + ": " + body();
}

field_error field_error::invalid(std::string field, std::string_view value,
                                 std::string detail) {
  return field_error{kind::invalid, std::move(field), go_quote(value),
                     std::move(detail)};
}

field_error field_error::invalid_raw(std::string field, std::string value,
                                     std::string detail) {
  return field_error{kind::invalid, std::move(field), std::move(value),
                     std::move(detail)};
}

field_error field_error::required(std::string field, std::string detail) {
  return field_error{kind::required, std::move(field), {}, std::move(detail)};
}

field_error field_error::forbidden(std::string field, std::string detail) {
  return field_error{kind::forbidden, std::move(field), {}, std::move(detail)};
}

field_error
field_error::not_supported(std::string field, std::string_view value,
                           const std::vector<std::string>& supported) {
  std::string list;
  for (const auto& s : supported) {
    if (!list.empty())
      list += ", ";
    list += go_quote(s);
  }
  return field_error{kind::not_supported, std::move(field), go_quote(value),
                     std::move(list)};
}

field_error field_error::duplicate(std::string field, std::string_view value) {
  return field_error{kind::duplicate, std::move(field), go_quote(value), {}};
}

field_error field_error::not_found(std::string field, std::string_view value) {
  return field_error{kind::not_found, std::move(field), go_quote(value), {}};
}

// -- Status bodies --------------------------------------------------------------

json::value make_status(int code, std::string_view reason,
                        std::string_view message,
                        std::optional<json::value> details) {
  json::object o;
  o.emplace_back("kind", "Status");
  o.emplace_back("apiVersion", "v1");
  o.emplace_back("metadata", json::object{});
  o.emplace_back("status", code < 400 ? "Success" : "Failure");
  if (!message.empty())
    o.emplace_back("message", message);
  if (!reason.empty())
    o.emplace_back("reason", reason);
  if (details)
    o.emplace_back("details", std::move(*details));
  o.emplace_back("code", code);
  return json::value{std::move(o)};
}

namespace errors {

namespace {

json::value details_of(const error_target& t) {
  json::object d;
  if (!t.name.empty())
    d.emplace_back("name", t.name);
  if (!t.group.empty())
    d.emplace_back("group", t.group);
  if (!t.kind.empty())
    d.emplace_back("kind", t.kind);
  return json::value{std::move(d)};
}

std::string subject(const error_target& t) {
  if (t.name.empty())
    return t.qualified;
  return t.qualified + " " + go_quote(t.name);
}

api_error make(int code, std::string_view reason, std::string_view message,
               std::optional<json::value> details = std::nullopt) {
  return api_error{code, make_status(code, reason, message, std::move(details)),
                   {}};
}

} // namespace

api_error not_found(const error_target& t) {
  return make(404, "NotFound", subject(t) + " not found", details_of(t));
}

api_error already_exists(const error_target& t) {
  return make(409, "AlreadyExists", subject(t) + " already exists",
              details_of(t));
}

api_error conflict(const error_target& t, std::string_view detail) {
  return make(409, "Conflict",
              "Operation cannot be fulfilled on " + subject(t) + ": "
                + std::string{detail},
              details_of(t));
}

api_error conflict_modified(const error_target& t) {
  return conflict(t, "the object has been modified; please apply your "
                     "changes to the latest version and try again");
}

api_error invalid(const error_target& t, const std::vector<field_error>& errs) {
  // The message lists each distinct error once (field.ErrorList.ToAggregate);
  // the causes keep all of them.
  std::vector<std::string> distinct;
  for (const auto& e : errs) {
    auto text = e.text();
    if (std::find(distinct.begin(), distinct.end(), text) == distinct.end())
      distinct.push_back(std::move(text));
  }
  std::string agg;
  if (distinct.size() == 1) {
    agg = distinct.front();
  } else {
    agg = "[";
    for (size_t i = 0; i < distinct.size(); ++i) {
      if (i > 0)
        agg += ", ";
      agg += distinct[i];
    }
    agg += "]";
  }
  auto details = details_of(t);
  json::array causes;
  for (const auto& e : errs) {
    json::object c;
    c.emplace_back("reason", e.reason());
    c.emplace_back("message", e.body());
    c.emplace_back("field", e.field);
    causes.emplace_back(std::move(c));
  }
  details["causes"] = json::value{std::move(causes)};
  return make(422, "Invalid", subject(t) + " is invalid: " + agg,
              std::move(details));
}

api_error forbidden_user(const error_target& t, std::string_view user,
                         std::string_view verb, std::string_view resource,
                         std::string_view namespace_name,
                         std::string_view reason) {
  std::string msg = subject(t) + " is forbidden: User " + go_quote(user)
                    + " cannot " + std::string{verb} + " resource "
                    + go_quote(resource) + " in API group " + go_quote(t.group);
  if (namespace_name.empty())
    msg += " at the cluster scope";
  else
    msg += " in the namespace " + go_quote(namespace_name);
  if (!reason.empty())
    msg += ": " + std::string{reason};
  return make(403, "Forbidden", msg, details_of(t));
}

api_error forbidden_path(std::string_view user, std::string_view verb,
                         std::string_view path) {
  return make(403, "Forbidden",
              "forbidden: User " + go_quote(user) + " cannot "
                + std::string{verb} + " path " + go_quote(path),
              json::value{json::object{}});
}

api_error forbidden(const error_target& t, std::string_view detail) {
  return make(403, "Forbidden",
              subject(t) + " is forbidden: " + std::string{detail},
              details_of(t));
}

api_error bad_request(std::string_view message) {
  return make(400, "BadRequest", message);
}

api_error unauthorized() {
  return make(401, "Unauthorized", "Unauthorized");
}

api_error method_not_allowed(const error_target& t, std::string_view) {
  (void) t;
  return make(405, "MethodNotAllowed",
              "the server does not allow this method on the requested "
              "resource",
              json::value{json::object{}});
}

api_error not_acceptable(std::string_view accepted) {
  return make(406, "NotAcceptable",
              "only the following media types are accepted: "
                + std::string{accepted});
}

api_error expired(std::string_view message) {
  return make(410, "Expired", message);
}

api_error unsupported_media_type(std::string_view) {
  return make(415, "UnsupportedMediaType", "415: Unsupported Media Type",
              json::value{json::object{}});
}

api_error too_many_requests(int retry_after_seconds) {
  // API Priority and Fairness rejects with a plain-text body.
  api_error e;
  e.code = 429;
  e.body = json::value{"Too many requests, please try again later.\n"};
  e.headers.push_back({"Retry-After", std::to_string(retry_after_seconds)});
  return e;
}

api_error internal(std::string_view message) {
  json::object cause;
  cause.emplace_back("message", message);
  json::object details;
  details.emplace_back("causes", json::array{json::value{std::move(cause)}});
  return make(500, "InternalError",
              "Internal error occurred: " + std::string{message},
              json::value{std::move(details)});
}

api_error service_unavailable(std::string_view message) {
  return make(503, "ServiceUnavailable", message);
}

api_error timeout(std::string_view message, int retry_after_seconds) {
  json::object details;
  if (retry_after_seconds > 0)
    details.emplace_back("retryAfterSeconds", retry_after_seconds);
  return make(504, "Timeout", message, json::value{std::move(details)});
}

api_error for_code(int code, std::string_view message) {
  auto msg = [&](std::string_view fallback) {
    return message.empty() ? std::string{fallback} : std::string{message};
  };
  switch (code) {
    case 400:
      return bad_request(msg("the server rejected our request for an unknown "
                             "reason"));
    case 401:
      return unauthorized();
    case 404:
      return make(404, "NotFound", msg("the server could not find the "
                                       "requested resource"),
                  json::value{json::object{}});
    case 409:
      return make(409, "Conflict", msg("the server reported a conflict"));
    case 410:
      return expired(msg("too old resource version"));
    case 429:
      return too_many_requests();
    case 500:
      return internal(msg("injected failure"));
    case 503:
      return service_unavailable(msg("the server is currently unable to "
                                     "handle the request"));
    case 504:
      return timeout(msg("Timeout: request did not complete within requested "
                         "timeout - context deadline exceeded"));
    default:
      return make(code, "", msg("injected failure"));
  }
}

} // namespace errors

} // namespace cafelet::apiserver
