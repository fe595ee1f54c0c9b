// Benchmark: decode throughput of pod watch events on one core, through
// net::line_splitter and k8s::decode_watch_event<pod>, and the resident
// memory a decoded pod costs while cached. Prints one JSON object.
//
//   bench_watch_decode [--events N] [--pods N] [--chunk BYTES]
//
// The pod is web-1 as the real API server returned it (07-pod-create-admin:
// two containers, probes, env, projected volume, managedFields) with the
// Running status of 12-watch-pods-timeout10; about 6 KB per event.

#include "bench/process_stats.hpp"
#include "messages/k8s/decode.hpp"
#include "net/watch/line_splitter.hpp"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using namespace cafelet;

/// Pod template; @NAME@, @UID@ and @RV@ are replaced per event.
constexpr const char* pod_template =
  R"j({"kind":"Pod","apiVersion":"v1","metadata":{"name":"@NAME@","namespace":"default","uid":)j"
  R"j("@UID@","resourceVersion":"@RV@","creationTimestamp":"2026-11-22T02:57:38Z","labels":{"a)j"
  R"j(pp":"web"},"managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1",)j"
  R"j("time":"2026-11-22T02:57:38Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:label)j"
  R"j(s":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:comm)j"
  R"j(and":{},"f:env":{".":{},"k:{\"name\":\"DB_PASSWORD\"}":{".":{},"f:name":{},"f:valueFrom")j"
  R"j(:{".":{},"f:secretKeyRef":{}}},"k:{\"name\":\"MODE\"}":{".":{},"f:name":{},"f:value":{}})j"
  R"j(},"f:image":{},"f:imagePullPolicy":{},"f:livenessProbe":{".":{},"f:failureThreshold":{},)j"
  R"j("f:initialDelaySeconds":{},"f:periodSeconds":{},"f:successThreshold":{},"f:tcpSocket":{")j"
  R"j(.":{},"f:port":{}},"f:timeoutSeconds":{}},"f:name":{},"f:ports":{".":{},"k:{\"containerP)j"
  R"j(ort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":)j"
  R"j({}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},)j"
  R"j("f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSecond)j"
  R"j(s":{}},"f:resources":{".":{},"f:limits":{".":{},"f:memory":{}},"f:requests":{".":{},"f:c)j"
  R"j(pu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{},"f:)j"
  R"j(volumeMounts":{".":{},"k:{\"mountPath\":\"/etc/app\"}":{".":{},"f:mountPath":{},"f:name")j"
  R"j(:{},"f:readOnly":{}}}},"k:{\"name\":\"sidecar\"}":{".":{},"f:command":{},"f:image":{},"f)j"
  R"j(:imagePullPolicy":{},"f:livenessProbe":{".":{},"f:exec":{".":{},"f:command":{}},"f:failu)j"
  R"j(reThreshold":{},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:n)j"
  R"j(ame":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}})j"
  R"j(,"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:nodeName":{},"f:restartPolicy":{},"f:sche)j"
  R"j(dulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{},"f:volumes":{")j"
  R"j(.":{},"k:{\"name\":\"config\"}":{".":{},"f:configMap":{".":{},"f:defaultMode":{},"f:name)j"
  R"j(":{}},"f:name":{}}}}}}]},"spec":{"volumes":[{"name":"config","configMap":{"name":"app-co)j"
  R"j(nfig","defaultMode":420}},{"name":"kube-api-access-8gscg","projected":{"sources":[{"serv)j"
  R"j(iceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-r)j"
  R"j(oot-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path)j"
  R"j(":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}},{"conf)j"
  R"j(igMap":{"name":"openshift-service-ca.crt","items":[{"key":"service-ca.crt","path":"servi)j"
  R"j(ce-ca.crt"}]}}],"defaultMode":420}}],"containers":[{"name":"app","image":"localhost/busy)j"
  R"j(box:ci","command":["sh","-c","httpd -f -p 8080 -h /etc/app"],"ports":[{"name":"http","co)j"
  R"j(ntainerPort":8080,"protocol":"TCP"}],"env":[{"name":"MODE","value":"edge"},{"name":"DB_P)j"
  R"j(ASSWORD","valueFrom":{"secretKeyRef":{"name":"app-secret","key":"password"}}}],"resource)j"
  R"j(s":{"limits":{"memory":"64Mi"},"requests":{"cpu":"50m","memory":"32Mi"}},"volumeMounts":)j"
  R"j([{"name":"config","readOnly":true,"mountPath":"/etc/app"},{"name":"kube-api-access-8gscg)j"
  R"j(","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"livenes)j"
  R"j(sProbe":{"tcpSocket":{"port":8080},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSec)j"
  R"j(onds":10,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"httpGet":{"path":)j"
  R"j("/app.conf","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":5,"success)j"
  R"j(Threshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/termination-log","term)j"
  R"j(inationMessagePolicy":"File","imagePullPolicy":"Never"},{"name":"sidecar","image":"local)j"
  R"j(host/busybox:ci","command":["sleep","3600"],"resources":{},"volumeMounts":[{"name":"kube)j"
  R"j(-api-access-8gscg","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceac)j"
  R"j(count"}],"livenessProbe":{"exec":{"command":["true"]},"timeoutSeconds":1,"periodSeconds")j"
  R"j(:10,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/terminatio)j"
  R"j(n-log","terminationMessagePolicy":"File","imagePullPolicy":"Never"}],"restartPolicy":"Al)j"
  R"j(ways","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName")j"
  R"j(:"default","serviceAccount":"default","nodeName":"edge-1","securityContext":{},"schedule)j"
  R"j(rName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operato)j"
  R"j(r":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unr)j"
  R"j(eachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":)j"
  R"j(0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase")j"
  R"j(:"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeT)j"
  R"j(ime":null,"lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Initialized","status":"T)j"
  R"j(rue","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"},{"type":"Ready",")j"
  R"j(status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"},{"type")j"
  R"j(:"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22)j"
  R"j(T02:57:44Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransition)j"
  R"j(Time":"2026-11-22T02:57:38Z"}],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podI)j"
  R"j(P":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],"startTime":"2026-11-22T02:57:38Z","conta)j"
  R"j(inerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"l)j"
  R"j(astState":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha)j"
  R"j(256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"con)j"
  R"j(tainerd://3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef","started":tr)j"
  R"j(ue},{"name":"sidecar","state":{"running":{"startedAt":"2026-11-22T02:57:42Z"}},"lastStat)j"
  R"j(e":{},"ready":true,"restartCount":0,"image":"localhost/busybox:ci","imageID":"sha256:4e1)j"
  R"j(b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a","containerID":"containerd)j"
  R"j(://9a8b7c6d5e4f30211f2e3d4c5b6a79880123456789abcdef0fedcba987654321","started":true}],"q)j"
  R"j(osClass":"Burstable"}})j";

