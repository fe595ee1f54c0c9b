// TokenRequest (POST serviceaccounts/<name>/token): the bound service
// account token the kubelet projects into pods. The token is a JWT-shaped
// string with the claims of a real one; its signature is not verifiable.

#include "tests/apiserver/schema.hpp"
#include "tests/apiserver/server_impl.hpp"
#include "tests/apiserver/support.hpp"

namespace cafelet::apiserver {

namespace {

std::string str_at(const json::value& obj,
                   std::initializer_list<std::string_view> path) {
  const auto* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : std::string{};
}

} // namespace

void api_server::impl::serve_token_request(call& c) {
  const auto* token_def = find_resource("", "v1", "serviceaccounts");
  resource_def tr_def = *token_def;
  tr_def.group = "authentication.k8s.io";
  tr_def.kind = "TokenRequest";
  auto decoded = decode_body(c, tr_def);
  if (!decoded)
    return;
  auto req_obj = std::move(*decoded);
  auto sa_key = object_store::key_of(*token_def, c.info.ns, c.info.name);
  auto sa = store.get(*token_def, sa_key);
  if (!sa) {
    fail(c, errors::not_found(error_target::of(*token_def, c.info.name)));
    return;
  }
  auto target = error_target::of(*token_def, c.info.name);
  const auto* ref = req_obj.find_path({"spec", "boundObjectRef"});
  auto node = c.req.user->node_name();
  json::value pod;
  if (ref && !ref->is_null()) {
    const auto* pods = find_resource("", "v1", "pods");
    auto p = store.get(*pods, object_store::key_of(*pods, c.info.ns,
                                                   ref->get_string("name")));
    if (!p) {
      fail(c, errors::not_found(
                error_target::of(*pods, ref->get_string("name"))));
      return;
    }
    pod = *p;
  }
  if (!node.empty()) {
    // NodeRestriction: tokens must be bound to a pod on this node.
    if (!ref || ref->is_null() || ref->get_string("apiVersion") != "v1"
        || ref->get_string("kind") != "Pod" || ref->get_string("name").empty()) {
      fail(c, errors::forbidden(target, "node requested token not bound to a "
                                        "pod"));
      return;
    }
    if (ref->get_string("uid").empty()) {
      fail(c, errors::forbidden(target, "node requested token with a pod "
                                        "binding without a uid"));
      return;
    }
    if (ref->get_string("uid") != str_at(pod, {"metadata", "uid"})) {
      fail(c, errors::forbidden(target, "the UID in the bound object reference ("
                                          + ref->get_string("uid")
                                          + ") does not match the UID in "
                                            "record. The object might have "
                                            "been deleted and then recreated"));
      return;
    }
    if (str_at(pod, {"spec", "nodeName"}) != node) {
      fail(c, errors::forbidden(target, "node requested token bound to a pod "
                                        "scheduled on a different node"));
      return;
    }
  }
  auto now = std::chrono::system_clock::now();
  int64_t expiration = 3600;
  if (const auto* e = req_obj.find_path({"spec", "expirationSeconds"});
      e && e->is_int())
    expiration = e->as_int();
  if (expiration < 600) {
    fail(c, errors::invalid(error_target::of_kind(tr_def, c.info.name),
                            {field_error::invalid_raw(
                              "spec.expirationSeconds",
                              std::to_string(expiration),
                              "may not specify a duration less than 10 "
                              "minutes")}));
    return;
  }
  auto& spec = req_obj["spec"];
  if (!spec.find("audiences") || spec["audiences"].is_null()
      || spec["audiences"].size() == 0) {
    json::array auds;
    for (const auto& a : opts.api_audiences)
      auds.emplace_back(a);
    spec["audiences"] = json::value{std::move(auds)};
  }
  spec["expirationSeconds"] = expiration;
  auto exp = now + std::chrono::seconds{expiration};
  auto secs = [](wall_time t) {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                  t.time_since_epoch())
                                  .count());
  };
  json::value claims{json::object{}};
  claims["aud"] = spec["audiences"];
  claims["exp"] = secs(exp);
  claims["iat"] = secs(now);
  claims["iss"] = "https://kubernetes.default.svc.cluster.local";
  claims["jti"] = new_uid();
  auto& k8s = claims["kubernetes.io"];
  k8s["namespace"] = c.info.ns;
  if (!pod.is_null()) {
    auto pod_node = str_at(pod, {"spec", "nodeName"});
    if (!pod_node.empty()) {
      const auto* nodes = find_resource("", "v1", "nodes");
      k8s["node"]["name"] = pod_node;
      if (auto n = store.get(*nodes, pod_node))
        k8s["node"]["uid"] = str_at(*n, {"metadata", "uid"});
    }
    k8s["pod"]["name"] = str_at(pod, {"metadata", "name"});
    k8s["pod"]["uid"] = str_at(pod, {"metadata", "uid"});
  }
  k8s["serviceaccount"]["name"] = c.info.name;
  k8s["serviceaccount"]["uid"] = str_at(*sa, {"metadata", "uid"});
  claims["nbf"] = secs(now);
  claims["sub"] = "system:serviceaccount:" + c.info.ns + ":" + c.info.name;
  json::object header;
  header.emplace_back("alg", "RS256");
  header.emplace_back("kid", "cafelet-test-apiserver");
  auto token = base64url_encode(json::dump(json::value{std::move(header)}))
               + "." + base64url_encode(json::dump(claims)) + "."
               + base64url_encode(new_uid() + new_uid());
  json::value out{json::object{}};
  out["kind"] = "TokenRequest";
  out["apiVersion"] = "authentication.k8s.io/v1";
  out["metadata"]["name"] = c.info.name;
  out["metadata"]["namespace"] = c.info.ns;
  out["metadata"]["creationTimestamp"] = format_time(now);
  out["spec"] = spec;
  out["status"]["token"] = token;
  out["status"]["expirationTimestamp"] = format_time(exp);
  normalize_as(*schema_for("TokenRequest"), out);
  send(c, 201, out);
}

} // namespace cafelet::apiserver
