// Decoding Pods: real bodies, field-path errors, unknown fields, nulls and
// hostile input.
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"

#include "samples.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cafelet;

namespace {

/// Decodes `text` as a Pod and expects failure; returns the message.
std::string pod_error(std::string_view text) {
  auto res = k8s::decode_pod(text);
  REQUIRE_MESSAGE(!res, "unexpectedly decoded");
  CHECK(is(res.error(), errc::bad_response));
  return context_of(res.error());
}

/// Replaces the first occurrence of `from` in `text` with `to`.
std::string patch(std::string text, std::string_view from, std::string_view to) {
  auto pos = text.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, "missing: ", std::string{from});
  text.replace(pos, from.size(), to);
  return text;
}

} // namespace

TEST_CASE("decode a created pod with defaults and injected volumes") {
  auto res = k8s::decode_pod(samples::pod_web1);
  REQUIRE_MESSAGE(res, describe(res.error()));
  const k8s::pod& p = **res;
  CHECK(p.type.kind == "Pod");
  CHECK(p.type.api_version == "v1");
  // Metadata.
  CHECK(p.metadata.name == "web-1");
  CHECK(p.metadata.namespace_ == "default");
  CHECK(p.metadata.uid == "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  CHECK(p.metadata.resource_version == "257");
  REQUIRE(p.metadata.creation_timestamp);
  CHECK(k8s::format_time(*p.metadata.creation_timestamp)
        == "2026-11-22T02:57:38Z");
  CHECK(!p.metadata.deletion_timestamp);
  CHECK(p.metadata.labels.at("app") == "web");
  // Spec.
  const auto& spec = p.spec;
  CHECK(spec.node_name == "edge-1");
  CHECK(spec.restart_policy == "Always");
  CHECK(spec.termination_grace_period_seconds == 30);
  CHECK(spec.dns_policy == "ClusterFirst");
  CHECK(spec.service_account_name == "default");
  CHECK(spec.scheduler_name == "default-scheduler");
  CHECK(spec.priority == 0);
  CHECK(spec.enable_service_links == true);
  REQUIRE(spec.security_context);
  CHECK(!spec.security_context->run_as_user);
  REQUIRE(spec.tolerations.size() == 2);
  CHECK(spec.tolerations[1].key == "node.kubernetes.io/unreachable");
  CHECK(spec.tolerations[1].operator_ == "Exists");
  CHECK(spec.tolerations[1].toleration_seconds == 300);
  // Volumes.
  REQUIRE(spec.volumes.size() == 2);
  REQUIRE(spec.volumes[0].config_map);
  CHECK(spec.volumes[0].config_map->name == "app-config");
  CHECK(spec.volumes[0].config_map->default_mode == 420);
  CHECK(spec.volumes[0].unsupported.empty());
  REQUIRE(spec.volumes[1].projected);
  const auto& sources = spec.volumes[1].projected->sources;
  REQUIRE(sources.size() == 4);
  REQUIRE(sources[0].service_account_token);
  CHECK(sources[0].service_account_token->expiration_seconds == 3607);
  CHECK(sources[0].service_account_token->path == "token");
  REQUIRE(sources[1].config_map);
  CHECK(sources[1].config_map->items.at(0).key == "ca.crt");
  REQUIRE(sources[2].downward_api);
  REQUIRE(sources[2].downward_api->items.at(0).field_ref);
  CHECK(sources[2].downward_api->items[0].field_ref->field_path
        == "metadata.namespace");
  // Containers.
  REQUIRE(spec.containers.size() == 2);
  const auto& app = spec.containers[0];
  CHECK(app.name == "app");
  CHECK(app.image == "localhost/busybox:ci");
  CHECK(app.image_pull_policy == "Never");
  CHECK(app.command
        == std::vector<std::string>{"sh", "-c", "httpd -f -p 8080 -h /etc/app"});
  REQUIRE(app.ports.size() == 1);
  CHECK(app.ports[0].name == "http");
  CHECK(app.ports[0].container_port == 8080);
  CHECK(app.ports[0].protocol == "TCP");
  REQUIRE(app.env.size() == 2);
  CHECK(app.env[0].value == "edge");
  REQUIRE(app.env[1].value_from);
  REQUIRE(app.env[1].value_from->secret_key_ref);
  CHECK(app.env[1].value_from->secret_key_ref->name == "app-secret");
  CHECK(app.env[1].value_from->secret_key_ref->key == "password");
  REQUIRE(k8s::find(app.resources.limits, "memory"));
  CHECK(*k8s::find(app.resources.limits, "memory") == "64Mi");
  CHECK(*k8s::find(app.resources.requests, "cpu") == "50m");
  CHECK(k8s::find(app.resources.limits, "cpu") == nullptr);
  REQUIRE(app.volume_mounts.size() == 2);
  CHECK(app.volume_mounts[1].read_only);
  CHECK(app.volume_mounts[1].mount_path
        == "/var/run/secrets/kubernetes.io/serviceaccount");
  REQUIRE(app.liveness_probe);
  REQUIRE(app.liveness_probe->tcp_socket);
  CHECK(!app.liveness_probe->tcp_socket->port.is_string);
  CHECK(app.liveness_probe->tcp_socket->port.int_value == 8080);
  CHECK(app.liveness_probe->initial_delay_seconds == 5);
  REQUIRE(app.readiness_probe);
  REQUIRE(app.readiness_probe->http_get);
  CHECK(app.readiness_probe->http_get->port.is_string);
  CHECK(app.readiness_probe->http_get->port.string_value == "http");
  CHECK(app.readiness_probe->http_get->path == "/app.conf");
  CHECK(app.readiness_probe->period_seconds == 5);
  CHECK(!app.startup_probe);
  const auto& sidecar = spec.containers[1];
  REQUIRE(sidecar.liveness_probe);
  REQUIRE(sidecar.liveness_probe->exec);
  CHECK(sidecar.liveness_probe->exec->command
        == std::vector<std::string>{"true"});
  CHECK(sidecar.resources.limits.empty());
  // Status.
  CHECK(p.status.phase == "Pending");
  CHECK(p.status.qos_class == "Burstable");
  CHECK(p.status.container_statuses.empty());
}

TEST_CASE("decode a running pod from a watch event") {
  auto res = k8s::decode_watch_event<k8s::pod>(samples::watch_modified);
  REQUIRE_MESSAGE(res, describe(res.error()));
  CHECK(res->type == k8s::watch_event_type::modified);
  REQUIRE(res->object);
  CHECK(!res->error);
  const auto& st = res->object->status;
  CHECK(st.phase == "Running");
  CHECK(st.pod_ip == "10.88.0.17");
  CHECK(st.pod_ips == std::vector<std::string>{"10.88.0.17"});
  CHECK(st.host_ips == std::vector<std::string>{"10.88.0.1"});
  REQUIRE(st.conditions.size() == 2);
  CHECK(st.conditions[1].type == "Ready");
  CHECK(st.conditions[1].status == "True");
  CHECK(!st.conditions[1].last_probe_time);
  CHECK(k8s::format_time(*st.conditions[1].last_transition_time)
        == "2026-11-22T02:57:44Z");
  REQUIRE(st.container_statuses.size() == 1);
  const auto& cs = st.container_statuses[0];
  CHECK(cs.ready);
  CHECK(cs.started == true);
  CHECK(cs.restart_count == 0);
  CHECK(cs.container_id.rfind("containerd://3f1e", 0) == 0);
  REQUIRE(cs.state.running);
  CHECK(!cs.state.waiting);
  CHECK(!cs.last_state.terminated);
  CHECK(k8s::format_time(*cs.state.running->started_at)
        == "2026-11-22T02:57:42Z");
}

TEST_CASE("wrong types fail with the field path") {
  std::string pod = samples::pod_web1;
  SUBCASE("port number as string in the second container") {
    // Give the sidecar a port whose containerPort is a string.
    auto text = patch(pod, R"("command":["sleep","3600"],)",
                      R"("command":["sleep","3600"],"ports":[{"containerPort":"8080"}],)");
    CHECK(pod_error(text)
          == "Pod: spec.containers[1].ports[0].containerPort: expected integer, "
             "got string");
  }
  SUBCASE("fraction where an integer belongs") {
    auto text = patch(pod, R"("initialDelaySeconds":5)",
                      R"("initialDelaySeconds":5.5)");
    CHECK(pod_error(text)
          == "Pod: spec.containers[0].livenessProbe.initialDelaySeconds: "
             "expected integer, got number 5.5");
  }
  SUBCASE("int32 overflow") {
    auto text = patch(pod, R"("containerPort":8080)",
                      R"("containerPort":4294967296)");
    CHECK(pod_error(text)
          == "Pod: spec.containers[0].ports[0].containerPort: integer "
             "4294967296 out of range");
  }
  SUBCASE("label value is not a string") {
    auto text = patch(pod, R"("labels":{"app":"web"})", R"("labels":{"app":7})");
    CHECK(pod_error(text) == "Pod: metadata.labels.app: expected string, got number");
  }
  SUBCASE("object expected") {
    auto text = patch(pod, R"("securityContext":{})", R"("securityContext":[])");
    CHECK(pod_error(text) == "Pod: spec.securityContext: expected object, got array");
  }
  SUBCASE("array expected") {
    auto text = patch(pod, R"("command":["true"])", R"("command":"true")");
    CHECK(pod_error(text)
          == "Pod: spec.containers[1].livenessProbe.exec.command: expected "
             "array, got string");
  }
  SUBCASE("bad time") {
    auto text = patch(pod, R"("creationTimestamp":"2026-11-22T02:57:38Z")",
                      R"("creationTimestamp":"yesterday")");
    auto msg = pod_error(text);
    CHECK(msg.find("Pod: metadata.creationTimestamp: invalid RFC 3339 time")
          == 0);
  }
  SUBCASE("boolean expected") {
    auto text = patch(pod, R"("readOnly":true)", R"("readOnly":"yes")");
    CHECK(pod_error(text)
          == "Pod: spec.containers[0].volumeMounts[0].readOnly: expected "
             "boolean, got string");
  }
  SUBCASE("port neither int nor string") {
    auto text = patch(pod, R"("port":8080)", R"("port":true)");
    CHECK(pod_error(text)
          == "Pod: spec.containers[0].livenessProbe.tcpSocket.port: expected "
             "integer or string, got boolean");
  }
}

TEST_CASE("unknown fields are ignored at every level") {
  std::string pod = samples::pod_web1;
  pod = patch(pod, R"({"kind":"Pod",)",
              R"({"future":{"a":[1,2,{"b":null}],"c":"\u00e9"},"kind":"Pod",)");
  pod = patch(pod, R"("name":"app",)", R"("name":"app","resizePolicy":[{"x":1}],)");
  pod = patch(pod, R"("phase":"Pending")",
              R"("phase":"Pending","resize":"InProgress","hostIPs":null)");
  auto res = k8s::decode_pod(pod);
  REQUIRE_MESSAGE(res, describe(res.error()));
  CHECK((*res)->spec.containers.at(0).name == "app");
  CHECK((*res)->status.phase == "Pending");
  CHECK((*res)->status.host_ips.empty());
}

TEST_CASE("null is treated like an absent field") {
  // The shape of a BOOKMARK object.
  auto res = k8s::decode_pod(
    R"({"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"265",)"
    R"("creationTimestamp":null,"labels":null},"spec":{"containers":null,)"
    R"("nodeName":null,"priority":null,"hostNetwork":null},"status":{}})");
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& p = **res;
  CHECK(p.metadata.resource_version == "265");
  CHECK(!p.metadata.creation_timestamp);
  CHECK(p.spec.containers.empty());
  CHECK(!p.spec.priority);
  CHECK(!p.spec.host_network);
  CHECK(p.spec.restart_policy == "Always"); // API default kept
}

