#pragma once
/// @file
/// Shared inputs of the kuberuntime tests: the realistic pod of the
/// apiserver transcript 07-pod-create-admin (Pod default/web-1 as the API
/// server returned it, managedFields left out), node settings, and small
/// pod builders.

#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/decode.hpp"
#include "messages/k8s/pod.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

namespace cafelet::test {

/// Pod default/web-1 (2 containers, Burstable) as created in transcript 07.
inline constexpr const char* web1_json =
    R"json({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","na)json"
    R"json(mespace":"default","uid":"a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0)json"
    R"json(","resourceVersion":"257","creationTimestamp":"2026-11-22T02:5)json"
    R"json(7:38Z","labels":{"app":"web"}},"spec":{"volumes":[{"name":"con)json"
    R"json(fig","configMap":{"name":"app-config","defaultMode":420}},{"na)json"
    R"json(me":"kube-api-access-8gscg","projected":{"sources":[{"serviceA)json"
    R"json(ccountToken":{"expirationSeconds":3607,"path":"token"}},{"conf)json"
    R"json(igMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","pa)json"
    R"json(th":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace",)json"
    R"json("fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace")json"
    R"json(}}]}},{"configMap":{"name":"openshift-service-ca.crt","items":)json"
    R"json([{"key":"service-ca.crt","path":"service-ca.crt"}]}}],"default)json"
    R"json(Mode":420}}],"containers":[{"name":"app","image":"localhost/bu)json"
    R"json(sybox:ci","command":["sh","-c","httpd -f -p 8080 -h /etc/app"])json"
    R"json(,"ports":[{"name":"http","containerPort":8080,"protocol":"TCP")json"
    R"json(}],"env":[{"name":"MODE","value":"edge"},{"name":"DB_PASSWORD")json"
    R"json(,"valueFrom":{"secretKeyRef":{"name":"app-secret","key":"passw)json"
    R"json(ord"}}}],"resources":{"limits":{"memory":"64Mi"},"requests":{")json"
    R"json(cpu":"50m","memory":"32Mi"}},"volumeMounts":[{"name":"config",)json"
    R"json("readOnly":true,"mountPath":"/etc/app"},{"name":"kube-api-acce)json"
    R"json(ss-8gscg","readOnly":true,"mountPath":"/var/run/secrets/kubern)json"
    R"json(etes.io/serviceaccount"}],"livenessProbe":{"tcpSocket":{"port")json"
    R"json(:8080},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSecon)json"
    R"json(ds":10,"successThreshold":1,"failureThreshold":3},"readinessPr)json"
    R"json(obe":{"httpGet":{"path":"/app.conf","port":"http","scheme":"HT)json"
    R"json(TP"},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1)json"
    R"json(,"failureThreshold":3},"terminationMessagePath":"/dev/terminat)json"
    R"json(ion-log","terminationMessagePolicy":"File","imagePullPolicy":")json"
    R"json(Never"},{"name":"sidecar","image":"localhost/busybox:ci","comm)json"
    R"json(and":["sleep","3600"],"resources":{},"volumeMounts":[{"name":")json"
    R"json(kube-api-access-8gscg","readOnly":true,"mountPath":"/var/run/s)json"
    R"json(ecrets/kubernetes.io/serviceaccount"}],"livenessProbe":{"exec")json"
    R"json(:{"command":["true"]},"timeoutSeconds":1,"periodSeconds":10,"s)json"
    R"json(uccessThreshold":1,"failureThreshold":3},"terminationMessagePa)json"
    R"json(th":"/dev/termination-log","terminationMessagePolicy":"File",")json"
    R"json(imagePullPolicy":"Never"}],"restartPolicy":"Always","terminati)json"
    R"json(onGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAc)json"
    R"json(countName":"default","serviceAccount":"default","nodeName":"ed)json"
    R"json(ge-1","securityContext":{},"schedulerName":"default-scheduler")json"
    R"json(,"tolerations":[{"key":"node.kubernetes.io/not-ready","operato)json"
    R"json(r":"Exists","effect":"NoExecute","tolerationSeconds":300},{"ke)json"
    R"json(y":"node.kubernetes.io/unreachable","operator":"Exists","effec)json"
    R"json(t":"NoExecute","tolerationSeconds":300}],"priority":0,"enableS)json"
    R"json(erviceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},")json"
    R"json(status":{"phase":"Pending","qosClass":"Burstable"}}
)json";

/// UID of web-1.
inline constexpr const char* web1_uid = "a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0";

/// Decodes web-1 (fails the test if it does not decode).
inline k8s::pod web1() {
  auto p = k8s::decode_pod(web1_json);
  REQUIRE(p);
  return **p;
}

/// Node settings of the tests: cluster DNS 10.96.0.10 / cluster.local, a
/// resolv.conf with one server, one search domain and one option, 1 GiB of
/// memory.
inline kuberuntime::settings test_settings() {
  kuberuntime::settings s;
  s.dns.cluster_dns = {"10.96.0.10"};
  s.dns.cluster_domain = "cluster.local";
  s.dns.host.servers = {"192.168.1.1"};
  s.dns.host.searches = {"lab.example"};
  s.dns.host.options = {"edns0"};
  s.memory_capacity = 1024 * 1024 * 1024;
  return s;
}

/// A pod "p" in namespace "ns" with uid "uid-1" and one container "c".
inline k8s::pod simple_pod() {
  k8s::pod p;
  p.metadata.name = "p";
  p.metadata.namespace_ = "ns";
  p.metadata.uid = "uid-1";
  k8s::container c;
  c.name = "c";
  c.image = "localhost/busybox:ci";
  p.spec.containers.push_back(std::move(c));
  return p;
}

} // namespace cafelet::test
