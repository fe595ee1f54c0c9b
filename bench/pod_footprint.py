#!/usr/bin/python3
"""cafelet's footprint with 0, 20 and 100 running pods on the real runtime.

Runs inside a private containerd lab:

    scripts/with-containerd-lab.sh bench /usr/bin/python3 bench/pod_footprint.py [build-dir]

Starts the project's test API server and cafelet (node edge-1) against the
lab's containerd, then for each level creates TERM-trapping busybox pods up
to that count through the API server (kubectl), waits until all are Running
and Ready, lets cafelet settle, and measures over a window: cafelet's RSS
(VmRSS, RssAnon, RssFile from /proc/<pid>/status), its CPU (utime+stime from
/proc/<pid>/stat over the window, in % of one core) and the lease renewal
lateness histogram from /metrics. Prints one JSON object.

Environment: CAFELET_BENCH_LEVELS (default "0,20,100"), CAFELET_BENCH_WINDOW
(seconds, default 30), CAFELET_BENCH_SETTLE (seconds, default 10),
CAFELET_BENCH_PROBES=1: every pod runs busybox httpd with three probes at
periodSeconds 1 (startup exec, liveness tcpSocket, readiness httpGet); after
the startup probe passed, two probes per pod keep running (as upstream,
startup probes stop once they passed).
CAFELET_BENCH_VOLUMES=1: before the pods, ConfigMap shared-config (2 keys)
and Secret shared-secret are created in namespace default; every pod mounts
both as volumes and takes one env var from each (configMapKeyRef,
secretKeyRef). The test API server then writes a request log
(--request-log), and the node identity's requests during each level's pod
phase (from its first pod creation until all pods are Running and Ready plus
the settle time) are counted by verb and resource (configmaps and secrets
also by object), in the level's entry and summed over all levels in
"api_requests" (with "per_pod", the sums divided by the pods created).
CAFELET_BENCH_KEEP_REQUEST_LOG=FILE keeps a copy of the request log.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
LEVELS = [int(x) for x in os.environ.get("CAFELET_BENCH_LEVELS", "0,20,100").split(",")]
WINDOW = float(os.environ.get("CAFELET_BENCH_WINDOW", "30"))
SETTLE = float(os.environ.get("CAFELET_BENCH_SETTLE", "10"))
NODE = "edge-1"
PROBES = os.environ.get("CAFELET_BENCH_PROBES", "0") == "1"
VOLUMES = os.environ.get("CAFELET_BENCH_VOLUMES", "0") == "1"
NODE_USER = f"system:node:{NODE}"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(*xs):
    print("[pod_footprint]", *xs, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, limit, what):
    until = time.monotonic() + limit
    while time.monotonic() < until:
        if pred():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out after {limit} s waiting for {what}")


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Threads"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def lateness(text):
    """Count, sum and the bucket bounds of the lease lateness histogram."""
    out = {"buckets": {}}
    for line in text.splitlines():
        if not line.startswith("cafelet_node_lease_renewal_lateness_seconds"):
            continue
        name, value = line.rsplit(" ", 1)
        if name.endswith("_count"):
            out["count"] = float(value)
        elif name.endswith("_sum"):
            out["sum_s"] = float(value)
        elif "le=" in name:
            out["buckets"][name.split('le="')[1].split('"')[0]] = float(value)
    return out


def pod_manifest(name):
    pod = probed_pod_manifest(name) if PROBES else plain_pod_manifest(name)
    if VOLUMES:
        add_shared_volumes(pod)
    return pod


def plain_pod_manifest(name):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"bench": "footprint"}},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 5,
            "containers": [{
                "name": "app", "image": "localhost/busybox:ci",
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/sh", "-c",
                            "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
            }],
        },
    }


def probed_pod_manifest(name):
    probe = {"periodSeconds": 1, "timeoutSeconds": 1}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"bench": "footprint"}},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 5,
            "containers": [{
                "name": "web", "image": "localhost/busybox:ci",
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/sh", "-c",
                            "mkdir -p /www && echo ok > /www/index.html && "
                            "exec httpd -f -p 8080 -h /www"],
                "ports": [{"name": "http", "containerPort": 8080}],
                "startupProbe": dict(probe, exec={"command": ["cat", "/www/index.html"]},
                                     failureThreshold=30),
                "livenessProbe": dict(probe, tcpSocket={"port": "http"}),
                "readinessProbe": dict(probe, httpGet={"path": "/index.html", "port": "http"}),
            }],
        },
    }


SHARED_OBJECTS = [
    {"apiVersion": "v1", "kind": "ConfigMap",
     "metadata": {"name": "shared-config", "namespace": "default"},
     "data": {"greeting": "hello", "mode": "bench"}},
    {"apiVersion": "v1", "kind": "Secret",
     "metadata": {"name": "shared-secret", "namespace": "default"},
     "type": "Opaque", "data": {"password": "czNjcjN0"}},  # "s3cr3t"
]


def add_shared_volumes(pod):
    """Mounts shared-config and shared-secret and takes one env var from each."""
    spec = pod["spec"]
    spec["volumes"] = [{"name": "config", "configMap": {"name": "shared-config"}},
                       {"name": "secret", "secret": {"secretName": "shared-secret"}}]
    container = spec["containers"][0]
    container["volumeMounts"] = [{"name": "config", "mountPath": "/etc/shared-config",
                                  "readOnly": True},
                                 {"name": "secret", "mountPath": "/etc/shared-secret",
                                  "readOnly": True}]
    container["env"] = [
        {"name": "GREETING",
         "valueFrom": {"configMapKeyRef": {"name": "shared-config", "key": "greeting"}}},
        {"name": "PASSWORD",
         "valueFrom": {"secretKeyRef": {"name": "shared-secret", "key": "password"}}}]


def read_request_log(path):
    """The request log's lines as (ms, user, verb, target, status)."""
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 5:
                out.append((int(parts[0]), parts[1], parts[2], parts[3], int(parts[4])))
    return out


