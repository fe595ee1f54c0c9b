#include "net/client/api_status.hpp"

#include "messages/errors.hpp"

#include <simdjson.h>

namespace cafelet::net {

namespace {

namespace od = simdjson::ondemand;

void read_string(od::value v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS)
    out.assign(s);
}

simdjson::error_code read_causes(od::value v, std::vector<status_cause>& out) {
  od::array arr;
  if (v.get_array().get(arr) != simdjson::SUCCESS)
    return simdjson::SUCCESS; // wrong type: ignore
  for (auto elem : arr) {
    od::object obj;
    if (auto ec = elem.get_object().get(obj); ec != simdjson::SUCCESS) {
      if (ec == simdjson::INCORRECT_TYPE)
        continue;
      return ec;
    }
    status_cause cause;
    for (auto fld : obj) {
      std::string_view key;
      if (auto ec = fld.unescaped_key().get(key))
        return ec;
      if (key == "reason")
        read_string(fld.value(), cause.reason);
      else if (key == "message")
        read_string(fld.value(), cause.message);
      else if (key == "field")
        read_string(fld.value(), cause.field);
    }
    out.push_back(std::move(cause));
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_details(od::value v, api_status& out) {
  od::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS)
    return simdjson::SUCCESS;
  for (auto fld : obj) {
    std::string_view key;
    if (auto ec = fld.unescaped_key().get(key))
      return ec;
    if (key == "name") {
      read_string(fld.value(), out.details_name);
    } else if (key == "group") {
      read_string(fld.value(), out.details_group);
    } else if (key == "kind") {
      read_string(fld.value(), out.details_kind);
    } else if (key == "causes") {
      if (auto ec = read_causes(fld.value(), out.causes))
        return ec;
    } else if (key == "retryAfterSeconds") {
      int64_t n = 0;
      if (fld.value().get_int64().get(n) == simdjson::SUCCESS && n >= 0
          && n <= 86400 * 365)
        out.retry_after_seconds = static_cast<int>(n);
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code decode(od::document& doc, api_status& out) {
  od::object obj;
  if (auto ec = doc.get_object().get(obj))
    return ec;
  for (auto fld : obj) {
    std::string_view key;
    if (auto ec = fld.unescaped_key().get(key))
      return ec;
    if (key == "kind") {
      read_string(fld.value(), out.kind);
    } else if (key == "status") {
      read_string(fld.value(), out.status);
    } else if (key == "message") {
      read_string(fld.value(), out.message);
    } else if (key == "reason") {
      read_string(fld.value(), out.reason);
    } else if (key == "code") {
      int64_t n = 0;
      if (fld.value().get_int64().get(n) == simdjson::SUCCESS && n >= 0
          && n < 1000)
        out.code = static_cast<int>(n);
    } else if (key == "details") {
      if (auto ec = read_details(fld.value(), out))
        return ec;
    }
  }
  return simdjson::SUCCESS;
}

} // namespace

caf::expected<api_status> parse_api_status(std::string_view json) {
  simdjson::padded_string padded{json};
  od::parser parser;
  od::document doc;
  api_status out;
  auto ec = parser.iterate(padded).get(doc);
  if (ec == simdjson::SUCCESS)
    ec = decode(doc, out);
  if (ec != simdjson::SUCCESS)
    return make_error(errc::bad_response,
                      std::string{"not a Status object: "}
                        + simdjson::error_message(ec));
  return out;
}

} // namespace cafelet::net
