#!/usr/bin/env bash
# cafelet developer entry point.
#
#   scripts/dev.sh run     install what is missing, build, run the main job
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

run_main() {
  # The embedded default: a lab API server on loopback (the project's test
  # API server with freshly generated certificates), a private containerd
  # (scripts/containerd-lab.sh; CAFELET_NO_CONTAINERD=1 skips it) and
  # cafelet registered against both as node "edge-1".
  # CAFELET_STANDALONE=1 runs cafelet alone.
  local port=${CAFELET_HEALTHZ_PORT:-10248}
  local api_port=${CAFELET_LAB_API_PORT:-16443}
  local node=${CAFELET_NODE:-edge-1}
  local work root_dir api_dir
  work=$(mktemp -d /tmp/cafelet-run.XXXXXX)
  root_dir=$work/root
  api_dir=$work/api
  local args=(--hostname-override="$node" --root-dir="$root_dir"
              --healthz-port="$port" -v=2)
  if [ "${CAFELET_STANDALONE:-0}" != 1 ]; then
    say "starting the lab API server on https://127.0.0.1:$api_port"
    "$build_dir/tests/apiserver/cafelet-test-apiserver" --port "$api_port" \
      --cert-dir "$api_dir" --nodes "$node" >"$work/apiserver.log" 2>&1 &
    api_pid=$!
    trap 'kill $api_pid 2>/dev/null || true' EXIT
    local i
    for i in $(seq 1 100); do
      grep -q listening "$work/apiserver.log" 2>/dev/null && break
      kill -0 $api_pid 2>/dev/null || { cat "$work/apiserver.log" >&2; exit 1; }
      sleep 0.1
    done
    args+=(--kubeconfig="$api_dir/$node.kubeconfig")
    if [ "${CAFELET_NO_CONTAINERD:-0}" != 1 ]; then
      say "starting the private containerd lab (scripts/containerd-lab.sh)"
      "$here/scripts/containerd-lab.sh" start >"$work/containerd-lab.log" 2>&1 \
        || { tail -20 "$work/containerd-lab.log" >&2; exit 1; }
      trap 'kill $api_pid 2>/dev/null || true; "$here/scripts/containerd-lab.sh" stop >/dev/null 2>&1 || true; unmount_below "$work"' EXIT
      local endpoint
      endpoint=$("$here/scripts/containerd-lab.sh" env | sed -n 's/^CAFELET_CRI_ENDPOINT=//p')
      args+=(--container-runtime-endpoint="$endpoint")
    fi
    say "try:  kubectl --kubeconfig $api_dir/admin.kubeconfig get nodes -o wide"
    say "      kubectl --kubeconfig $api_dir/admin.kubeconfig get lease -n kube-node-lease"
    say "      kubectl --kubeconfig $api_dir/admin.kubeconfig get events"
  fi
  say "starting cafelet as node $node (embedded default configuration)"
  say "try:  curl -s http://127.0.0.1:$port/healthz"
  say "      curl -s http://127.0.0.1:$port/metrics"
  say "      curl -s http://127.0.0.1:$port/debug/actors"
  say "Ctrl-C stops it"
  "$build_dir/actors/cafelet" "${args[@]}" ${CAFELET_ARGS:-}
}

case "${1:-}" in
  run)   install_missing; build; run_main ;;
  test)  install_missing; build; exec /usr/bin/python3 "$here/scripts/run-tests.py" "$build_dir" ;;
  build) install_missing; build ;;
  *) echo "usage: $0 run|test|build" >&2; exit 2 ;;
esac
