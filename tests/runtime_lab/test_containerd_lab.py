#!/usr/bin/env python3
"""containerd_lab: scripts/containerd-lab.sh end to end on this machine.

Starts a lab of its own (directory, cgroup prefix, bridge and subnet distinct from the
defaults, so a developer's lab is left alone), checks the images through ctr, runs a busybox
container through ctr and a pod through CRI (sandbox on the bridge network, an httpd
container reached from the host, ExecSync, CRI log file), restarts containerd under the pod,
stops the lab with the pod and a plain ctr container still running and checks that nothing
is left behind: no processes, mounts, cgroups, bridge, interfaces, shim sockets or CNI
state. A second cycle starts clean, kills containerd with a pod running and checks that stop
still cleans everything up.

CRI calls go over gRPC with curl (HTTP/2 on the unix socket) and hand-encoded protobuf
(field numbers of the public runtime.v1 API), so the test needs no generated code.

Needs root. The first run installs the Debian packages (containerd, runc,
containernetworking-plugins, busybox-static). Ends with a doctest-like summary line that
scripts/run-tests.py counts; exits non-zero on any failure. CAFELET_LAB_TEST_DIR overrides the
lab directory (default /tmp/cafelet-lab-test).
"""
import glob
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.environ.get("CAFELET_SOURCE_ROOT", os.path.join(HERE, "..", "..")),
                      "scripts", "containerd-lab.sh")

LAB_DIR = os.environ.get("CAFELET_LAB_TEST_DIR", "/tmp/cafelet-lab-test")
PREFIX = "cafelet-lab-test"
BRIDGE = "cfl-labtest0"
SUBNET_PREFIX = "10.88.231."
SOCK = LAB_DIR + "/containerd.sock"
LAB_ENV = dict(os.environ,
               CAFELET_CTD_DIR=LAB_DIR,
               CAFELET_CGROUP_PREFIX=PREFIX,
               CAFELET_CNI_BRIDGE=BRIDGE,
               CAFELET_CNI_SUBNET=SUBNET_PREFIX + "0/24")
PAUSE = "localhost/pause:ci"
BUSYBOX = "localhost/busybox:ci"

# ---------------------------------------------------------------------------------------------
# protobuf, by hand


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_int(no, n):
    """Varint field (int, bool, enum); zero is the default and is left out."""
    return _varint(no << 3) + _varint(n) if n else b""


def f_bytes(no, data):
    data = data.encode() if isinstance(data, str) else data
    return _varint(no << 3 | 2) + _varint(len(data)) + data


def f_strs(no, values):
    return b"".join(f_bytes(no, v) for v in values)


def f_map(no, mapping):
    return b"".join(f_bytes(no, f_bytes(1, k) + f_bytes(2, v)) for k, v in mapping.items())