struct options {
  size_t events = 20000;
  size_t pods = 10000;
  size_t chunk = 16384;
};

options parse(int argc, char** argv) {
  options out;
  for (int i = 1; i + 1 < argc; i += 2) {
    auto value = static_cast<size_t>(std::strtoull(argv[i + 1], nullptr, 10));
    if (std::strcmp(argv[i], "--events") == 0)
      out.events = value;
    else if (std::strcmp(argv[i], "--pods") == 0)
      out.pods = value;
    else if (std::strcmp(argv[i], "--chunk") == 0)
      out.chunk = value;
  }
  if (out.events == 0)
    out.events = 1;
  if (out.pods == 0)
    out.pods = 1;
  if (out.chunk == 0)
    out.chunk = 1;
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

/// One watch event line (with '\n') for pod number `i`.
std::string event_line(size_t i, std::string_view type) {
  std::string pod = pod_template;
  char uid[40];
  std::snprintf(uid, sizeof(uid), "a43dfde4-248f-4ffa-aa9d-%012zx", i);
  replace_all(pod, "@NAME@", "web-" + std::to_string(i));
  replace_all(pod, "@UID@", uid);
  replace_all(pod, "@RV@", std::to_string(1000 + i));
  std::string out = R"({"type":")";
  out += type;
  out += R"(","object":)";
  out += pod;
  out += "}\n";
  return out;
}

