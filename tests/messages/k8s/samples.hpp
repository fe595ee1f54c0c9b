#pragma once
// Representative API server bodies (compact, as sent on the wire), written
// after real kube-apiserver v1.32 exchanges; managedFields trimmed.

namespace samples {

// POST /api/v1/namespaces/default/pods -> 201: two containers, configMap and
// projected volumes, secretKeyRef env, tcp/http/exec probes, defaults filled.
inline constexpr const char* pod_web1 =
  R"j({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default",)j"
  R"j("uid":"a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0","resourceVersion":"257",)j"
  R"j("creationTimestamp":"2026-11-22T02:57:38Z","labels":{"app":"web"},)j"
  R"j("managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1",)j"
  R"j("time":"2026-11-22T02:57:38Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":)j"
  R"j({"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":)j"
  R"j({".":{}}}}}}]},"spec":{"volumes":[{"name":"config","configMap":{"name":"app-config",)j"
  R"j("defaultMode":420}},{"name":"kube-api-access-8gscg","projected":{"sources":[)j"
  R"j({"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":)j"
  R"j({"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},)j"
  R"j({"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1",)j"
  R"j("fieldPath":"metadata.namespace"}}]}},{"configMap":{"name":"openshift-service-ca.crt",)j"
  R"j("items":[{"key":"service-ca.crt","path":"service-ca.crt"}]}}],"defaultMode":420}}],)j"
  R"j("containers":[{"name":"app","image":"localhost/busybox:ci","command":["sh","-c",)j"
  R"j("httpd -f -p 8080 -h /etc/app"],"ports":[{"name":"http","containerPort":8080,)j"
  R"j("protocol":"TCP"}],"env":[{"name":"MODE","value":"edge"},{"name":"DB_PASSWORD",)j"
  R"j("valueFrom":{"secretKeyRef":{"name":"app-secret","key":"password"}}}],"resources":)j"
  R"j({"limits":{"memory":"64Mi"},"requests":{"cpu":"50m","memory":"32Mi"}},"volumeMounts":)j"
  R"j([{"name":"config","readOnly":true,"mountPath":"/etc/app"},{"name":"kube-api-access-8gscg",)j"
  R"j("readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],)j"
  R"j("livenessProbe":{"tcpSocket":{"port":8080},"initialDelaySeconds":5,"timeoutSeconds":1,)j"
  R"j("periodSeconds":10,"successThreshold":1,"failureThreshold":3},"readinessProbe":)j"
  R"j({"httpGet":{"path":"/app.conf","port":"http","scheme":"HTTP"},"timeoutSeconds":1,)j"
  R"j("periodSeconds":5,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":)j"
  R"j("/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Never"},)j"
  R"j({"name":"sidecar","image":"localhost/busybox:ci","command":["sleep","3600"],)j"
  R"j("resources":{},"volumeMounts":[{"name":"kube-api-access-8gscg","readOnly":true,)j"
  R"j("mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"livenessProbe":)j"
  R"j({"exec":{"command":["true"]},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,)j"
  R"j("failureThreshold":3},"terminationMessagePath":"/dev/termination-log",)j"
  R"j("terminationMessagePolicy":"File","imagePullPolicy":"Never"}],"restartPolicy":"Always",)j"
  R"j("terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":)j"
  R"j("default","serviceAccount":"default","nodeName":"edge-1","securityContext":{},)j"
  R"j("schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready",)j"
  R"j("operator":"Exists","effect":"NoExecute","tolerationSeconds":300},)j"
  R"j({"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute",)j"
  R"j("tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,)j"
  R"j("preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Pending","qosClass":"Burstable"}})j";