TEST_CASE("unsupported volume sources are named, not fatal") {
  auto res = k8s::decode_pod(
    R"({"kind":"Pod","spec":{"volumes":[{"name":"data","persistentVolumeClaim":)"
    R"({"claimName":"pvc-1"}},{"name":"tmp","emptyDir":{"medium":"Memory",)"
    R"("sizeLimit":"64Mi"}},{"name":"h","hostPath":{"path":"/var/log","type":"Directory"}}]}})");
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& vols = (*res)->spec.volumes;
  REQUIRE(vols.size() == 3);
  CHECK(vols[0].unsupported == "persistentVolumeClaim");
  CHECK(vols[1].unsupported.empty());
  REQUIRE(vols[1].empty_dir);
  CHECK(vols[1].empty_dir->medium == "Memory");
  CHECK(vols[1].empty_dir->size_limit == "64Mi");
  REQUIRE(vols[2].host_path);
  CHECK(vols[2].host_path->type == "Directory");
}

TEST_CASE("env sources, envFrom, init containers and security contexts") {
  auto res = k8s::decode_pod(
    R"({"spec":{"initContainers":[{"name":"init","image":"busybox","restartPolicy":"Always",)"
    R"("env":[{"name":"NODE","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"spec.nodeName"}}},)"
    R"({"name":"MEM","valueFrom":{"resourceFieldRef":{"containerName":"init","resource":"limits.memory",)"
    R"("divisor":"1Mi"}}},{"name":"CFG","valueFrom":{"configMapKeyRef":{"name":"cm","key":"k",)"
    R"("optional":true}}}],"envFrom":[{"prefix":"P_","configMapRef":{"name":"cm"}},)"
    R"({"secretRef":{"name":"s","optional":false}}],"securityContext":{"runAsUser":1000,)"
    R"("privileged":false,"capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]},)"
    R"("seccompProfile":{"type":"RuntimeDefault"}},"startupProbe":{"grpc":{"port":9090,)"
    R"("service":"health"},"failureThreshold":30},"lifecycle":{"preStop":{"sleep":{"seconds":5}}},)"
    R"("stdin":true,"tty":true,"workingDir":"/w","args":["a","b"]}],)"
    R"("securityContext":{"runAsNonRoot":true,"fsGroup":2000,"supplementalGroups":[1,2],)"
    R"("sysctls":[{"name":"net.core.somaxconn","value":"1024"}]},"hostNetwork":true,)"
    R"("hostPID":true,"hostname":"h","subdomain":"s","hostAliases":[{"ip":"10.0.0.1",)"
    R"("hostnames":["a","b"]}],"dnsPolicy":"None","dnsConfig":{"nameservers":["1.1.1.1"],)"
    R"("searches":["svc"],"options":[{"name":"ndots","value":"2"},{"name":"edns0"}]},)"
    R"("activeDeadlineSeconds":600,"automountServiceAccountToken":false,)"
    R"("imagePullSecrets":[{"name":"reg"}]}})");
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& spec = (*res)->spec;
  REQUIRE(spec.init_containers.size() == 1);
  const auto& c = spec.init_containers[0];
  CHECK(c.restart_policy == "Always");
  REQUIRE(c.env.size() == 3);
  CHECK(c.env[0].value_from->field_ref->field_path == "spec.nodeName");
  CHECK(c.env[1].value_from->resource_field_ref->divisor == "1Mi");
  CHECK(c.env[2].value_from->config_map_key_ref->optional == true);
  REQUIRE(c.env_from.size() == 2);
  CHECK(c.env_from[0].prefix == "P_");
  CHECK(c.env_from[0].config_map_ref->name == "cm");
  CHECK(c.env_from[1].secret_ref->optional == false);
  REQUIRE(c.security_context);
  CHECK(c.security_context->run_as_user == 1000);
  CHECK(c.security_context->privileged == false);
  CHECK(c.security_context->capabilities->drop
        == std::vector<std::string>{"ALL"});
  CHECK(c.security_context->seccomp_profile->type == "RuntimeDefault");
  CHECK(c.startup_probe->grpc->port == 9090);
  CHECK(c.startup_probe->grpc->service == "health");
  CHECK(c.startup_probe->failure_threshold == 30);
  CHECK(c.startup_probe->period_seconds == 10); // default
  CHECK(c.lifecycle->pre_stop->sleep_seconds == 5);
  CHECK(c.stdin_);
  CHECK(c.tty);
  CHECK(c.working_dir == "/w");
  CHECK(c.args == std::vector<std::string>{"a", "b"});
  CHECK(spec.security_context->fs_group == 2000);
  CHECK(spec.security_context->supplemental_groups
        == std::vector<int64_t>{1, 2});
  CHECK(spec.security_context->sysctls.at(0).value == "1024");
  CHECK(spec.host_network);
  CHECK(spec.host_pid);
  CHECK(!spec.host_ipc);
  CHECK(spec.host_aliases.at(0).hostnames.size() == 2);
  CHECK(spec.dns_config->options.at(0).value == "2");
  CHECK(!spec.dns_config->options.at(1).value);
  CHECK(spec.active_deadline_seconds == 600);
  CHECK(spec.automount_service_account_token == false);
  CHECK(spec.image_pull_secrets == std::vector<std::string>{"reg"});
}

