// Decoding Nodes, Leases, Events, ConfigMaps, Secrets, Status bodies, lists
// and watch events.
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"

#include "samples.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cafelet;

TEST_CASE("decode a node") {
  auto res = k8s::decode_node(samples::node_create);
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& n = **res;
  CHECK(n.metadata.name == "edge-1");
  CHECK(n.metadata.labels.at("kubernetes.io/hostname") == "edge-1");
  CHECK(n.metadata.annotations.size() == 1);
  CHECK(!n.spec.unschedulable);
  const auto& st = n.status;
  REQUIRE(st.capacity.size() == 6);
  CHECK(st.capacity[0].first == "cpu"); // document order kept
  CHECK(*k8s::find(st.capacity, "memory") == "24568028Ki");
  CHECK(*k8s::find(st.allocatable, "ephemeral-storage") == "37694649077");
  REQUIRE(st.conditions.size() == 4);
  CHECK(st.conditions[3].type == "Ready");
  CHECK(st.conditions[3].reason == "KubeletNotReady");
  CHECK(k8s::format_time(*st.conditions[3].last_heartbeat_time)
        == "2026-11-22T02:56:08Z");
  REQUIRE(st.addresses.size() == 2);
  CHECK(st.addresses[0].type == "InternalIP");
  CHECK(st.addresses[0].address == "10.88.0.1");
  CHECK(st.kubelet_endpoint_port == 10250);
  CHECK(st.node_info.kubelet_version == "v1.32.13");
  CHECK(st.node_info.container_runtime_version == "containerd://1.6.20");
  REQUIRE(st.images.size() == 2);
  CHECK(st.images[1].names.at(0) == "localhost/pause:ci");
  CHECK(st.images[1].size_bytes == 1187840);
}

TEST_CASE("decode node spec taints and numeric quantities") {
  auto res = k8s::decode_node(
    R"({"kind":"Node","metadata":{"name":"n"},"spec":{"podCIDR":"10.244.1.0/24",)"
    R"("podCIDRs":["10.244.1.0/24"],"unschedulable":true,"taints":[{"key":"k",)"
    R"("effect":"NoExecute","timeAdded":"2026-11-22T04:35:00Z"}]},)"
    R"("status":{"capacity":{"cpu":2,"memory":"1Gi"}}})");
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& n = **res;
  CHECK(n.spec.pod_cidr == "10.244.1.0/24");
  CHECK(n.spec.unschedulable);
  REQUIRE(n.spec.taints.size() == 1);
  CHECK(n.spec.taints[0].effect == "NoExecute");
  CHECK(n.spec.taints[0].time_added.has_value());
  CHECK(*k8s::find(n.status.capacity, "cpu") == "2");
  auto bad = k8s::decode_node(
    R"({"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":"10250"}}}})");
  REQUIRE(!bad);
  CHECK(context_of(bad.error())
        == "Node: status.daemonEndpoints.kubeletEndpoint.Port: expected "
           "integer, got string");
}

TEST_CASE("decode a lease with MicroTime precision") {
  auto res = k8s::decode_lease(samples::lease_create);
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& l = **res;
  CHECK(l.metadata.namespace_ == "kube-node-lease");
  REQUIRE(l.metadata.owner_references.size() == 1);
  CHECK(l.metadata.owner_references[0].kind == "Node");
  CHECK(l.metadata.owner_references[0].uid
        == "d3aa4733-e593-41e0-991b-52a3c7bc5a00");
  CHECK(l.spec.holder_identity == "edge-1");
  CHECK(l.spec.lease_duration_seconds == 40);
  REQUIRE(l.spec.renew_time);
  CHECK(l.spec.renew_time->time_since_epoch().count() % 1000000 == 723759);
  CHECK(k8s::format_micro_time(*l.spec.renew_time)
        == "2026-11-22T02:56:08.723759Z");
  CHECK(!l.spec.acquire_time);
  // The wrong type the API server itself rejects with 400.
  auto bad = k8s::decode_lease(
    R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"edge-1"},)"
    R"("spec":{"leaseDurationSeconds":"forty"}})");
  REQUIRE(!bad);
  CHECK(context_of(bad.error())
        == "Lease: spec.leaseDurationSeconds: expected integer, got string");
}

