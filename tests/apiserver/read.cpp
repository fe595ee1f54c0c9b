// GET of one object and lists: resourceVersion semantics ("" consistent,
// "0" any, N not older than / exact), limit/continue paging at a fixed
// resourceVersion, selectors and Table output.

#include "tests/apiserver/list_options.hpp"
#include "tests/apiserver/server_impl.hpp"

namespace cafelet::apiserver {

namespace {

constexpr std::string_view continue_too_old
  = "The provided continue parameter is too old to display a consistent list "
    "result. You can start a new list without the continue parameter, or use "
    "the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent "
    "list - objects that were created, modified, or deleted between the time "
    "the first chunk was returned and now may show up in the list.";

} // namespace

void api_server::impl::serve_get(call& c) {
  auto key = object_store::key_of(*c.def, c.info.ns, c.info.name);
  auto obj = store.get(*c.def, key);
  if (!obj) {
    fail(c, errors::not_found(error_target::of(*c.def, c.info.name)));
    return;
  }
  if (c.table) {
    send_table(c, *obj);
    return;
  }
  send(c, 200, *obj);
}

void api_server::impl::serve_list(call& c) {
  auto parsed = parse_list_options(c.req, *c.def, false);
  if (auto* err = std::get_if<api_error>(&parsed)) {
    fail(c, *err);
    return;
  }
  auto& opts_ = std::get<list_options>(parsed);
  auto current = store.current_rv();
  uint64_t rv = current;
  bool paged = opts_.limit.has_value();
  std::string start_after;
  bool from_token = false;
  if (!opts_.continue_token.empty()) {
    auto tok = decode_continue(opts_.continue_token);
    if (!tok) {
      fail(c, errors::bad_request("continue key is not valid: incorrect "
                                  "encoded start resourceVersion (version "
                                  "meta.k8s.io/v1)"));
      return;
    }
    rv = tok->first;
    start_after = tok->second;
    from_token = true;
  } else if (opts_.rv_text == "0") {
    paged = false; // served from the watch cache: no paging
  } else if (opts_.from_rv) {
    auto wanted = *opts_.from_rv;
    bool exact = opts_.rv_match == "Exact"
                 || (opts_.rv_match.empty() && opts_.limit.has_value());
    if (wanted > current) {
      // Wait (bounded) for the resourceVersion to appear.
      auto shared = std::make_shared<call>(std::move(c));
      auto done = std::make_shared<bool>(false);
      auto id = timer->schedule_after(opts.future_rv_wait,
                                      [this, shared, done, wanted] {
        std::lock_guard<std::mutex> guard{mtx};
        if (*done)
          return;
        *done = true;
        auto status = too_large_rv_status(wanted, store.current_rv());
        fail(*shared, api_error{504, std::move(status), {}});
      });
      rv_waiters.emplace_back(wanted, [this, shared, done, id] {
        if (*done)
          return;
        *done = true;
        timer->cancel(id);
        serve_list(*shared);
      });
      return;
    }
    if (exact) {
      rv = wanted;
    } else {
      paged = false;
    }
  }
  auto items = store.list_at(*c.def, c.info.ns, rv);
  if (!items) {
    if (from_token) {
      auto status = make_status(410, "Expired", continue_too_old);
      fail(c, api_error{410, std::move(status), {}});
    } else {
      fail(c, errors::expired("The resourceVersion for the provided list is "
                              "too old."));
    }
    return;
  }
  auto labels = [](const json::value& obj) {
    return [&obj](std::string_view key) -> std::optional<std::string> {
      const auto* ls = obj.find_path({"metadata", "labels"});
      const auto* v = ls ? ls->find(key) : nullptr;
      if (v == nullptr)
        return std::nullopt;
      return v->as_string();
    };
  };
  const auto* def = c.def;
  json::array out;
  std::string last_key;
  size_t remaining = 0;
  bool more = false;
  for (const auto& [key, obj] : *items) {
    if (!start_after.empty() && key <= start_after)
      continue;
    if (paged && out.size() >= static_cast<size_t>(*opts_.limit)) {
      more = true;
      ++remaining;
      continue;
    }
    auto fields = [&obj = *obj, def](std::string_view f) {
      return def->field_value(obj, f);
    };
    if (!opts_.labels.matches(labels(*obj)) || !opts_.fields.matches(fields))
      continue;
    out.push_back(as_list_item(*obj));
    last_key = key;
  }
  json::value list{json::object{}};
  list["kind"] = c.def->kind + "List";
  list["apiVersion"] = c.def->api_version();
  auto& meta = list["metadata"];
  meta = json::value{json::object{}};
  meta["resourceVersion"] = std::to_string(rv);
  if (more) {
    meta["continue"] = encode_continue(rv, last_key);
    if (opts_.labels.empty() && opts_.fields.empty())
      meta["remainingItemCount"] = static_cast<int64_t>(remaining);
  }
  list["items"] = json::value{std::move(out)};
  if (c.table) {
    send_table(c, list);
    return;
  }
  send(c, 200, list);
}

} // namespace cafelet::apiserver