TEST_CASE("hostile and broken input fails cleanly") {
  SUBCASE("not an object") {
    CHECK(pod_error("[]") == "Pod: expected a JSON object, got array");
    CHECK(pod_error("null") == "Pod: expected a JSON object, got null");
    CHECK(pod_error("\"pod\"") == "Pod: expected a JSON object, got string");
  }
  SUBCASE("truncated") {
    std::string pod = samples::pod_web1;
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, pod.size() / 2,
                     pod.size() - 1}) {
      CAPTURE(n);
      auto msg = pod_error(std::string_view{pod}.substr(0, n));
      CHECK(msg.find("Pod: ") == 0);
    }
  }
  SUBCASE("trailing garbage") {
    std::string pod = samples::pod_web1;
    pod += "}";
    CHECK(pod_error(pod).find("trailing content") != std::string::npos);
  }
  SUBCASE("a Status where a Pod was expected") {
    auto msg = pod_error(
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
      R"("message":"pods \"x\" not found","reason":"NotFound","code":404})");
    CHECK(msg == R"(Pod: kind: expected Pod, got "Status")");
  }
  SUBCASE("invalid UTF-8 is reported with its offset") {
    std::string pod = samples::pod_web1;
    pod = patch(pod, R"("name":"web-1")", "\"name\":\"web-\xC3\x28\"");
    auto msg = pod_error(pod);
    CHECK(msg.find("invalid UTF-8 at byte") != std::string::npos);
  }
  SUBCASE("an HTML error page") {
    auto msg = pod_error("<html><body>502 Bad Gateway</body></html>");
    CHECK(msg.find("at byte 0") != std::string::npos);
  }
  SUBCASE("syntax errors name the enclosing field") {
    std::string pod = samples::pod_web1;
    auto text = patch(pod, R"("effect":"NoExecute","tolerationSeconds":300},{)",
                      R"("effect":"NoExecute","tolerationSeconds":300} {)");
    CHECK(pod_error(text).find("Pod: spec.tolerations[1]: JSON: malformed JSON")
          == 0);
    text = patch(pod, R"("labels":{"app":"web"})", R"("labels":{"app":"web",})");
    CHECK(pod_error(text).find("Pod: metadata.labels: JSON:") == 0);
  }
  SUBCASE("unknown fields are skipped without full validation") {
    // simdjson's on-demand parser skips what is not read; malformed JSON
    // inside an ignored member may pass, but never corrupts what is read.
    std::string pod = samples::pod_web1;
    pod = patch(pod, R"("preemptionPolicy":"PreemptLowerPriority")",
                R"("preemptionPolicy":[1 2])");
    auto res = k8s::decode_pod(pod);
    if (res) {
      CHECK((*res)->spec.enable_service_links == true);
      CHECK((*res)->status.phase == "Pending");
    } else {
      CHECK(is(res.error(), errc::bad_response));
    }
  }
  SUBCASE("deep nesting in an unknown field") {
    std::string pod = samples::pod_web1;
    std::string deep(5000, '[');
    deep += std::string(5000, ']');
    pod = patch(pod, R"("preemptionPolicy":"PreemptLowerPriority")",
                "\"x\":" + deep);
    // Either rejected or skipped, but never a crash.
    auto res = k8s::decode_pod(pod);
    if (!res)
      CHECK(is(res.error(), errc::bad_response));
  }
}

TEST_CASE("a 10 MB string value decodes") {
  std::string big(10 * 1024 * 1024, 'x');
  std::string pod = samples::pod_web1;
  pod = patch(pod, R"("labels":{"app":"web"})",
              R"("labels":{"app":"web"},"annotations":{"big":")" + big + "\"}");
  auto res = k8s::decode_pod(pod);
  REQUIRE_MESSAGE(res, describe(res.error()));
  CHECK((*res)->metadata.annotations.at("big").size() == big.size());
  // The parser is reused afterwards for small documents.
  auto small = k8s::decode_pod(samples::pod_web1);
  REQUIRE(small);
  CHECK((*small)->metadata.name == "web-1");
}