TEST_CASE("decode an event") {
  auto res = k8s::decode_event(samples::event_create);
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& e = **res;
  CHECK(e.metadata.name == "edge-1.187a1b2c3d4e5f60");
  CHECK(e.involved_object.kind == "Node");
  CHECK(e.involved_object.uid == "edge-1");
  CHECK(e.reason == "NodeHasSufficientMemory");
  CHECK(e.source.component == "kubelet");
  CHECK(e.count == 1);
  CHECK(e.type_ == "Normal");
  CHECK(!e.event_time);
  CHECK(k8s::format_time(*e.last_timestamp) == "2026-11-22T02:58:29Z");
  CHECK(e.reporting_instance == "edge-1");
}

TEST_CASE("decode ConfigMap and Secret") {
  auto cm = k8s::decode_config_map(
    R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app-config",)"
    R"("namespace":"default"},"data":{"app.conf":"listen=8080\n","mode":"edge"}})");
  REQUIRE_MESSAGE(cm, describe(cm.error()));
  CHECK((*cm)->data.at("app.conf") == "listen=8080\n");
  CHECK((*cm)->data.size() == 2);
  auto s = k8s::decode_secret(
    R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"app-secret",)"
    R"("namespace":"default","uid":"780d0634-3ead-438e-ba55-56e0f7f5902a",)"
    R"("resourceVersion":"254","creationTimestamp":"2026-11-22T02:57:37Z"},)"
    R"("data":{"password":"czNjcjN0"},"type":"Opaque"})");
  REQUIRE_MESSAGE(s, describe(s.error()));
  CHECK((*s)->data.at("password") == "czNjcjN0");
  CHECK((*s)->type_ == "Opaque");
  CHECK((*s)->type.kind == "Secret");
}

TEST_CASE("decode Status bodies and map them to errors") {
  auto res = k8s::decode_status(samples::status_422);
  REQUIRE_MESSAGE(res, describe(res.error()));
  const auto& st = **res;
  CHECK(st.status_ == "Failure");
  CHECK(st.reason == "Invalid");
  CHECK(st.code == 422);
  REQUIRE(st.details);
  CHECK(st.details->name == "web-1");
  REQUIRE(st.details->causes.size() == 1);
  CHECK(st.details->causes[0].field == "metadata.uid");
  CHECK(st.details->causes[0].reason == "FieldValueInvalid");
  auto err = k8s::to_error(st);
  CHECK(is(err, errc::invalid));
  CHECK(context_of(err).find("422 Invalid: Pod \"web-1\" is invalid") == 0);
  auto throttled = k8s::decode_status(
    R"({"kind":"Status","status":"Failure","reason":"TooManyRequests",)"
    R"("details":{"retryAfterSeconds":3},"code":429})");
  REQUIRE(throttled);
  CHECK((*throttled)->details->retry_after_seconds == 3);
  CHECK(k8s::to_errc(429) == errc::too_many_requests);
  CHECK(k8s::to_errc(410) == errc::gone);
  CHECK(k8s::to_errc(409) == errc::conflict);
  CHECK(k8s::to_errc(404) == errc::not_found);
  CHECK(k8s::to_errc(403) == errc::forbidden);
  CHECK(k8s::to_errc(401) == errc::unauthorized);
  CHECK(k8s::to_errc(400) == errc::invalid);
  CHECK(k8s::to_errc(503) == errc::server_error);
  CHECK(k8s::to_errc(0, "Expired") == errc::gone);
  CHECK(k8s::to_errc(200) == errc::none);
  // A Pod is not a Status.
  auto wrong = k8s::decode_status(samples::pod_web1);
  REQUIRE(!wrong);
  CHECK(context_of(wrong.error()) == R"(Status: kind: expected Status, got "Pod")");
}