def parse(data):
    """Decodes one message into {field number: [values]} (varints as int, the rest as bytes)."""
    fields, i = {}, 0

    def varint():
        nonlocal i
        shift = value = 0
        while True:
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while i < len(data):
        key = varint()
        no, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 2:
            n = varint()
            value = data[i:i + n]
            i += n
        elif wire == 1:
            value = data[i:i + 8]
            i += 8
        elif wire == 5:
            value = data[i:i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.setdefault(no, []).append(value)
    return fields


def first(fields, no, default=None):
    values = fields.get(no)
    return values[0] if values else default


def text(fields, no):
    return first(fields, no, b"").decode(errors="replace")


# ---------------------------------------------------------------------------------------------
# gRPC over curl


class CriError(Exception):
    pass


def cri(method, body=b"", timeout=30):
    """Calls runtime.v1.<method> (e.g. "RuntimeService/Version"); returns the parsed reply."""
    frame = b"\0" + struct.pack(">I", len(body)) + body
    with tempfile.NamedTemporaryFile() as headers:
        r = subprocess.run(
            ["curl", "-sS", "--noproxy", "*", "--http2-prior-knowledge", "--unix-socket", SOCK,
             "--max-time", str(timeout), "-H", "content-type: application/grpc",
             "-H", "te: trailers", "--data-binary", "@-", "-D", headers.name, "-o", "-",
             "http://localhost/runtime.v1." + method],
            input=frame, capture_output=True, check=False)
        head = open(headers.name, "rb").read().decode(errors="replace")
    if r.returncode != 0:
        raise CriError(f"{method}: curl exit {r.returncode}: {r.stderr.decode().strip()}")
    status = re.search(r"^grpc-status:\s*(\d+)", head, re.M | re.I)
    message = re.search(r"^grpc-message:\s*(.*?)\s*$", head, re.M | re.I)
    if not status or status.group(1) != "0":
        raise CriError(f"{method}: grpc-status {status.group(1) if status else '?'} "
                       f"{urllib.parse.unquote(message.group(1)) if message else ''}")
    out = r.stdout
    if len(out) < 5:
        return {}
    (n,) = struct.unpack(">I", out[1:5])
    return parse(out[5:5 + n])


# ---------------------------------------------------------------------------------------------
# helpers


def lab(*args, check=True, timeout=900):
    t0 = time.monotonic()
    r = subprocess.run([SCRIPT, *args], env=LAB_ENV, capture_output=True, text=True,
                       timeout=timeout, check=False)
    elapsed = time.monotonic() - t0
    sys.stdout.write(r.stderr)
    if check and r.returncode != 0:
        raise AssertionError(f"containerd-lab.sh {' '.join(args)} exited {r.returncode}")
    return r, elapsed


def lab_env():
    r, _ = lab("env")
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def ctr(*args, timeout=60):
    return subprocess.run(["ctr", "--connect-timeout", "5s", "--address", SOCK,
                           "--namespace", "k8s.io", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def http_get(url, timeout=2.0):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as reply:
        return reply.read().decode(errors="replace")


def eventually(what, probe, seconds=10.0):
    """Polls probe() until it returns a true value; fails with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - a probe may fail until the state is reached
            last = e
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached within {seconds} s (last error: {last})")


def cgroup_roots():
    roots = []
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] in ("cgroup", "cgroup2"):
                roots.append(parts[1])
    return roots


def mount_points():
    with open("/proc/self/mounts") as f:
        return [line.split()[1] for line in f]


def listdir(path):
    try:
        return set(os.listdir(path))
    except OSError:
        return set()


def host_snapshot():
    return {
        "links": listdir("/sys/class/net"),
        "netns": listdir("/run/netns"),
        "shim_sockets": listdir("/run/containerd/s"),
        "cni_results": listdir("/var/lib/cni/results"),
        "run_containerd": {os.path.join(d, f) for d, subdirs, files in os.walk("/run/containerd")
                           for f in subdirs + files},
        "nsfs": {m for m in mount_points() if m.startswith("/run/")},
    }


def process_leaks(container_ids):
    """Processes that belong to the lab: its path in their command line, or its cgroups."""
    leaks = []
    for entry in glob.glob("/proc/[0-9]*"):
        try:
            cmd = open(entry + "/cmdline", "rb").read().replace(b"\0", b" ").decode(
                errors="replace")
            cgroups = open(entry + "/cgroup").read()
        except OSError:
            continue
        if LAB_DIR + "/" in cmd or f"/{PREFIX}/" in cgroups or \
                any(f"/{cid}\n" in cgroups or f"/{cid}/" in cgroups for cid in container_ids):
            leaks.append(f"{entry[6:]}: {cmd.strip()}")
    return leaks


def leftovers(before, container_ids, settle=3.0):
    """Everything the lab left behind, as readable lines (empty when clean). Polls for up to
    `settle` seconds: PID 1 of these machines reaps orphaned zombies only after a while."""
    deadline = time.monotonic() + settle
    while True:
        found = _leftovers(before, container_ids)
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def _leftovers(before, container_ids):
    found = [f"process {p}" for p in process_leaks(container_ids)]
    found += [f"mount {m}" for m in mount_points() if m.startswith(LAB_DIR + "/")]
    after = host_snapshot()
    found += [f"mount {m}" for m in after["nsfs"] - before["nsfs"]]
    for root in cgroup_roots():
        if os.path.exists(os.path.join(root, PREFIX)):
            found.append(f"cgroup {root}/{PREFIX}")
        for cid in container_ids:
            for path in glob.glob(f"{root}/*/{cid}"):
                found.append(f"cgroup {path}")
    found += [f"interface {link}" for link in after["links"] - before["links"]]
    if os.path.exists(f"/sys/class/net/{BRIDGE}"):
        found.append(f"bridge {BRIDGE}")
    found += [f"netns /run/netns/{n}" for n in after["netns"] - before["netns"]]
    found += [f"shim socket {s}" for s in after["shim_sockets"] - before["shim_sockets"]]
    found += [f"CNI cache {c}" for c in after["cni_results"] - before["cni_results"]]
    found += [f"runtime state {p}" for p in after["run_containerd"] - before["run_containerd"]]
    for path in ("cni/ipam", "root", "state", "runc", "pods"):
        if os.path.exists(os.path.join(LAB_DIR, path)):
            found.append(f"state {LAB_DIR}/{path}")
    return found


# ---------------------------------------------------------------------------------------------
# the pod


class Pod:
    def __init__(self):
        self.uid = str(uuid.uuid4())
        self.name = "lab-smoke"
        self.log_dir = f"{LAB_DIR}/pods/default_{self.name}_{self.uid}"
        self.cgroup_parent = f"/{PREFIX}/pod{self.uid}"
        self.sandbox_id = ""
        self.container_id = ""
        self.ip = ""

    def sandbox_config(self):
        metadata = f_bytes(1, self.name) + f_bytes(2, self.uid) + f_bytes(3, "default")
        namespaces = f_int(2, 1)  # network POD, pid CONTAINER
        linux = f_bytes(1, self.cgroup_parent) + f_bytes(2, f_bytes(1, namespaces))
        labels = {"io.kubernetes.pod.name": self.name, "io.kubernetes.pod.namespace": "default",
                  "io.kubernetes.pod.uid": self.uid}
        return (f_bytes(1, metadata) + f_bytes(2, self.name) + f_bytes(3, self.log_dir)
                + f_map(6, labels) + f_bytes(8, linux))

    def run(self):
        os.makedirs(self.log_dir + "/web", exist_ok=True)
        reply = cri("RuntimeService/RunPodSandbox", f_bytes(1, self.sandbox_config()))
        self.sandbox_id = text(reply, 1)
        status = parse(first(cri("RuntimeService/PodSandboxStatus",
                                 f_bytes(1, self.sandbox_id)), 1, b""))
        assert first(status, 3, 0) == 0, "sandbox is not READY"
        self.ip = text(parse(first(status, 5, b"")), 1)
        assert self.ip.startswith(SUBNET_PREFIX), f"pod IP {self.ip!r} not in the lab subnet"
        script = ("echo started; echo hello from the pod > /tmp/index.html; "
                  "exec httpd -f -p 8080 -h /tmp")
        resources = f_int(4, 64 << 20)  # memory limit
        config = (f_bytes(1, f_bytes(1, "web")) + f_bytes(2, f_bytes(1, BUSYBOX))
                  + f_strs(3, ["/bin/sh", "-c", script]) + f_bytes(11, "web/0.log")
                  + f_bytes(15, f_bytes(1, resources)))
        reply = cri("RuntimeService/CreateContainer",
                    f_bytes(1, self.sandbox_id) + f_bytes(2, config)
                    + f_bytes(3, self.sandbox_config()))
        self.container_id = text(reply, 1)
        cri("RuntimeService/StartContainer", f_bytes(1, self.container_id))

    def container_state(self):
        status = parse(first(cri("RuntimeService/ContainerStatus",
                                 f_bytes(1, self.container_id)), 1, b""))
        return first(status, 3, 0)

    def page(self):
        return http_get(f"http://{self.ip}:8080/index.html")


# ---------------------------------------------------------------------------------------------
# the cases


def need_root():
    raise AssertionError("the containerd lab needs root")


class Suite:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.timings = []
        self.before = host_snapshot()
        self.pod = Pod()
        self.container_ids = set()
        self.snapshotter = "overlayfs"
        self.blocked = ""

    def case(self, name, body, required=False):
        """Runs one case. After a required case failed, the rest fail without running."""
        t0 = time.monotonic()
        if self.blocked:
            self.failed += 1
            print(f"[case] {name}: FAILED (not run: {self.blocked})", flush=True)
            return
        try:
            body()
        except Exception as e:  # noqa: BLE001 - every failure is reported and counted
            self.failed += 1
            print(f"[case] {name}: FAILED ({time.monotonic() - t0:.2f} s): {e}", flush=True)
            if required:
                self.blocked = f"'{name}' failed"
            if not isinstance(e, (AssertionError, CriError)):
                traceback.print_exc(file=sys.stdout)
        else:
            self.passed += 1
            print(f"[case] {name}: ok ({time.monotonic() - t0:.2f} s)", flush=True)

    def timing(self, what, seconds):
        self.timings.append((what, seconds))
        print(f"[timing] {what}: {seconds:.2f} s", flush=True)

    # -- cycle 1

    def start(self):
        r, elapsed = lab("start")
        self.timing("start (with install if needed)", elapsed)
        assert r.stdout.strip().splitlines()[-1] == f"unix://{SOCK}", \
            f"start printed {r.stdout!r}"
        env = lab_env()
        assert env.get("CAFELET_CRI_ENDPOINT") == f"unix://{SOCK}", env
        assert env.get("CAFELET_CTD_PID"), "env shows no daemon pid"
        self.snapshotter = env.get("CAFELET_CTD_SNAPSHOTTER") or "overlayfs"
        status, _ = lab("status")
        assert status.stdout.startswith("running"), status.stdout

    def start_again_is_noop(self):
        pid = lab_env()["CAFELET_CTD_PID"]
        r, elapsed = lab("start")
        self.timing("start when running", elapsed)
        assert r.stdout.strip() == f"unix://{SOCK}", r.stdout
        assert lab_env()["CAFELET_CTD_PID"] == pid, "containerd was restarted"
        assert elapsed < 5, f"a no-op start took {elapsed:.1f} s"

    def images_in_ctr(self):
        r = ctr("images", "ls", "-q")
        assert r.returncode == 0, r.stderr
        names = set(r.stdout.split())
        assert {PAUSE, BUSYBOX} <= names, f"ctr images: {sorted(names)}"

    def ctr_run(self):
        r = ctr("run", "--rm", "--snapshotter", self.snapshotter, "--cgroup", f"/{PREFIX}/t1",
                BUSYBOX, "t1", "/bin/sh", "-c", "echo ok")
        self.container_ids.add("t1")
        assert r.returncode == 0, f"ctr run exited {r.returncode}: {r.stderr}"
        assert r.stdout.strip() == "ok", f"ctr run printed {r.stdout!r}"
        # A plain ctr container (no CRI labels) left running for stop to remove.
        r = ctr("run", "-d", "--snapshotter", self.snapshotter, "--cgroup", f"/{PREFIX}/t2",
                BUSYBOX, "t2", "sleep", "3600")
        self.container_ids.add("t2")
        assert r.returncode == 0, f"ctr run -d exited {r.returncode}: {r.stderr}"
        tasks = ctr("tasks", "ls").stdout
        assert re.search(r"^t2\s+\d+\s+RUNNING", tasks, re.M), tasks

    def cri_version_and_status(self):
        version = cri("RuntimeService/Version", f_bytes(1, "v1"))
        assert text(version, 2) == "containerd", version
        assert text(version, 4) == "v1", version

        def ready():
            conditions = parse(first(cri("RuntimeService/Status"), 1, b"")).get(1, [])
            states = {text(parse(c), 1): bool(first(parse(c), 2, 0)) for c in conditions}
            return states.get("RuntimeReady") and states.get("NetworkReady")
        eventually("RuntimeReady and NetworkReady", ready)

    def cri_images(self):
        for name in (PAUSE, BUSYBOX):
            image = parse(first(cri("ImageService/ImageStatus", f_bytes(1, f_bytes(1, name))),
                                1, b""))
            tags = [t.decode() for t in image.get(2, [])]
            assert name in tags, f"ImageStatus {name}: tags {tags}"
        missing = cri("ImageService/ImageStatus", f_bytes(1, f_bytes(1, "localhost/absent:ci")))
        assert not missing.get(1), "ImageStatus of a missing image is not empty"
        listed = cri("ImageService/ListImages")
        tags = {t.decode() for i in listed.get(1, []) for t in parse(i).get(2, [])}
        assert {PAUSE, BUSYBOX} <= tags, f"ListImages: {sorted(tags)}"

    def cri_pod_runs(self):
        pod = self.pod
        pod.run()
        self.container_ids |= {pod.sandbox_id, pod.container_id}
        assert pod.container_state() == 1, "container is not RUNNING"
        page = eventually("the pod's httpd", pod.page, seconds=5)
        assert page.strip() == "hello from the pod", page
        reply = cri("RuntimeService/ExecSync", f_bytes(1, pod.container_id)
                    + f_strs(2, ["/bin/sh", "-c", "echo exec-ok; exit 4"]) + f_int(3, 10))
        assert first(reply, 1, b"").decode().strip() == "exec-ok", reply
        assert first(reply, 3, 0) == 4, f"exit code {first(reply, 3, 0)}"
        log = open(f"{pod.log_dir}/web/0.log").read()
        assert re.search(r"^\S+ stdout F started$", log, re.M), f"log: {log!r}"
        for root in cgroup_roots():
            if root.endswith("/memory"):
                limit = open(f"{root}{pod.cgroup_parent}/{pod.container_id}"
                             "/memory.limit_in_bytes").read()
                assert int(limit) == 64 << 20, f"memory limit {limit}"

    def restart_keeps_pod(self):
        pid = lab_env()["CAFELET_CTD_PID"]
        _, elapsed = lab("restart")
        self.timing("restart", elapsed)
        assert lab_env()["CAFELET_CTD_PID"] != pid, "the daemon pid did not change"
        assert self.pod.container_state() == 1, "container is not RUNNING after the restart"
        assert self.pod.page().strip() == "hello from the pod"

    def stop_with_running_pod(self):
        _, elapsed = lab("stop")
        self.timing("stop with a running pod", elapsed)
        status, _ = lab("status", check=False)
        assert status.returncode == 3 and status.stdout.startswith("not running"), \
            f"status after stop: {status.returncode} {status.stdout!r}"

    def nothing_left_behind(self):
        found = leftovers(self.before, self.container_ids)
        assert not found, "left behind:\n  " + "\n  ".join(found)

    def stop_again_is_noop(self):
        _, elapsed = lab("stop")
        assert elapsed < 5, f"a no-op stop took {elapsed:.1f} s"
        found = leftovers(self.before, self.container_ids)
        assert not found, "left behind:\n  " + "\n  ".join(found)

    # -- cycle 2

    def second_cycle_starts_clean(self):
        _, elapsed = lab("start")
        self.timing("start (second cycle)", elapsed)
        pods = cri("RuntimeService/ListPodSandbox")
        assert not pods.get(1), f"{len(pods.get(1, []))} sandboxes survived the stop"
        r = ctr("containers", "ls", "-q")
        assert not r.stdout.split(), f"containers survived the stop: {r.stdout}"

    def stop_after_daemon_crash(self):
        pod = Pod()
        pod.run()
        self.container_ids |= {pod.sandbox_id, pod.container_id}
        eventually("the pod's httpd", pod.page, seconds=5)
        os.kill(int(lab_env()["CAFELET_CTD_PID"]), 9)
        eventually("containerd gone", lambda: not lab_env()["CAFELET_CTD_PID"], seconds=5)
        assert pod.page().strip() == "hello from the pod", "the pod died with containerd"
        _, elapsed = lab("stop")
        self.timing("stop after a containerd crash, pod running", elapsed)
        found = leftovers(self.before, self.container_ids)
        assert not found, "left behind:\n  " + "\n  ".join(found)

    def run(self):
        if os.geteuid() != 0:
            self.case("runs as root", need_root)
            return
        try:
            self.case("start installs and starts the lab", self.start, required=True)
            self.case("start again is a no-op", self.start_again_is_noop)
            self.case("ctr sees both images", self.images_in_ctr)
            self.case("ctr run busybox echoes ok", self.ctr_run)
            self.case("CRI Version and Status", self.cri_version_and_status)
            self.case("CRI ImageStatus and ListImages", self.cri_images)
            self.case("CRI pod runs on the bridge", self.cri_pod_runs)
            self.case("containerd restart keeps the pod", self.restart_keeps_pod)
            self.case("stop with a running pod", self.stop_with_running_pod)
            self.case("nothing left behind", self.nothing_left_behind)
            self.case("stop again is a no-op", self.stop_again_is_noop)
            self.case("second cycle starts clean", self.second_cycle_starts_clean,
                      required=True)
            self.case("stop cleans up after a containerd crash", self.stop_after_daemon_crash)
        finally:
            lab("stop", check=False)


def main():
    suite = Suite()
    suite.run()
    total = suite.passed + suite.failed
    print(f"[doctest] test cases: {total} | {suite.passed} passed | {suite.failed} failed"
          " | 0 skipped", flush=True)
    return 0 if suite.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
