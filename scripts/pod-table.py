#!/usr/bin/python3
"""Live table of the pods a cafelet runs, in the manner of `kubectl get pods -w`.

    pod-table.py [--url http://127.0.0.1:10248/pods] [--interval 1] [--once]
    pod-table.py --self-test

Prints a header and one row per pod, then a new row whenever a pod's row
changes (AGE and the "(Ns ago)" of RESTARTS aside) and a "(gone)" row when a
pod disappears. The STATUS-like REASON column follows kubectl's printPod.
Standard library only.
"""

import argparse
import calendar
import http.client
import json
import os
import re
import signal
import sys
import time
import urllib.request

DEFAULT_URL = "http://127.0.0.1:10248/pods"

# (header, width); the last column is not padded.
COLUMNS = [("NAME", 30), ("PHASE", 10), ("READY", 6), ("RESTARTS", 15),
           ("AGE", 8), ("REASON", 0)]

SEEN_ANNOTATION = "kubernetes.io/config.seen"

_TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?"
                      r"([Zz]|[+-]\d\d:?\d\d)?$")


def parse_time(text):
    """RFC 3339 (with up to nanoseconds) to seconds since the epoch, or None."""
    if not isinstance(text, str):
        return None
    m = _TIME_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    if m.group(7):
        secs += float("0" + m.group(7))
    zone = m.group(8)
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        secs -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return secs


def human_duration(seconds):
    """kubectl's AGE format (apimachinery HumanDuration): 5s, 2m10s, 3h, 4d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        return "%dm" % minutes if s % 60 == 0 else "%dm%ds" % (minutes, s % 60)
    if minutes < 180:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        return "%dh" % hours if minutes % 60 == 0 else "%dh%dm" % (hours, minutes % 60)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        return "%dd" % (hours // 24) if hours % 24 == 0 else "%dd%dh" % (hours // 24, hours % 24)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    days = hours // 24
    if hours < 24 * 365 * 8 and days % 365:
        return "%dy%dd" % (days // 365, days % 365)
    return "%dy" % (days // 365)


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _condition_true(status, kind):
    for c in _list(status.get("conditions")):
        if _dict(c).get("type") == kind:
            return _dict(c).get("status") == "True"
    return False


def _terminated_text(term, prefix=""):
    """Reason of a terminated state, else Signal:N / ExitCode:N."""
    if term.get("reason"):
        return prefix + term["reason"]
    if _int(term.get("signal")):
        return "%sSignal:%d" % (prefix, _int(term["signal"]))
    return "%sExitCode:%d" % (prefix, _int(term.get("exitCode")))


def _last_finished(cs):
    """finishedAt of a container status' last termination, or None."""
    last = _dict(_dict(cs.get("lastState")).get("terminated"))
    return parse_time(last.get("finishedAt"))


