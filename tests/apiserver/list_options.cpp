#include "tests/apiserver/list_options.hpp"

#include "tests/apiserver/store.hpp"
#include "tests/apiserver/support.hpp"

#include "messages/json/json.hpp"

#include <charconv>

namespace cafelet::apiserver {

namespace {

bool is_true(std::string_view v) {
  return v == "true" || v == "1" || v == "t" || v == "T" || v == "TRUE"
         || v == "True";
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t out = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size())
    return std::nullopt;
  return out;
}

api_error invalid_options(const std::vector<field_error>& errs) {
  error_target t{"meta.k8s.io", "ListOptions", "", "ListOptions.meta.k8s.io"};
  return errors::invalid(t, errs);
}

} // namespace

std::variant<list_options, api_error>
parse_list_options(const request& req, const resource_def& def, bool watch) {
  list_options out;
  if (auto ls = req.param("labelSelector")) {
    auto parsed = label_selector::parse(*ls);
    if (auto* err = std::get_if<std::string>(&parsed))
      return errors::bad_request(*err);
    out.labels = std::get<label_selector>(std::move(parsed));
  }
  if (auto fs = req.param("fieldSelector")) {
    auto parsed = field_selector::parse(*fs);
    if (auto* err = std::get_if<std::string>(&parsed))
      return errors::bad_request(*err);
    out.fields = std::get<field_selector>(std::move(parsed));
    json::value probe{json::object{}};
    for (const auto& r : out.fields.requirements())
      if (!def.field_value(probe, r.field))
        return errors::bad_request("field label not supported: " + r.field);
  }
  out.rv_text = std::string{req.param("resourceVersion").value_or("")};
  if (!out.rv_text.empty()) {
    auto rv = parse_rv(out.rv_text);
    if (!rv)
      return errors::bad_request("resourceVersion: Invalid value: "
                                 + go_quote(out.rv_text)
                                 + ": strconv.ParseUint: parsing "
                                 + go_quote(out.rv_text) + ": invalid syntax");
    if (*rv != 0)
      out.from_rv = *rv;
  }
  out.rv_match = std::string{req.param("resourceVersionMatch").value_or("")};
  out.continue_token = std::string{req.param("continue").value_or("")};
  if (auto l = req.param("limit"); l && !l->empty()) {
    auto v = parse_int(*l);
    if (!v)
      return errors::bad_request("limit: Invalid value: " + go_quote(*l));
    if (*v > 0)
      out.limit = *v;
  }
  if (auto t = req.param("timeoutSeconds"); t && !t->empty()) {
    auto v = parse_int(*t);
    if (!v)
      return errors::bad_request("timeoutSeconds: Invalid value: "
                                 + go_quote(*t));
    out.timeout_seconds = *v;
  }
  out.allow_bookmarks = is_true(req.param("allowWatchBookmarks").value_or(""));
  out.send_initial_events = is_true(req.param("sendInitialEvents").value_or(""));
  // Validation as in ValidateListOptions.
  std::vector<field_error> errs;
  if (!out.rv_match.empty()) {
    if (out.rv_match != "Exact" && out.rv_match != "NotOlderThan")
      errs.push_back(field_error::not_supported("resourceVersionMatch",
                                                out.rv_match,
                                                {"Exact", "NotOlderThan", ""}));
    else if (watch && !out.send_initial_events)
      errs.push_back(field_error::forbidden("resourceVersionMatch",
                                            "resourceVersionMatch is forbidden "
                                            "for watch unless sendInitialEvents "
                                            "is provided"));
    else if (out.rv_text.empty() && !req.param("sendInitialEvents"))
      errs.push_back(field_error::forbidden("resourceVersionMatch",
                                            "resourceVersionMatch is forbidden "
                                            "unless resourceVersion is provided"));
    else if (out.rv_match == "Exact" && out.rv_text == "0")
      errs.push_back(field_error::forbidden("resourceVersionMatch",
                                            "resourceVersionMatch \"exact\" is "
                                            "forbidden for resourceVersion "
                                            "\"0\""));
    else if (!out.continue_token.empty())
      errs.push_back(field_error::forbidden("resourceVersionMatch",
                                            "resourceVersionMatch is forbidden "
                                            "when continue is provided"));
  }
  if (req.param("sendInitialEvents")) {
    if (!watch)
      errs.push_back(field_error::forbidden("sendInitialEvents",
                                            "sendInitialEvents is forbidden for "
                                            "list"));
    else if (out.send_initial_events && out.rv_match != "NotOlderThan")
      errs.push_back(field_error::forbidden("resourceVersionMatch",
                                            "sendInitialEvents requires setting "
                                            "resourceVersionMatch to "
                                            "NotOlderThan"));
    if (watch && out.send_initial_events && !out.allow_bookmarks)
      errs.push_back(field_error::forbidden("allowWatchBookmarks",
                                            "allowWatchBookmarks required when "
                                            "sendInitialEvents is provided"));
  }
  if (!errs.empty())
    return invalid_options(errs);
  if (!out.continue_token.empty() && !out.rv_text.empty())
    return errors::bad_request("specifying resource version is not allowed "
                               "when using continue");
  return out;
}

json::value too_large_rv_status(uint64_t wanted, uint64_t current) {
  json::object cause;
  cause.emplace_back("reason", "ResourceVersionTooLarge");
  cause.emplace_back("message", "Too large resource version");
  json::object details;
  details.emplace_back("causes", json::array{json::value{std::move(cause)}});
  details.emplace_back("retryAfterSeconds", 1);
  return make_status(504, "Timeout",
                     "Timeout: Too large resource version: "
                       + std::to_string(wanted)
                       + ", current: " + std::to_string(current),
                     json::value{std::move(details)});
}

std::string encode_continue(uint64_t rv, const std::string& key) {
  json::object tok;
  tok.emplace_back("v", "meta.k8s.io/v1");
  tok.emplace_back("rv", static_cast<int64_t>(rv));
  tok.emplace_back("start", key + std::string(1, '\0'));
  return base64url_encode(json::dump(json::value{std::move(tok)}));
}

std::optional<std::pair<uint64_t, std::string>>
decode_continue(std::string_view token) {
  auto raw = base64url_decode(token);
  if (!raw)
    return std::nullopt;
  auto parsed = json::parse(*raw);
  if (!parsed || !parsed->is_object())
    return std::nullopt;
  if (parsed->get_string("v") != "meta.k8s.io/v1")
    return std::nullopt;
  auto rv = parsed->get_int("rv", -1);
  auto start = parsed->get_string("start");
  if (rv <= 0 || start.empty() || start.back() != '\0')
    return std::nullopt;
  start.pop_back();
  return std::make_pair(static_cast<uint64_t>(rv), std::move(start));
}

} // namespace cafelet::apiserver
