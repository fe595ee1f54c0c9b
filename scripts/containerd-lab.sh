#!/usr/bin/env bash
# cafelet's private containerd lab: a containerd 1.6 + runc + bridge CNI of its own that the
# runtime tests talk to over CRI. Needs root; no network access besides Debian's package mirror
# (the images are built here from busybox-static).
#
#   scripts/containerd-lab.sh start    install what is missing, write the configuration, build
#                                      and import the images, start containerd; prints the CRI
#                                      endpoint. A no-op when the lab already runs.
#   scripts/containerd-lab.sh stop     remove every pod and container, stop containerd and its
#                                      shims, unmount, delete the cgroups, the bridge and the CNI
#                                      state. A no-op success when nothing runs.
#   scripts/containerd-lab.sh restart  restart the containerd daemon only: shims, containers and
#                                      state survive (a runtime restart under running pods).
#   scripts/containerd-lab.sh status   whether it runs, and the endpoint (exit 0 running, 3 not)
#   scripts/containerd-lab.sh env      KEY=value lines for tests: eval "$(containerd-lab.sh env)"
#
# Environment (default):
#   CAFELET_CTD_DIR          (/tmp/cafelet-containerd) everything lives here: root, state,
#                            socket, logs, CNI configuration and IPAM state, images
#   CAFELET_CGROUP_PREFIX    (kubepods) top cgroup the kubelet uses as cgroup parent; stop
#                            kills what is left in it and deletes it in every hierarchy
#   CAFELET_CNI_BRIDGE       (cafelet-br0) bridge name, at most 15 characters
#   CAFELET_CNI_SUBNET       (10.88.0.0/24) pod subnet handed out by host-local
#   CAFELET_CTD_SNAPSHOTTER  (overlayfs if it can be mounted here, else native)
#   CAFELET_CTD_TIMEOUT      (20) seconds to wait for containerd to answer
#   CAFELET_APT_LOCK_TIMEOUT (600) seconds to wait for another apt or dpkg
# Labs with distinct directories, bridges, subnets and prefixes can run side by side.
#
# Images: localhost/pause:ci (sandbox; sleeps until TERM) and localhost/busybox:ci (sh, sleep,
# httpd, nc, wget and every other busybox applet in /bin). Debian's static busybox `wget -T`
# crashes; plain `wget URL` works.
set -euo pipefail
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export LC_ALL=C