def classify_target(target):
    """(resource[/subresource], namespace, name) of a request target."""
    split = urllib.parse.urlsplit(target)
    segs = [s for s in split.path.split("/") if s]
    if not segs or segs[0] not in ("api", "apis"):
        return split.path, "", ""
    group = ""
    rest = segs[2:]
    if segs[0] == "apis":
        group = segs[1] if len(segs) > 1 else ""
        rest = segs[3:]
    if rest and rest[0] == "watch":
        rest = rest[1:]
    ns = ""
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        ns, rest = rest[1], rest[2:]
    if not rest:
        return split.path, ns, ""
    resource = rest[0] + (f".{group}" if group else "")
    if len(rest) >= 3:
        resource += "/" + rest[2]
    name = rest[1] if len(rest) >= 2 else ""
    if not name:
        query = urllib.parse.parse_qs(split.query)
        for sel in query.get("fieldSelector", []):
            for term in sel.split(","):
                key, _, value = term.partition("=")
                if key == "metadata.name":
                    name = value.lstrip("=")
    return resource, ns, name


def count_requests(lines, windows):
    """The node's requests inside any of `windows` ((from_ms, to_ms) pairs)."""
    by_verb, by_object, by_status = {}, {}, {}
    total = 0
    for ms, user, verb, target, status in lines:
        if user != NODE_USER or not any(lo <= ms <= hi for lo, hi in windows):
            continue
        total += 1
        resource, ns, name = classify_target(target)
        by_verb.setdefault(verb, {})
        by_verb[verb][resource] = by_verb[verb].get(resource, 0) + 1
        by_status[str(status)] = by_status.get(str(status), 0) + 1
        if resource in ("configmaps", "secrets"):
            key = f"{resource}/{ns}/{name or '*'}"
            by_object.setdefault(key, {})
            by_object[key][verb] = by_object[key].get(verb, 0) + 1
    return {"total": total, "by_verb": by_verb, "by_object": by_object,
            "by_status": by_status}


