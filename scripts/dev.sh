#!/usr/bin/env bash
# cafelet developer entry point.
#
#   scripts/dev.sh run     install what is missing, build, run the main job
#                          (static pods on a private containerd, live table);
#                          `run --api` adds the test API server (kubectl works)
#   scripts/dev.sh test    install what is missing, build, run every test suite
#   scripts/dev.sh build   install what is missing and build only
#
# Safe to re-run: packages already installed are skipped, an existing build
# tree is only brought up to date (no reconfigure when nothing changed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${CAFELET_BUILD_DIR:-$here/build}

# Debian 12 packages the build and the tests need.
packages=(
  g++ meson ninja-build pkg-config ccache git
  libcaf-dev libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libcurl4-openssl-dev libssl-dev openssl libsimdjson-dev libyaml-cpp-dev doctest-dev
  python3 python3-prometheus-client python3-kubernetes curl
)

say() { printf '[cafelet %s] %s\n' "$(date +%T)" "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  say "installing: ${missing[*]}"
  # DPkg::Lock::Timeout waits for another apt/dpkg instead of failing.
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=900)
  if ! as_root "${apt[@]}" install --no-install-recommends "${missing[@]}"; then
    say "package not found or index stale: running apt-get update once"
    as_root "${apt[@]}" update
    as_root "${apt[@]}" install --no-install-recommends "${missing[@]}"
  fi
}

build() {
  if [ ! -f "$build_dir/build.ninja" ]; then
    say "configuring $build_dir"
    meson setup "$build_dir" "$here" --buildtype=debugoptimized
  fi
  # Two jobs: a CAF- or gRPC-heavy unit peaks near 600 MiB; 2 cores anyway.
  say "building"
  ninja -C "$build_dir" -j "${CAFELET_JOBS:-2}"
}

# Lazily unmounts whatever cafelet left mounted below $1 (pod volumes on
# tmpfs), deepest first.
unmount_below() {
  local dir=$1 point
  awk -v d="$dir/" 'index($5, d) == 1 {print length($5), $5}' /proc/self/mountinfo |
    sort -rn | while read -r _ point; do umount -l "$point" 2>/dev/null || true; done
}

# `run` arguments, checked before the (long) build.
with_api=0
parse_run_args() {
  for a in "$@"; do
    case "$a" in
      --api) with_api=1 ;;
      *) echo "usage: $0 run [--api]" >&2; exit 2 ;;
    esac
  done
}

