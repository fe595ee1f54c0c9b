#!/usr/bin/env bash
# Runs a command against a private containerd lab of its own and tears the
# lab down afterwards, whatever the command's outcome:
#
#   scripts/with-containerd-lab.sh <name> <command> [args...]
#
# <name> keeps labs apart (directory /tmp/cafelet-lab-<name>, bridge, cgroup
# prefix, subnet derived from it). The command sees CAFELET_CRI_ENDPOINT
# and the other variables of `containerd-lab.sh env`. Exits with the
# command's status, or 1 if the lab could not start or stop cleanly.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${1:?usage: with-containerd-lab.sh <name> <command> [args...]}
shift
# A small stable number per name for the bridge and subnet.
n=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 200 + 20 ))
export CAFELET_CTD_DIR=/tmp/cafelet-lab-$name
export CAFELET_CNI_BRIDGE=cfl-$name
export CAFELET_CNI_BRIDGE=${CAFELET_CNI_BRIDGE:0:15}
export CAFELET_CNI_SUBNET=10.$n.0.0/24
export CAFELET_CGROUP_PREFIX=cafelet-$name
lab=$here/containerd-lab.sh
stop_lab() {
  "$lab" stop >"$CAFELET_CTD_DIR.stop.log" 2>&1 || {
    echo "with-containerd-lab: stop did not clean up; see $CAFELET_CTD_DIR.stop.log" >&2
    return 1
  }
}
if ! "$lab" start >"$CAFELET_CTD_DIR.start.log" 2>&1; then
  echo "with-containerd-lab: the lab did not start:" >&2
  tail -20 "$CAFELET_CTD_DIR.start.log" >&2
  stop_lab
  exit 1
fi
eval "$("$lab" env)"
export CAFELET_CRI_ENDPOINT
"$@"
rc=$?
stop_lab || rc=1
exit $rc