def pod_summary(pod):
    """The time-independent facts of a pod's row, as kubectl's printPod derives them.

    Returns a dict: name, phase, ready ("r/t"), restarts (int), last_restart
    (epoch seconds or None) and reason.
    """
    meta, spec, status = (_dict(pod.get(k)) for k in ("metadata", "spec", "status"))
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for c in _list(status.get("conditions")):
        c = _dict(c)
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    # Init containers with restartPolicy Always are sidecars: counted as containers.
    init_specs = [_dict(c) for c in _list(spec.get("initContainers"))]
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(_list(spec.get("containers"))) + len(sidecars)
    ready = 0
    restarts, last_restart = 0, None
    sidecar_restarts, sidecar_last = 0, None

    def later(a, b):
        return b if a is None or (b is not None and b > a) else a

    initializing = False
    for i, cs in enumerate(_list(status.get("initContainerStatuses"))):
        cs = _dict(cs)
        state = _dict(cs.get("state"))
        term, wait = _dict(state.get("terminated")), _dict(state.get("waiting"))
        restarts += _int(cs.get("restartCount"))
        last_restart = later(last_restart, _last_finished(cs))
        is_sidecar = cs.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += _int(cs.get("restartCount"))
            sidecar_last = later(sidecar_last, _last_finished(cs))
        if "terminated" in state and _int(term.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if "terminated" in state:
            reason = _terminated_text(term, "Init:")
        elif wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = "Init:%d/%d" % (i, len(init_specs))
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts, last_restart = sidecar_restarts, sidecar_last
        has_running = False
        # Backwards, so that the first container with a waiting or terminated
        # reason wins, as in kubectl.
        for cs in reversed(_list(status.get("containerStatuses"))):
            cs = _dict(cs)
            state = _dict(cs.get("state"))
            restarts += _int(cs.get("restartCount"))
            last_restart = later(last_restart, _last_finished(cs))
            wait, term = _dict(state.get("waiting")), _dict(state.get("terminated"))
            if wait.get("reason"):
                reason = wait["reason"]
            elif "terminated" in state:
                reason = _terminated_text(term)
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    return {
        "name": meta.get("name") or "<unnamed>",
        "phase": phase or "-",
        "ready": "%d/%d" % (ready, total),
        "restarts": restarts,
        "last_restart": last_restart if restarts else None,
        "reason": reason or "-",
    }


def pod_started(pod):
    """When the pod's age counts from: startTime, config.seen, creationTimestamp."""
    meta, status = _dict(pod.get("metadata")), _dict(pod.get("status"))
    for text in (status.get("startTime"),
                 _dict(meta.get("annotations")).get(SEEN_ANNOTATION),
                 meta.get("creationTimestamp")):
        t = parse_time(text)
        if t is not None:
            return t
    return None


def pod_key(pod):
    """Identity of a pod across polls: its uid, else namespace/name."""
    meta = _dict(pod.get("metadata"))
    return meta.get("uid") or "%s/%s" % (meta.get("namespace", ""), meta.get("name", ""))


def format_row(summary, started, now, gone=False):
    """One aligned table line for a pod_summary() at time `now`."""
    restarts = str(summary["restarts"])
    if summary["last_restart"] is not None:
        restarts += " (%s ago)" % human_duration(now - summary["last_restart"])
    age = "<unknown>" if started is None else human_duration(now - started)
    cells = [summary["name"], summary["phase"], summary["ready"], restarts, age,
             "(gone)" if gone else summary["reason"]]
    return _align(cells)


def format_header():
    return _align([name for name, _ in COLUMNS])


def _align(cells):
    parts = []
    for (_, width), cell in zip(COLUMNS, cells):
        parts.append(cell.ljust(width) if width else cell)
    return "  ".join(parts).rstrip()


class PodTable:
    """Remembers the rows printed so far and yields the lines to print next."""

    def __init__(self):
        self.started = False
        self.known = {}  # pod key -> (summary, started)

    def update(self, pod_list, now):
        """Lines to print for a freshly fetched PodList (a dict) at time `now`."""
        pods = [_dict(p) for p in _list(_dict(pod_list).get("items"))]
        pods.sort(key=lambda p: (_dict(p.get("metadata")).get("namespace", ""),
                                 _dict(p.get("metadata")).get("name", "")))
        lines = []
        if not self.started:
            lines.append(format_header())
            self.started = True
        current = {}
        for pod in pods:
            key = pod_key(pod)
            entry = (pod_summary(pod), pod_started(pod))
            current[key] = entry
            if self.known.get(key, (None,))[0] != entry[0]:
                lines.append(format_row(entry[0], entry[1], now))
        for key, (summary, started) in self.known.items():
            if key not in current:
                lines.append(format_row(summary, started, now, gone=True))
        self.known = current
        return lines


def fetch(url, timeout=5.0):
    """GETs the PodList; raises OSError or ValueError on any failure."""
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = json.loads(resp.read().decode("utf-8"))
    if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
        raise ValueError("not a PodList")
    return body


def _emit(lines):
    for line in lines:
        print(line, flush=True)


def run(url, interval, once):
    table = PodTable()
    waiting = False
    while True:
        # URLError, HTTPError and timeouts are OSErrors; bad JSON a ValueError.
        try:
            pods = fetch(url, timeout=max(interval, 2.0))
        except (OSError, ValueError, http.client.HTTPException) as e:
            if once:
                print("no PodList from cafelet at %s: %s" % (url, e), file=sys.stderr)
                return 1
            if not waiting:
                _emit(["waiting for cafelet at %s ..." % url])
                waiting = True
        else:
            waiting = False
            _emit(table.update(pods, time.time()))
            if once:
                return 0
        # The endpoint offers no watch: polling a local endpoint once a second
        # (the default) is cheap and is what this demo tool chooses to do.
        time.sleep(interval)


# --- self-test --------------------------------------------------------------

_NOW = parse_time("2024-05-01T12:00:00Z")


def _cs(name, state, ready=False, restarts=0, last=None, started=None):
    cs = {"name": name, "state": state, "ready": ready, "restartCount": restarts}
    if last:
        cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                          "finishedAt": last}}
    if started is not None:
        cs["started"] = started
    return cs