TEST_CASE("decode lists") {
  auto empty = k8s::decode_list<k8s::pod>(
    R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"215"},"items":[]})");
  REQUIRE_MESSAGE(empty, describe(empty.error()));
  CHECK((*empty)->metadata.resource_version == "215");
  CHECK((*empty)->items.empty());
  std::string text = R"({"kind":"PodList","apiVersion":"v1","metadata":)"
                     R"({"resourceVersion":"300","continue":"tok"},"items":[)";
  text += samples::pod_web1;
  text += ",";
  text += samples::pod_web1;
  text += "]}";
  auto two = k8s::decode_list<k8s::pod>(text);
  REQUIRE_MESSAGE(two, describe(two.error()));
  CHECK((*two)->metadata.continue_ == "tok");
  REQUIRE((*two)->items.size() == 2);
  CHECK((*two)->items[1]->spec.containers.size() == 2);
  auto null_items = k8s::decode_list<k8s::node>(
    R"({"kind":"NodeList","metadata":{"resourceVersion":"1"},"items":null})");
  REQUIRE(null_items);
  CHECK((*null_items)->items.empty());
  // Errors name the item index.
  auto bad = k8s::decode_list<k8s::pod>(
    R"({"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":1}}]})");
  REQUIRE(!bad);
  CHECK(context_of(bad.error())
        == "PodList: items[1].metadata.name: expected string, got number");
  auto wrong_kind = k8s::decode_list<k8s::pod>(
    R"({"kind":"NodeList","items":[]})");
  REQUIRE(!wrong_kind);
}

TEST_CASE("decode watch events") {
  SUBCASE("ERROR carries a Status") {
    auto res = k8s::decode_watch_event<k8s::pod>(samples::watch_410);
    REQUIRE_MESSAGE(res, describe(res.error()));
    CHECK(res->type == k8s::watch_event_type::error);
    CHECK(!res->object);
    REQUIRE(res->error);
    CHECK(res->error->code == 410);
    CHECK(res->error->reason == "Expired");
    CHECK(is(k8s::to_error(*res->error), errc::gone));
  }
  SUBCASE("BOOKMARK") {
    auto res = k8s::decode_watch_event<k8s::pod>(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":)"
      R"({"resourceVersion":"265","creationTimestamp":null},"spec":{"containers":null},"status":{}}})");
    REQUIRE_MESSAGE(res, describe(res.error()));
    CHECK(res->type == k8s::watch_event_type::bookmark);
    CHECK(res->object->metadata.resource_version == "265");
    CHECK(to_string(res->type) == "BOOKMARK");
  }
  SUBCASE("object before type") {
    auto res = k8s::decode_watch_event<k8s::lease>(
      R"({"object":{"kind":"Lease","metadata":{"name":"edge-1"}},"type":"DELETED"})");
    REQUIRE_MESSAGE(res, describe(res.error()));
    CHECK(res->type == k8s::watch_event_type::deleted);
    CHECK(res->object->metadata.name == "edge-1");
    auto err = k8s::decode_watch_event<k8s::lease>(
      R"({"object":{"kind":"Status","code":410},"type":"ERROR"})");
    REQUIRE(err);
    CHECK(err->error->code == 410);
  }
  SUBCASE("errors") {
    auto unknown = k8s::decode_watch_event<k8s::pod>(R"({"type":"RENAMED","object":{}})");
    REQUIRE(!unknown);
    CHECK(context_of(unknown.error())
          == R"(WatchEvent: type: unknown watch event type "RENAMED")");
    auto missing = k8s::decode_watch_event<k8s::pod>(R"({"type":"ADDED"})");
    REQUIRE(!missing);
    CHECK(context_of(missing.error()) == "WatchEvent: object: missing");
    auto no_type = k8s::decode_watch_event<k8s::pod>(R"({"object":{}})");
    REQUIRE(!no_type);
    auto bad_object = k8s::decode_watch_event<k8s::pod>(
      R"({"type":"ADDED","object":{"kind":"Pod","spec":{"nodeName":5}}})");
    REQUIRE(!bad_object);
    CHECK(context_of(bad_object.error())
          == "WatchEvent: object.spec.nodeName: expected string, got number");
    auto wrong_kind = k8s::decode_watch_event<k8s::pod>(
      R"({"type":"ADDED","object":{"kind":"Node"}})");
    REQUIRE(!wrong_kind);
    auto truncated = k8s::decode_watch_event<k8s::pod>(R"({"type":"ADDED","object":{"kind")");
    REQUIRE(!truncated);
    CHECK(is(truncated.error(), errc::bad_response));
  }
}