// A watch MODIFIED event of the same pod once running (spec trimmed).
inline constexpr const char* watch_modified =
  R"j({"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1",)j"
  R"j("namespace":"default","uid":"a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0","resourceVersion":"261",)j"
  R"j("creationTimestamp":"2026-11-22T02:57:38Z","labels":{"app":"web"}},"spec":{"containers":)j"
  R"j([{"name":"sidecar","image":"localhost/busybox:ci","command":["sleep","3600"],"resources":{}}],)j"
  R"j("restartPolicy":"Always","nodeName":"edge-1"},"status":{"phase":"Running","conditions":)j"
  R"j([{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,)j"
  R"j("lastTransitionTime":"2026-11-22T02:57:42Z"},{"type":"Ready","status":"True",)j"
  R"j("lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:44Z"}],"hostIP":"10.88.0.1",)j"
  R"j("hostIPs":[{"ip":"10.88.0.1"}],"podIP":"10.88.0.17","podIPs":[{"ip":"10.88.0.17"}],)j"
  R"j("startTime":"2026-11-22T02:57:38Z","containerStatuses":[{"name":"app","state":{"running":)j"
  R"j({"startedAt":"2026-11-22T02:57:42Z"}},"lastState":{},"ready":true,"restartCount":0,)j"
  R"j("image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a",)j"
  R"j("containerID":"containerd://3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef",)j"
  R"j("started":true}],"qosClass":"Burstable"}}})j";

// POST /api/v1/nodes request body as the kubelet sends it.
inline constexpr const char* node_create =
  R"j({"kind":"Node","apiVersion":"v1","metadata":{"name":"edge-1","labels":)j"
  R"j({"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64",)j"
  R"j("kubernetes.io/hostname":"edge-1","kubernetes.io/os":"linux"},"annotations":)j"
  R"j({"volumes.kubernetes.io/controller-managed-attach-detach":"true"}},"spec":{},"status":)j"
  R"j({"capacity":{"cpu":"2","ephemeral-storage":"40901312Ki","hugepages-1Gi":"0",)j"
  R"j("hugepages-2Mi":"0","memory":"24568028Ki","pods":"110"},"allocatable":{"cpu":"2",)j"
  R"j("ephemeral-storage":"37694649077","hugepages-1Gi":"0","hugepages-2Mi":"0",)j"
  R"j("memory":"24465628Ki","pods":"110"},"conditions":[{"type":"MemoryPressure",)j"
  R"j("status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":)j"
  R"j("2026-11-22T02:56:08Z","reason":"KubeletHasSufficientMemory","message":)j"
  R"j("kubelet has sufficient memory available"},{"type":"DiskPressure","status":"False",)j"
  R"j("lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z",)j"
  R"j("reason":"KubeletHasNoDiskPressure","message":"kubelet has no disk pressure"},)j"
  R"j({"type":"PIDPressure","status":"False","lastHeartbeatTime":"2026-11-22T02:56:08Z",)j"
  R"j("lastTransitionTime":"2026-11-22T02:56:08Z","reason":"KubeletHasSufficientPID",)j"
  R"j("message":"kubelet has sufficient PID available"},{"type":"Ready","status":"False",)j"
  R"j("lastHeartbeatTime":"2026-11-22T02:56:08Z","lastTransitionTime":"2026-11-22T02:56:08Z",)j"
  R"j("reason":"KubeletNotReady","message":"container runtime status check may not have completed yet"}],)j"
  R"j("addresses":[{"type":"InternalIP","address":"10.88.0.1"},{"type":"Hostname","address":"edge-1"}],)j"
  R"j("daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"machineID":)j"
  R"j("5f0c3e6f2b8e4c39a1b2c3d4e5f60718","systemUUID":"8a1b2c3d-4e5f-6789-abcd-ef0123456789",)j"
  R"j("bootID":"0d5e2a1c-7b3f-4f0e-9a8d-1c2b3a4d5e6f","kernelVersion":"6.1.0-27-amd64",)j"
  R"j("osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.6.20",)j"
  R"j("kubeletVersion":"v1.32.13","kubeProxyVersion":"v1.32.13","operatingSystem":"linux",)j"
  R"j("architecture":"amd64"},"images":[{"names":["localhost/busybox:ci"],"sizeBytes":1187840},)j"
  R"j({"names":["localhost/pause:ci"],"sizeBytes":1187840}]}})j";