def _pod(name, phase, statuses, conditions=(), init=None, deleting=False, **extra):
    spec = {"containers": [{"name": s["name"]} for s in statuses] or [{"name": "app"}]}
    status = {"phase": phase, "startTime": "2024-05-01T11:59:00Z",
              "conditions": [{"type": t, "status": s} for t, s in conditions],
              "containerStatuses": statuses}
    if init is not None:
        spec["initContainers"] = [{"name": s["name"]} for s in init]
        status["initContainerStatuses"] = init
    meta = {"name": name, "namespace": "default", "uid": "uid-" + name,
            "annotations": {SEEN_ANNOTATION: "2024-05-01T11:58:59.123456789Z"}}
    if deleting:
        meta["deletionTimestamp"] = "2024-05-01T11:59:58Z"
    status.update(extra)
    return {"metadata": meta, "spec": spec, "status": status}


def self_test():
    running = {"running": {"startedAt": "2024-05-01T11:59:01Z"}}
    cases = [
        # name, pod, expected (phase, ready, restarts cell, reason)
        ("web", _pod("web", "Running", [_cs("httpd", running, ready=True)],
                     [("Ready", "True")]), ("Running", "1/1", "0", "Running")),
        # Running but failing its readiness probe: kubectl still says Running, 0/1.
        ("probing", _pod("probing", "Running", [_cs("httpd", running)],
                         [("Ready", "False")]), ("Running", "0/1", "0", "Running")),
        # kubectl's NotReady: one container done, another running, pod not Ready.
        ("notready", _pod("notready", "Running", [
            _cs("a", {"terminated": {"exitCode": 0, "reason": "Completed"}}),
            _cs("b", running, ready=True)], [("Ready", "False")]),
         ("Running", "1/2", "0", "NotReady")),
        ("crash", _pod("crash", "Running", [_cs(
            "app", {"waiting": {"reason": "CrashLoopBackOff"}}, restarts=3,
            last="2024-05-01T11:59:48Z")], [("Ready", "False")]),
         ("Running", "0/1", "3 (12s ago)", "CrashLoopBackOff")),
        ("job", _pod("job", "Succeeded", [_cs(
            "worker", {"terminated": {"exitCode": 0, "reason": "Completed"}})]),
         ("Succeeded", "0/1", "0", "Completed")),
        ("killed", _pod("killed", "Failed", [_cs(
            "app", {"terminated": {"exitCode": 137, "signal": 9}})]),
         ("Failed", "0/1", "0", "Signal:9")),
        ("exit", _pod("exit", "Failed", [_cs("app", {"terminated": {"exitCode": 3}})]),
         ("Failed", "0/1", "0", "ExitCode:3")),
        ("creating", _pod("creating", "Pending", [_cs(
            "app", {"waiting": {"reason": "ContainerCreating"}})]),
         ("Pending", "0/1", "0", "ContainerCreating")),
        ("init", _pod("init", "Pending", [_cs(
            "app", {"waiting": {"reason": "PodInitializing"}})],
            init=[_cs("setup", running)]),
         ("Pending", "0/1", "0", "Init:0/1")),
        ("initcrash", _pod("initcrash", "Pending", [_cs(
            "app", {"waiting": {"reason": "PodInitializing"}})],
            init=[_cs("setup", {"waiting": {"reason": "CrashLoopBackOff"}},
                      restarts=2, last="2024-05-01T11:57:00Z")]),
         ("Pending", "0/1", "2 (3m ago)", "Init:CrashLoopBackOff")),
        ("deleting", _pod("deleting", "Running", [_cs("httpd", running, ready=True)],
                          [("Ready", "True")], deleting=True),
         ("Running", "1/1", "0", "Terminating")),
        ("evicted", _pod("evicted", "Failed", [], reason="Evicted"),
         ("Failed", "0/1", "0", "Evicted")),
    ]
    failures = 0
    for name, pod, (phase, ready, restarts, reason) in cases:
        line = format_row(pod_summary(pod), pod_started(pod), _NOW)
        cells = re.split(r"\s{2,}", line)
        got = (cells[1], cells[2], cells[3], cells[5])
        if cells[0] != name or got != (phase, ready, restarts, reason) or cells[4] != "60s":
            print("FAIL %s: %r" % (name, line))
            failures += 1

    checks = [
        (human_duration(5), "5s"), (human_duration(119), "119s"),
        (human_duration(130), "2m10s"), (human_duration(600), "10m"),
        (human_duration(3 * 3600), "3h"), (human_duration(3 * 3600 + 60), "3h1m"),
        (human_duration(50 * 3600), "2d2h"), (human_duration(-5), "<invalid>"),
        (parse_time("2024-05-01T12:00:00.5+02:00"), _NOW - 7200 + 0.5),
        (parse_time("nonsense"), None),
    ]
    # Age falls back to config.seen, then creationTimestamp.
    p = _pod("x", "Pending", [])
    del p["status"]["startTime"]
    checks.append((round(pod_started(p), 3), _NOW - 60.877))
    del p["metadata"]["annotations"]
    p["metadata"]["creationTimestamp"] = "2024-05-01T11:00:00Z"
    checks.append((pod_started(p), _NOW - 3600))
    # Garbage never crashes.
    checks.append((pod_summary({"status": "x"})["reason"], "-"))

    # Watch behaviour: header and rows first, then changes only, then (gone).
    t = PodTable()
    web = cases[0][1]
    crash = cases[3][1]
    first = t.update({"items": [web, crash]}, _NOW)
    checks.append((len(first), 3))
    checks.append((first[0].split(), [c for c, _ in COLUMNS]))
    checks.append((t.update({"items": [web, crash]}, _NOW + 30), []))
    crash2 = json.loads(json.dumps(crash))
    crash2["status"]["containerStatuses"][0]["state"] = running
    changed = t.update({"items": [web, crash2]}, _NOW + 31)
    checks.append((len(changed) == 1 and changed[0].startswith("crash "), True))
    gone = t.update({"items": [crash2]}, _NOW + 32)
    checks.append((len(gone) == 1 and gone[0].startswith("web ")
                   and gone[0].endswith("(gone)"), True))

    for i, (got, want) in enumerate(checks):
        if got != want:
            print("FAIL check %d: got %r, want %r" % (i, got, want))
            failures += 1
    if failures:
        print("self-test: %d failure(s)" % failures)
        return 1
    print("self-test: %d rows and %d checks passed" % (len(cases), len(checks)))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Live table of the pods cafelet runs "
                                 "(like kubectl get pods -w).")
    ap.add_argument("--url", default=DEFAULT_URL, help="PodList URL (default %(default)s)")
    ap.add_argument("--interval", type=float, default=1.0,
                    help="seconds between polls (default %(default)s)")
    ap.add_argument("--once", action="store_true",
                    help="print the table once and exit (1 if unreachable)")
    ap.add_argument("--self-test", action="store_true", help="run the built-in checks")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if args.interval <= 0:
        ap.error("--interval must be positive")
    # Ctrl-C (SIGINT) and SIGTERM end the table quietly with code 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        return run(args.url, args.interval, args.once)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