using bench::rss_bytes;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
    .count();
}

/// The same index the watch stream keeps: namespace/name views into the
/// object, mapped to the shared pointer.
struct key {
  std::string_view ns;
  std::string_view name;
  bool operator==(const key&) const = default;
};

struct key_hash {
  size_t operator()(const key& k) const noexcept {
    std::hash<std::string_view> h;
    return h(k.ns) * 31 + h(k.name);
  }
};

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);

  // -- throughput: split + decode, objects dropped at once --------------------
  std::string body;
  for (size_t i = 0; i < opts.events; ++i)
    body += event_line(i, i % 2 == 0 ? "ADDED" : "MODIFIED");
  size_t decoded = 0;
  size_t failed = 0;
  auto decode = [&](std::string_view line) {
    auto ev = k8s::decode_watch_event<k8s::pod>(line);
    if (ev && ev->object)
      ++decoded;
    else
      ++failed;
  };
  {
    // Warm up the parser and the allocator.
    net::line_splitter warm;
    warm.feed(std::string_view{body}.substr(0, std::min(body.size(), size_t{1} << 20)),
              decode);
    decoded = failed = 0;
  }
  net::line_splitter split;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t pos = 0; pos < body.size(); pos += opts.chunk)
    split.feed(std::string_view{body}.substr(pos, opts.chunk), decode);
  auto secs = seconds_since(t0);
  auto body_bytes = body.size();
  std::string{}.swap(body);

  // -- memory: N distinct decoded pods kept alive ------------------------------
  std::vector<std::string> lines;
  lines.reserve(opts.pods);
  for (size_t i = 0; i < opts.pods; ++i)
    lines.push_back(event_line(i, "ADDED"));
  std::vector<k8s::pod_ptr> cache;
  cache.reserve(opts.pods);
  malloc_trim(0);
  auto rss0 = rss_bytes();
  size_t cache_failed = 0;
  for (const auto& line : lines) {
    auto ev = k8s::decode_watch_event<k8s::pod>(
      std::string_view{line}.substr(0, line.size() - 1));
    if (ev && ev->object)
      cache.push_back(std::move(ev->object));
    else
      ++cache_failed;
  }
  malloc_trim(0);
  auto rss1 = rss_bytes();
  std::unordered_map<key, k8s::pod_ptr, key_hash> index;
  for (const auto& p : cache)
    index.emplace(key{p->metadata.namespace_, p->metadata.name}, p);
  auto rss2 = rss_bytes();

  auto n = static_cast<double>(opts.events);
  auto pods = static_cast<double>(cache.size() == 0 ? 1 : cache.size());
  std::printf(
    "{\"benchmark\":\"watch_decode\",\"events\":%zu,\"decoded\":%zu,"
    "\"failed\":%zu,\"bytes_per_event\":%.0f,\"chunk_bytes\":%zu,"
    "\"seconds\":%.4f,\"events_per_s\":%.0f,\"mb_per_s\":%.1f,"
    "\"cached_pods\":%zu,\"cache_failed\":%zu,"
    "\"rss_bytes_per_cached_pod\":%.0f,\"index_bytes_per_pod\":%.0f,"
    "\"rss_cache_delta_bytes\":%lld}\n",
    opts.events, decoded, failed, static_cast<double>(body_bytes) / n,
    opts.chunk, secs, n / secs, static_cast<double>(body_bytes) / secs / 1e6,
    cache.size(), cache_failed, static_cast<double>(rss1 - rss0) / pods,
    static_cast<double>(rss2 - rss1) / pods, rss1 - rss0);
  return failed == 0 && cache_failed == 0 ? 0 : 1;
}