run_main() {
  # The embedded default: a private containerd (scripts/containerd-lab.sh)
  # and cafelet as node "edge-1" running the static pods of examples/static
  # (copied to a work directory you may edit while it runs), with a live
  # table of the pods. `--api` adds the project's test API server: cafelet
  # registers the node, keeps its Lease, and publishes mirror pods that
  # kubectl shows. Ctrl-C stops cafelet, removes every pod and stops the
  # runtime.
  if [ "$(id -u)" -ne 0 ]; then
    # containerd, runc, mounts and cgroups need root: the run (not the
    # build) goes through sudo.
    command -v sudo >/dev/null 2>&1 \
      || { say "running pods needs root: run this as root (or install sudo)"; exit 1; }
    say "running pods needs root: continuing with sudo"
    exec sudo -E CAFELET_SKIP_BUILD=1 "$here/scripts/dev.sh" run "$@"
  fi
  local port=${CAFELET_HEALTHZ_PORT:-10248}
  local api_port=${CAFELET_LAB_API_PORT:-16443}
  local node=${CAFELET_NODE:-edge-1}
  if "$here/scripts/containerd-lab.sh" status >/dev/null 2>&1; then
    say "a containerd lab already runs in ${CAFELET_CTD_DIR:-/tmp/cafelet-containerd} (another"
    say "run, or tests): stop it first (scripts/containerd-lab.sh stop) or set CAFELET_CTD_DIR"
    exit 1
  fi
  api_pid='' cafelet_pid='' table_pid='' lab_started=0 work=''
  trap cleanup_main EXIT
  trap 'exit 0' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
  work=$(mktemp -d /tmp/cafelet-run.XXXXXX)
  local root_dir=$work/root api_dir=$work/api manifests=$work/manifests
  mkdir -p "$manifests"
  cp "$here"/examples/static/*.yaml "$manifests"/
  local args=(--hostname-override="$node" --root-dir="$root_dir"
              --healthz-port="$port" --pod-manifest-path="$manifests" -v=2)
  local i
  if [ "$with_api" = 1 ]; then
    say "starting the test API server on https://127.0.0.1:$api_port"
    "$build_dir/tests/apiserver/cafelet-test-apiserver" --port "$api_port" \
      --cert-dir "$api_dir" --nodes "$node" >"$work/apiserver.log" 2>&1 &
    api_pid=$!
    for i in $(seq 1 100); do
      grep -q listening "$work/apiserver.log" 2>/dev/null && break
      kill -0 "$api_pid" 2>/dev/null || { cat "$work/apiserver.log" >&2; exit 1; }
      sleep 0.1
    done
    args+=(--kubeconfig="$api_dir/$node.kubeconfig")
  fi
  say "starting a private containerd (installs containerd, runc and CNI plugins if missing;"
  say "  builds the images localhost/busybox:ci and localhost/pause:ci from busybox-static)"
  lab_started=1
  "$here/scripts/containerd-lab.sh" start >"$work/containerd-lab.log" 2>&1 \
    || { tail -20 "$work/containerd-lab.log" >&2; exit 1; }
  local endpoint
  endpoint=$("$here/scripts/containerd-lab.sh" env | sed -n 's/^CAFELET_CRI_ENDPOINT=//p')
  args+=(--container-runtime-endpoint="$endpoint")
  say "containerd is up: $endpoint"
  say "starting cafelet as node $node with the static pods in $manifests"
  "$build_dir/actors/cafelet" "${args[@]}" ${CAFELET_ARGS:-} >"$work/cafelet.log" 2>&1 &
  cafelet_pid=$!
  local up=0
  for i in $(seq 1 100); do
    kill -0 "$cafelet_pid" 2>/dev/null || { tail -20 "$work/cafelet.log" >&2; exit 1; }
    if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
  done
  if [ "$up" != 1 ]; then
    say "cafelet does not answer on http://127.0.0.1:$port/healthz (port taken?):"
    tail -20 "$work/cafelet.log" >&2
    exit 1
  fi
  say "cafelet is up (log: $work/cafelet.log)"
  say "try, in another terminal:"
  say "  curl -s http://127.0.0.1:$port/pods          (the PodList cafelet serves)"
  say "  rm $manifests/crashloop.yaml     (its pod terminates)"
  say "  sed -i 's/Hello/Hi/' $manifests/web.yaml   (a changed manifest replaces its pod)"
  if [ "$with_api" = 1 ]; then
    say "  export KUBECONFIG=$api_dir/admin.kubeconfig"
    say "  kubectl get pods -o wide -w    (mirror pods of the static pods)"
    say "  kubectl get node $node; kubectl get events"
  fi
  say "Ctrl-C stops cafelet and the runtime and removes the pods"
  echo >&2
  # In the background so that Ctrl-C (or TERM) reaches this script's trap
  # at once instead of after the table ends.
  /usr/bin/python3 "$here/scripts/pod-table.py" --url "http://127.0.0.1:$port/pods" &
  table_pid=$!
  wait "$table_pid"
}

# Stops what run_main started, in order; never interrupted half way.
cleanup_main() {
  local rc=$? left=0 i
  trap '' INT TERM HUP
  trap - EXIT
  set +e
  [ -n "${table_pid:-}" ] && kill "$table_pid" 2>/dev/null
  echo >&2
  if [ -n "${cafelet_pid:-}" ] && kill -0 "$cafelet_pid" 2>/dev/null; then
    say "stopping cafelet"
    kill -TERM "$cafelet_pid" 2>/dev/null
    for i in $(seq 1 300); do
      kill -0 "$cafelet_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$cafelet_pid" 2>/dev/null
    wait "$cafelet_pid" 2>/dev/null
  fi
  if [ "${lab_started:-0}" = 1 ]; then
    say "stopping the private containerd and removing every pod"
    if ! "$here/scripts/containerd-lab.sh" stop >>"$work/containerd-lab.log" 2>&1; then
      left=1
      say "stopping the containerd lab failed; see $work/containerd-lab.log"
    fi
  fi
  if [ -n "${api_pid:-}" ]; then
    kill "$api_pid" 2>/dev/null
    wait "$api_pid" 2>/dev/null
  fi
  if [ -n "${work:-}" ]; then
    unmount_below "$work"
    if [ "${CAFELET_KEEP_WORK:-0}" = 1 ] || [ "$left" = 1 ]; then
      say "kept $work"
    else
      rm -rf "$work"
    fi
  fi
  [ "$left" = 0 ] && say "stopped; nothing left running"
  exit "$rc"
}

case "${1:-}" in
  run)   shift
         parse_run_args "$@"
         if [ "${CAFELET_SKIP_BUILD:-0}" != 1 ]; then install_missing; build; fi
         run_main "$@" ;;
  test)  install_missing; build; exec /usr/bin/python3 "$here/scripts/run-tests.py" "$build_dir" ;;
  build) install_missing; build ;;
  *) echo "usage: $0 run|test|build" >&2; exit 2 ;;
esac