def per_pod(counts, pods):
    if not pods:
        return None
    return {"total": round(counts["total"] / pods, 2),
            "by_verb": {verb: {res: round(n / pods, 2) for res, n in per_res.items()}
                        for verb, per_res in counts["by_verb"].items()}}


def probe_attempts(text):
    total = 0.0
    for line in text.splitlines():
        if line.startswith("prober_probe_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Kubectl:
    def __init__(self, kubeconfig):
        self.base = ["kubectl", "--kubeconfig", kubeconfig]

    def run(self, *args, stdin=None):
        r = subprocess.run(self.base + list(args), input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"kubectl {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def pods(self):
        return json.loads(self.run("get", "pods", "-n", "default", "-l", "bench=footprint",
                                   "-o", "json"))["items"]


def running_ready(pod):
    status = pod.get("status", {})
    ready = [c for c in status.get("conditions", []) if c.get("type") == "Ready"]
    return status.get("phase") == "Running" and ready and ready[0].get("status") == "True"


def main():
    endpoint = os.environ.get("CAFELET_CRI_ENDPOINT")
    if not endpoint:
        raise SystemExit("CAFELET_CRI_ENDPOINT is not set: run inside scripts/with-containerd-lab.sh")
    prefix = os.environ.get("CAFELET_CGROUP_PREFIX", "kubepods").strip("/")
    work = tempfile.mkdtemp(prefix="cafelet-footprint.")
    procs = []
    try:
        api_port = free_port()
        api_log = open(os.path.join(work, "apiserver.log"), "w")
        request_log = os.path.join(work, "requests.log")
        api_args = [os.path.join(BUILD, "tests/apiserver/cafelet-test-apiserver"),
                    "--port", str(api_port), "--cert-dir", os.path.join(work, "api"),
                    "--nodes", NODE]
        if VOLUMES:
            api_args += ["--request-log", request_log]
        api = subprocess.Popen(api_args, stdout=api_log, stderr=subprocess.STDOUT)
        procs.append(api)
        wait_for(lambda: "listening" in open(api_log.name).read(), 20, "the test API server")
        kubectl = Kubectl(os.path.join(work, "api", "admin.kubeconfig"))

        config = os.path.join(work, "kubelet.yaml")
        with open(config, "w") as f:
            f.write("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                    f"cgroupRoot: /{prefix}\n")
        port = free_port()
        node_log = open(os.path.join(work, "cafelet.log"), "w")
        node = subprocess.Popen([os.path.join(BUILD, "actors/cafelet"),
                                 "--kubeconfig", os.path.join(work, "api", f"{NODE}.kubeconfig"),
                                 f"--hostname-override={NODE}", "--root-dir", os.path.join(work, "root"),
                                 "--healthz-port", str(port), "--config", config,
                                 f"--container-runtime-endpoint={endpoint}", "-v", "1"],
                                stdout=node_log, stderr=subprocess.STDOUT)
        procs.append(node)

        def node_ready():
            out = kubectl.run("get", "node", NODE, "-o", "json") if node.poll() is None else ""
            if not out:
                return False
            conds = json.loads(out)["status"].get("conditions", [])
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)

        def node_registered():
            if node.poll() is not None:
                raise SystemExit(f"cafelet exited with {node.returncode}")
            return subprocess.run(kubectl.base + ["get", "node", NODE],
                                  capture_output=True).returncode == 0

        wait_for(node_registered, 30, "the Node")
        wait_for(node_ready, 30, "the Node to turn Ready")

        result = {"benchmark": "pod_footprint", "probes": PROBES, "window_s": WINDOW,
                  "settle_s": SETTLE,
                  "levels": []}
        if VOLUMES:
            result["volumes"] = True
            kubectl.run("create", "--validate=false", "-f", "-",
                        stdin=json.dumps({"apiVersion": "v1", "kind": "List",
                                          "items": SHARED_OBJECTS}))
        created = 0
        pod_phases = []  # (from_ms, to_ms) of each level's pod phase
        for level in LEVELS:
            t0 = time.monotonic()
            phase_from = int(time.time() * 1000)
            new_pods = max(0, level - created)
            if level > created:
                items = [pod_manifest(f"fp-{i}") for i in range(created, level)]
                kubectl.run("create", "--validate=false", "-f", "-",
                            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
                created = level
            wait_for(lambda: sum(1 for p in kubectl.pods() if running_ready(p)) == level,
                     60 + 3 * level, f"{level} pods Running and Ready")
            to_running = time.monotonic() - t0
            time.sleep(SETTLE)
            phase = (phase_from, int(time.time() * 1000))
            before_cpu, before_t = cpu_seconds(node.pid), time.monotonic()
            before_text = metrics(port)
            before_late = lateness(before_text)
            time.sleep(WINDOW)
            elapsed = time.monotonic() - before_t
            cpu = (cpu_seconds(node.pid) - before_cpu) / elapsed
            after_text = metrics(port)
            after_late = lateness(after_text)
            probes_per_s = (probe_attempts(after_text) - probe_attempts(before_text)) / elapsed
            st = proc_status(node.pid)
            renewals = after_late.get("count", 0) - before_late.get("count", 0)
            # The smallest histogram bound holding every renewal of the window.
            bound = None
            for le, total in after_late["buckets"].items():
                if total - before_late["buckets"].get(le, 0) >= renewals and renewals > 0:
                    if bound is None or float(le) < float(bound):
                        bound = le
            entry = {"pods": level, "probes": PROBES,
                     "probe_attempts_per_s": round(probes_per_s, 1),
                     "all_running_after_s": round(to_running, 2),
                     "rss_kib": st.get("VmRSS"), "rss_anon_kib": st.get("RssAnon"),
                     "rss_file_kib": st.get("RssFile"), "threads": st.get("Threads"),
                     "cpu_percent_of_core": round(100 * cpu, 3),
                     "lease_renewals_in_window": renewals,
                     "lease_lateness_mean_ms_in_window":
                         round(1000 * (after_late.get("sum_s", 0) - before_late.get("sum_s", 0))
                               / renewals, 3) if renewals else None,
                     "lease_lateness_max_bucket_le_s": bound}
            if VOLUMES:
                entry["api_requests"] = count_requests(read_request_log(request_log), [phase])
                entry["api_requests"]["phase_s"] = round((phase[1] - phase[0]) / 1000, 1)
                entry["api_requests"]["new_pods"] = new_pods
                if new_pods:
                    pod_phases.append(phase)
            log(json.dumps(entry))
            result["levels"].append(entry)
        base = result["levels"][0] if result["levels"] and result["levels"][0]["pods"] == 0 else None
        if base:
            for entry in result["levels"][1:]:
                entry["rss_kib_per_pod_over_idle"] = round(
                    (entry["rss_kib"] - base["rss_kib"]) / entry["pods"], 1)
                entry["rss_anon_kib_per_pod_over_idle"] = round(
                    (entry["rss_anon_kib"] - base["rss_anon_kib"]) / entry["pods"], 1)
        if VOLUMES:
            total = count_requests(read_request_log(request_log), pod_phases)
            total["pods"] = created
            total["per_pod"] = per_pod(total, created)
            result["api_requests"] = total
        print(json.dumps(result, indent=2))

        # Clean up through the API, as an operator would.
        if created:
            kubectl.run("delete", "pods", "-n", "default", "-l", "bench=footprint", "--wait=false")
            wait_for(lambda: not kubectl.pods(), 120, "the pods to be deleted")
    except SystemExit:
        for name in ("apiserver.log", "cafelet.log"):
            path = os.path.join(work, name)
            if os.path.exists(path):
                log(f"--- tail of {name} ---")
                with open(path) as f:
                    for line in f.readlines()[-15:]:
                        log(line.rstrip())
        raise
    finally:
        keep = os.environ.get("CAFELET_BENCH_KEEP_REQUEST_LOG")
        if keep and os.path.exists(os.path.join(work, "requests.log")):
            shutil.copyfile(os.path.join(work, "requests.log"), keep)
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