dir=${CAFELET_CTD_DIR:-/tmp/cafelet-containerd}
dir=${dir%/}
prefix=${CAFELET_CGROUP_PREFIX:-kubepods}
prefix=${prefix#/}
prefix=${prefix%/}
bridge=${CAFELET_CNI_BRIDGE:-cafelet-br0}
subnet=${CAFELET_CNI_SUBNET:-10.88.0.0/24}
start_timeout=${CAFELET_CTD_TIMEOUT:-20}
apt_lock_timeout=${CAFELET_APT_LOCK_TIMEOUT:-600}

sock=$dir/containerd.sock
config=$dir/config.toml
pid_file=$dir/containerd.pid
log_file=$dir/logs/containerd.log
cri_ns=k8s.io
pause_image=localhost/pause:ci
busybox_image=localhost/busybox:ci
cni_bin=/usr/lib/cni
net_name=lab-$bridge          # CNI network name; libcni caches results under it
cni_cache=/var/lib/cni/results    # libcni's default result cache
shim_sockets=/run/containerd/s    # where containerd 1.6 puts shim sockets, whatever its state dir
packages=(containerd runc containernetworking-plugins busybox-static)
image_recipe=1                    # bump when the image contents below change

say() { printf '[containerd-lab %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

check_settings() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (mounts, cgroups, network)"
  case $dir in
    /?*) ;;
    *) die "CAFELET_CTD_DIR must be an absolute path other than /: '$dir'" ;;
  esac
  case $dir$prefix in
    *[[:space:]]* | *..*) die "CAFELET_CTD_DIR and CAFELET_CGROUP_PREFIX take no spaces and no '..'" ;;
  esac
  [ -n "$prefix" ] || die "CAFELET_CGROUP_PREFIX must not be empty"
  [ ${#bridge} -le 15 ] || die "CAFELET_CNI_BRIDGE '$bridge' is longer than 15 characters"
  [ $((${#sock} + 6)) -lt 108 ] || die "socket path $sock.ttrpc is too long for a unix socket"
}

# Serialises start/stop/restart of one lab. The descriptor is closed for containerd.
take_lock() {
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock -w 300 9 || die "another containerd-lab.sh holds $dir/.lock"
}

# ctr on this lab's containerd in namespace $1.
ctr_ns() {
  local ns=$1
  shift
  timeout 30 ctr --connect-timeout 5s --address "$sock" --namespace "$ns" "$@"
}
ctr_() { ctr_ns "$cri_ns" "$@"; }

# --- processes -----------------------------------------------------------------------------

# Sets `cmd` to the command line of pid $1, arguments joined by spaces plus a trailing space
# (builtins only: /proc is scanned often); fails if the process is gone.
cmdline_of() {
  local -a args=()
  cmd=""
  { mapfile -d '' -t args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  [ ${#args[@]} -gt 0 ] || return 1
  printf -v cmd '%s ' "${args[@]}"
}

# The containerd daemon of this lab, from the pid file or else by its exact command line.
daemon_pid() {
  local p cmd
  if [ -f "$pid_file" ]; then
    p=$(<"$pid_file")
    if [ -n "$p" ] && cmdline_of "$p" && [ "$cmd" = "containerd --config $config " ]; then
      echo "$p"
      return 0
    fi
  fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    if cmdline_of "$p" && [ "$cmd" = "containerd --config $config " ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

running() { daemon_pid >/dev/null; }

# Shims started by this lab's containerd: their command line names our socket.
shim_pids() {
  local p cmd
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    cmdline_of "$p" || continue
    case $cmd in
      *containerd-shim*" -address $sock "*) echo "$p" ;;
    esac
  done
}

# True while pid $1 runs (a zombie does not: PID 1 here may take seconds to reap one).
alive() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# Waits up to $1 tenths of a second for pid $2 to exit.
wait_gone() {
  local n=$1 p=$2
  while [ "$n" -gt 0 ] && alive "$p"; do
    sleep 0.1
    n=$((n - 1))
  done
  ! alive "$p"
}

# --- installation --------------------------------------------------------------------------

install_missing() {
  local missing=() unknown=0 p t0=$SECONDS
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  command -v ip >/dev/null || missing+=(iproute2)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -gt 0 ] || return 0
  for p in "${missing[@]}"; do
    apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || unknown=1
  done
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q
             -o DPkg::Lock::Timeout="$apt_lock_timeout")
  # apt-get update at most once: when a package is unknown to the lists, or when the install
  # fails (lists older than the mirror: the versions they name are gone).
  if [ "$unknown" = 1 ]; then
    say "package lists lack some of ${missing[*]}: apt-get update"
    "${apt[@]}" update >&2
  fi
  say "installing ${missing[*]}"
  if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2; then
    [ "$unknown" = 0 ] || die "cannot install ${missing[*]}"
    say "install failed: apt-get update, then once more"
    "${apt[@]}" update >&2
    "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2
  fi
  say "installed in $((SECONDS - t0)) s"
}

check_tools() {
  local t
  for t in containerd ctr runc ip flock setsid timeout curl; do
    command -v "$t" >/dev/null || die "$t not found"
  done
  for t in bridge host-local loopback; do
    [ -x "$cni_bin/$t" ] || die "CNI plugin $cni_bin/$t not found"
  done
  [ -x /bin/busybox ] || die "/bin/busybox (busybox-static) not found"
}

# --- configuration -------------------------------------------------------------------------

# overlayfs when the kernel mounts it on the filesystem of $dir, else native. Kept for the
# lifetime of the state: snapshots made by one snapshotter are useless to the other.
pick_snapshotter() {
  if [ -n "${CAFELET_CTD_SNAPSHOTTER:-}" ]; then
    echo "$CAFELET_CTD_SNAPSHOTTER"
  elif [ -s "$dir/snapshotter" ] && [ -d "$dir/root" ]; then
    cat "$dir/snapshotter"
  else
    local t=$dir/overlay-probe
    rm -rf "$t"
    mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/merged"
    if mount -t overlay overlay \
         -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
      umount "$t/merged"
      echo overlayfs
    else
      echo native
    fi
    rm -rf "$t"
  fi
}

write_config() {
  local snapshotter=$1
  echo "$snapshotter" >"$dir/snapshotter"
  cat >"$config" <<EOF
# Written by scripts/containerd-lab.sh; rewritten on every start.
version = 2
root = "$dir/root"
state = "$dir/state"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  disable_apparmor = true              # no AppArmor on these machines
  restrict_oom_score_adj = true        # no CAP_SYS_RESOURCE: a negative oom_score_adj fails
  enable_selinux = false
  netns_mounts_under_state_dir = true  # pod network namespaces under $dir/state
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"             # any free port: labs side by side do not collide
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snapshotter"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false          # cgroupfs driver
        Root = "$dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$dir/cni/net.d"
    max_conf_num = 1
EOF
  mkdir -p "$dir/cni/net.d" "$dir/cni/ipam"
  cat >"$dir/cni/net.d/10-cafelet-lab.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$net_name",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$subnet"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$dir/cni/ipam"
      }
    }
  ]
}
EOF
}

# --- images --------------------------------------------------------------------------------

# Moves file $2 into the blob store of layout $1; prints "<digest> <size>".
add_blob() {
  local hex size
  hex=$(sha256sum "$2" | cut -d' ' -f1)
  size=$(stat -c %s "$2")
  mv "$2" "$1/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

# Writes the OCI archive $1 of image $2 (one layer: $3, diff id $4) whose image config has
# the JSON members $5 (Entrypoint, Cmd) besides Env and WorkingDir.
oci_archive() {
  local out=$1 name=$2 layer=$3 diff_id=$4 members=$5 arch work
  local layer_digest layer_size config_digest config_size manifest_digest manifest_size
  arch=$(dpkg --print-architecture)
  work=$(mktemp -d "$dir/images/oci.XXXXXX")
  mkdir -p "$work/blobs/sha256"
  cp "$layer" "$work/layer"
  read -r layer_digest layer_size < <(add_blob "$work" "$work/layer")
  printf '{"created":"1970-01-01T00:00:00Z","architecture":"%s","os":"linux","config":{"Env":["PATH=/bin:/sbin:/usr/bin:/usr/sbin"],"WorkingDir":"/",%s},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/containerd-lab.sh"}]}' \
    "$arch" "$members" "$diff_id" >"$work/config"
  read -r config_digest config_size < <(add_blob "$work" "$work/config")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest"
  read -r manifest_digest manifest_size < <(add_blob "$work" "$work/manifest")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$arch" "$name" "${name##*:}" >"$work/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  tar -C "$work" -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

# Builds both archives from /bin/busybox unless they are current.
build_images() {
  local images=$dir/images stamp rootfs applet diff_id
  stamp="$(sha256sum /bin/busybox | cut -d' ' -f1) $(dpkg --print-architecture) $image_recipe"
  if [ -f "$images/pause.tar" ] && [ -f "$images/busybox.tar" ] &&
     [ "$(cat "$images/stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  rm -rf "$images"
  mkdir -p "$images"
  rootfs=$images/rootfs
  mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,root,run,var/tmp,var/www,home,usr}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 700 "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  ln -s bin "$rootfs/sbin"
  ln -s ../bin "$rootfs/usr/bin"
  ln -s ../bin "$rootfs/usr/sbin"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' \
    >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    -cf "$images/layer.tar" .
  diff_id=sha256:$(sha256sum "$images/layer.tar" | cut -d' ' -f1)
  # The sandbox: PID 1 sleeps until TERM or INT and then exits 0.
  oci_archive "$images/pause.tar" "$pause_image" "$images/layer.tar" "$diff_id" \
    '"Entrypoint":["/bin/sh","-c","trap '"'"'exit 0'"'"' TERM INT; while :; do sleep 86400 & wait $!; done"]'
  oci_archive "$images/busybox.tar" "$busybox_image" "$images/layer.tar" "$diff_id" \
    '"Cmd":["/bin/sh"]'
  rm -rf "$rootfs" "$images/layer.tar"
  echo "$stamp" >"$images/stamp"
}

import_images() {
  local snapshotter=$1 archive
  for archive in "$dir/images/pause.tar" "$dir/images/busybox.tar"; do
    ctr_ images import --snapshotter "$snapshotter" "$archive" >/dev/null
  done
}

# --- start ---------------------------------------------------------------------------------

launch_daemon() {
  local deadline pid
  mkdir -p "$dir/logs"
  # setsid: the daemon outlives the caller's session; 9>&-: it does not keep the lock.
  setsid containerd --config "$config" </dev/null >>"$log_file" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$pid_file"
  deadline=$((SECONDS + start_timeout))
  until [ -S "$sock" ] &&
    timeout 5 ctr --connect-timeout 1s --address "$sock" version >/dev/null 2>&1; do
    if ! alive "$pid"; then
      tail -n 20 "$log_file" >&2 || true
      die "containerd exited during start-up (log: $log_file)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$log_file" >&2 || true
      die "containerd did not answer within $start_timeout s (log: $log_file)"
    fi
    sleep 0.1
  done
  pid=$(daemon_pid) || die "containerd answers but its process is not found"
  echo "$pid" >"$pid_file"
  ctr_ plugins ls 2>/dev/null | grep -Eq 'io\.containerd\.grpc\.v1 +cri +.* ok' ||
    die "the CRI plugin of containerd did not load (log: $log_file)"
}

start() {
  check_settings
  take_lock
  if running; then
    say "already running (pid $(daemon_pid))"
    echo "unix://$sock"
    return 0
  fi
  install_missing
  check_tools
  local snapshotter t0=$SECONDS
  mkdir -p "$dir/logs" "$dir/images" "$dir/opt" "$dir/runc"
  snapshotter=$(pick_snapshotter)
  write_config "$snapshotter"
  build_images
  [ -f "$dir/ip_forward.orig" ] || cat /proc/sys/net/ipv4/ip_forward >"$dir/ip_forward.orig"
  launch_daemon
  import_images "$snapshotter"
  say "containerd pid $(daemon_pid), snapshotter $snapshotter, started in $((SECONDS - t0)) s"
  echo "unix://$sock"
}

# --- stop ----------------------------------------------------------------------------------

# A gRPC request with one string field (number 1): the CRI requests that take just an id.
grpc_id_frame() {
  local id=$1
  [ ${#id} -lt 128 ] || return 1
  printf '\x00\x00\x00\x00'"$(printf '\\x%02x' $((${#id} + 2)))"'\x0a'"$(printf '\\x%02x' ${#id})"'%s' "$id"
}

# Calls CRI method $1 (e.g. RuntimeService/StopPodSandbox) with id $2; true on grpc-status 0.
cri_id_call() {
  local headers
  headers=$(grpc_id_frame "$2" |
    curl -sS --noproxy '*' --http2-prior-knowledge --unix-socket "$sock" --max-time 30 \
      -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- \
      -o /dev/null -D - "http://localhost/runtime.v1.$1" 2>/dev/null) || return 1
  grep -qi '^grpc-status: *0' <<<"$headers"
}

# Ids of the containers this lab knows: live ones through ctr, and the task bundles in its
# state directory (they outlive a dead daemon). Prints "<namespace> <id>" lines.
known_containers() {
  local ns id b
  if running; then
    for ns in $(ctr_ namespaces ls -q 2>/dev/null); do
      for id in $(ctr_ns "$ns" containers ls -q 2>/dev/null); do
        echo "$ns $id"
      done
    done
  fi
  for b in "$dir"/state/io.containerd.runtime.v2.task/*/*; do
    [ -d "$b" ] || continue
    id=${b##*/}
    ns=${b%/*}
    echo "${ns##*/} $id"
  done
}

# Pods through CRI first (stops containers, tears the network down through CNI, unmounts the
# network namespace), then every task and container in every namespace through ctr.
remove_workloads() {
  local id ns all sandboxes
  sandboxes=$(ctr_ containers ls -q 'labels."io.cri-containerd.kind"==sandbox' 2>/dev/null || true)
  for id in $sandboxes; do
    {
      cri_id_call RuntimeService/StopPodSandbox "$id" || say "StopPodSandbox $id failed"
      cri_id_call RuntimeService/RemovePodSandbox "$id" || say "RemovePodSandbox $id failed"
    } &
    [ "$(jobs -pr | wc -l)" -lt 4 ] || wait -n || true
  done
  wait
  for ns in $(ctr_ namespaces ls -q 2>/dev/null); do
    all=$(ctr_ns "$ns" containers ls -q 2>/dev/null || true)
    [ -n "$all" ] || continue
    sandboxes=$(ctr_ns "$ns" containers ls -q 'labels."io.cri-containerd.kind"==sandbox' \
      2>/dev/null || true)
    # Containers first, sandboxes last: no pod loses its pause process while it still runs.
    all="$(grep -vxF -e "$sandboxes" <<<"$all" || true)
$sandboxes"
    for id in $all; do
      ctr_ns "$ns" tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $all; do
      ctr_ns "$ns" tasks delete --force "$id" >/dev/null 2>&1 || true
      ctr_ns "$ns" containers delete "$id" >/dev/null 2>&1 || true
    done
  done
}

# Network namespaces of this lab's sandboxes outside $dir (none while containerd honours
# netns_mounts_under_state_dir; kept as a safety net for /run/netns).
foreign_netns() {
  local id
  for id in $(ctr_ containers ls -q 'labels."io.cri-containerd.kind"==sandbox' 2>/dev/null); do
    ctr_ containers info "$id" 2>/dev/null | grep -o '"/[^"]*/netns/[^"]*"' | tr -d '"' |
      grep -v "^$dir/" || true
  done
}

# Stops the daemon: TERM, and KILL after $1 tenths of a second.
stop_daemon() {
  local pid
  pid=$(daemon_pid) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$1" "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone 50 "$pid" || true; }
  rm -f "$pid_file" "$sock" "$sock.ttrpc"
}

kill_shims() {
  local p
  for p in $(shim_pids); do
    kill -KILL "$p" 2>/dev/null || true
  done
  for p in $(shim_pids); do
    wait_gone 50 "$p" || say "shim $p does not exit"
  done
}

# Mount points under $1, deepest first.
mounts_under() {
  awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r -u
}

unmount_all() {
  local m _
  for _ in 1 2 3; do
    [ -n "$(mounts_under "$dir")" ] || return 0
    while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done < <(mounts_under "$dir")
  done
  [ -z "$(mounts_under "$dir")" ]
}

cgroup_roots() { awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts; }

# The lab's cgroup trees in every hierarchy: the prefix, and /<namespace>/<id> for the
# containers in "<namespace> <id>" arguments (those created without a cgroup parent).
lab_cgroups() {
  local root entry
  for root in $(cgroup_roots); do
    if [ -d "$root/$prefix" ]; then echo "$root/$prefix"; fi
    for entry in "$@"; do
      if [ -d "$root/${entry%% *}/${entry#* }" ]; then echo "$root/${entry%% *}/${entry#* }"; fi
    done
  done
}

# SIGKILLs every process in the cgroup trees $@, thawing frozen ones; true if there was none.
kill_cgroup_procs() {
  local d p none=0
  while read -r d; do
    if [ -f "$d/freezer.state" ]; then echo THAWED >"$d/freezer.state" 2>/dev/null || true; fi
    while read -r p; do
      [ -n "$p" ] || continue
      none=1
      kill -KILL "$p" 2>/dev/null || true
    done 2>/dev/null <"$d/cgroup.procs" || true
  done < <(find "$@" -depth -type d 2>/dev/null)
  return $none
}

# Kills what runs in the lab's cgroups until they are empty. Done while the shims still run,
# so that they, not PID 1, reap the container processes.
kill_lab_procs() {
  local -a trees=()
  local _
  mapfile -t trees < <(lab_cgroups "$@")
  [ ${#trees[@]} -gt 0 ] || return 0
  for _ in $(seq 50); do
    kill_cgroup_procs "${trees[@]}" && return 0
    sleep 0.1
  done
  say "processes survive in ${trees[*]}"
  return 1
}

# Deletes the lab's cgroup trees (leaves first) after killing what is left in them.
remove_cgroups() {
  local -a trees=()
  local root entry _
  for _ in 1 2 3 4 5; do
    kill_lab_procs "$@" || true
    mapfile -t trees < <(lab_cgroups "$@")
    [ ${#trees[@]} -gt 0 ] || break
    find "${trees[@]}" -depth -type d -exec rmdir {} + 2>/dev/null || true
    mapfile -t trees < <(lab_cgroups "$@")
    [ ${#trees[@]} -gt 0 ] || break
    sleep 0.2
  done
  for root in $(cgroup_roots); do
    for entry in "$@"; do
      rmdir "$root/${entry%% *}" 2>/dev/null || true
    done
  done
  [ ${#trees[@]} -eq 0 ] || { say "cannot remove cgroups ${trees[*]}"; return 1; }
}

# Bridge, leftover veths, IPAM state and libcni's cached results of the lab's network (and of
# the loopback network of its sandboxes, ids in "<namespace> <id>" arguments).
remove_network() {
  local link entry
  if [ -d "/sys/class/net/$bridge" ]; then
    for link in /sys/class/net/"$bridge"/brif/*; do
      if [ -e "$link" ]; then ip link del "${link##*/}" 2>/dev/null || true; fi
    done
    ip link del "$bridge" 2>/dev/null || true
  fi
  rm -f "$cni_cache/$net_name"-*
  for entry in "$@"; do
    rm -f "$cni_cache/cni-loopback-${entry#* }"-*
  done
  rmdir "$cni_cache" /var/lib/cni 2>/dev/null || true
  rm -rf "$dir/cni/ipam"
  if [ -f "$dir/ip_forward.orig" ]; then
    cat "$dir/ip_forward.orig" >/proc/sys/net/ipv4/ip_forward 2>/dev/null || true
    rm -f "$dir/ip_forward.orig"
  fi
  [ ! -d "/sys/class/net/$bridge" ]
}

# Shim sockets of killed shims: containerd names them sha256("<socket>/<namespace>/<id>").
remove_shim_sockets() {
  local entry ns id hex
  for entry in "$@"; do
    ns=${entry%% *}
    id=${entry#* }
    hex=$(printf '%s' "$sock/$ns/$id" | sha256sum | cut -d' ' -f1)
    rm -f "$shim_sockets/$hex"
  done
  rmdir "$shim_sockets" /run/containerd/fifo /run/containerd/runc/* /run/containerd/runc \
    /run/containerd 2>/dev/null || true
}

stop() {
  check_settings
  if [ ! -d "$dir" ] && ! running; then
    remove_cgroups || true
    remove_network || true
    say "not running"
    return 0
  fi
  take_lock
  local was_running=0 rc=0 t0=$SECONDS ns
  local -a known=() netns=()
  running && was_running=1
  mapfile -t known < <(known_containers | sort -u)
  if [ $was_running = 1 ]; then
    mapfile -t netns < <(foreign_netns)
    remove_workloads
    mapfile -t known < <({ printf '%s\n' "${known[@]}"; known_containers; } | grep . | sort -u)
  fi
  kill_lab_procs "${known[@]}" || rc=1
  stop_daemon 50
  kill_shims
  remove_cgroups "${known[@]}" || rc=1
  unmount_all || { say "mounts left under $dir:"; mounts_under "$dir" >&2; rc=1; }
  for ns in "${netns[@]}"; do
    umount "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  remove_network "${known[@]}" || { say "bridge $bridge is still there"; rc=1; }
  remove_shim_sockets "${known[@]}"
  if [ $rc = 0 ]; then
    # The CRI metadata would bring the killed pods back as NOTREADY on the next start.
    rm -rf --one-file-system "$dir/root" "$dir/state" "$dir/runc" "$dir/opt" "$dir/pods"
  fi
  [ -z "$(shim_pids)" ] || { say "shims still running: $(shim_pids | tr '\n' ' ')"; rc=1; }
  if [ $rc = 0 ]; then
    if [ $was_running = 1 ]; then say "stopped in $((SECONDS - t0)) s"; else say "not running"; fi
  fi
  return $rc
}

# --- restart, status, env ------------------------------------------------------------------

restart() {
  check_settings
  take_lock
  local snapshotter
  running || die "not running"
  stop_daemon 100
  snapshotter=$(pick_snapshotter)
  write_config "$snapshotter"
  launch_daemon
  say "containerd restarted (pid $(daemon_pid))"
  echo "unix://$sock"
}

status() {
  if running; then
    echo "running pid $(daemon_pid) endpoint unix://$sock"
  else
    echo "not running endpoint unix://$sock"
    return 3
  fi
}

# First usable address of the pod subnet: the bridge's own.
gateway_of() {
  local ip=${1%/*} a b c d n
  IFS=. read -r a b c d <<<"$ip"
  n=$(((a << 24 | b << 16 | c << 8 | d) + 1))
  echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}

# KEY=value, the value quoted for the shell only when it needs it.
kv() {
  if [ -n "$2" ]; then printf '%s=%q\n' "$1" "$2"; else printf '%s=\n' "$1"; fi
}

env_lines() {
  local pid=""
  pid=$(daemon_pid 2>/dev/null) || pid=""
  kv CAFELET_CRI_ENDPOINT "unix://$sock"
  kv CAFELET_CTD_DIR "$dir"
  kv CAFELET_CTD_SOCK "$sock"
  kv CAFELET_CTD_NAMESPACE "$cri_ns"
  kv CAFELET_CTD_PID "$pid"
  kv CAFELET_CTD_LOG "$log_file"
  kv CAFELET_CTD_SNAPSHOTTER "$(cat "$dir/snapshotter" 2>/dev/null || true)"
  kv CAFELET_PAUSE_IMAGE "$pause_image"
  kv CAFELET_BUSYBOX_IMAGE "$busybox_image"
  kv CAFELET_CGROUP_PREFIX "$prefix"
  kv CAFELET_CNI_BRIDGE "$bridge"
  kv CAFELET_CNI_SUBNET "$subnet"
  kv CAFELET_CNI_GATEWAY "$(gateway_of "$subnet")"
  kv CAFELET_CNI_NETWORK "$net_name"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status) status ;;
  env) env_lines ;;
  *)
    echo "usage: $0 start|stop|restart|status|env" >&2
    exit 2
    ;;
esac