// Lease create request body (renewTime is a MicroTime).
inline constexpr const char* lease_create =
  R"j({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"edge-1",)j"
  R"j("namespace":"kube-node-lease","ownerReferences":[{"apiVersion":"v1","kind":"Node",)j"
  R"j("name":"edge-1","uid":"d3aa4733-e593-41e0-991b-52a3c7bc5a00"}]},"spec":)j"
  R"j({"holderIdentity":"edge-1","leaseDurationSeconds":40,"renewTime":"2026-11-22T02:56:08.723759Z"}})j";

// Event create request body as the kubelet's recorder sends it.
inline constexpr const char* event_create =
  R"j({"kind":"Event","apiVersion":"v1","metadata":{"name":"edge-1.187a1b2c3d4e5f60",)j"
  R"j("namespace":"default"},"involvedObject":{"kind":"Node","name":"edge-1","uid":"edge-1",)j"
  R"j("apiVersion":"v1"},"reason":"NodeHasSufficientMemory","message":)j"
  R"j("Node edge-1 status is now: NodeHasSufficientMemory","source":{"component":"kubelet",)j"
  R"j("host":"edge-1"},"firstTimestamp":"2026-11-22T02:58:29Z","lastTimestamp":)j"
  R"j("2026-11-22T02:58:29Z","count":1,"type":"Normal","eventTime":null,)j"
  R"j("reportingComponent":"kubelet","reportingInstance":"edge-1"})j";

// Merge patch of a pod's status (phase Pending, containers being created).
inline constexpr const char* pod_status_patch =
  R"j({"status":{"phase":"Pending","startTime":"2026-11-22T02:57:38Z","hostIP":"10.88.0.1",)j"
  R"j("hostIPs":[{"ip":"10.88.0.1"}],"conditions":[{"type":"PodReadyToStartContainers",)j"
  R"j("status":"False","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:41Z"},)j"
  R"j({"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":)j"
  R"j("2026-11-22T02:57:38Z"},{"type":"Ready","status":"False","lastProbeTime":null,)j"
  R"j("lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady","message":)j"
  R"j("containers with unready status: [app sidecar]"},{"type":"ContainersReady","status":"False",)j"
  R"j("lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z","reason":"ContainersNotReady",)j"
  R"j("message":"containers with unready status: [app sidecar]"},{"type":"PodScheduled",)j"
  R"j("status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-22T02:57:38Z"}],)j"
  R"j("containerStatuses":[{"name":"app","state":{"waiting":{"reason":"ContainerCreating"}},)j"
  R"j("lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"",)j"
  R"j("started":false},{"name":"sidecar","state":{"waiting":{"reason":"ContainerCreating"}},)j"
  R"j("lastState":{},"ready":false,"restartCount":0,"image":"localhost/busybox:ci","imageID":"",)j"
  R"j("started":false}],"qosClass":"Burstable"}})j";

// 422 for a pod status patch with a wrong metadata.uid.
inline constexpr const char* status_422 =
  R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)j"
  R"j("Pod \"web-1\" is invalid: metadata.uid: Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable",)j"
  R"j("reason":"Invalid","details":{"name":"web-1","kind":"Pod","causes":[{"reason":)j"
  R"j("FieldValueInvalid","message":"Invalid value: \"00000000-0000-0000-0000-000000000000\": field is immutable",)j"
  R"j("field":"metadata.uid"}]},"code":422})j";

// Watch from a too-old resourceVersion.
inline constexpr const char* watch_410 =
  R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)j"
  R"j("status":"Failure","message":"too old resource version: 1 (215)","reason":"Expired","code":410}})j";

} // namespace samples
