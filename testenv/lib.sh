# Shared helpers for the test-environment scripts. Sourced, never executed.
# shellcheck shell=bash

TESTENV_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TESTENV_SRC/.." && pwd)"
# shellcheck source=versions.env
source "$TESTENV_SRC/versions.env"
# shellcheck source=packages.sh
source "$TESTENV_SRC/packages.sh"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/chatfleet/testenv"
STATE_DIR="${CHATFLEET_TESTENV_DIR:-$REPO_ROOT/.testenv}"
# The real node's bridge address (its node IP): host services that pods must reach are
# published there. The Kafka broker advertises a second listener on it (see kafka/server.properties).
REAL_NODE_BRIDGE_IP=10.201.0.1
# Fake addresses: kwok hands pods IPs from POD_CIDR, Services get ClusterIPs from SERVICE_CIDR.
# Nothing of ours answers there: testenv/network.sh rejects both locally, so no packet to them
# can follow the default route off the machine. The real node's pods use 10.201.0.0/24.
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.200.0.0/16

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require_cmd NAME HINT: fail with a message that names the missing tool and how to get it.
require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "missing prerequisite '$1'. $2"
}

# Phase timing, printed at the end so CI logs show where the time went.
declare -a PHASE_REPORT=()
phase() {
  local name=$1; shift
  local start=$SECONDS
  "$@"
  PHASE_REPORT+=("$(printf '%-28s %5ds' "$name" $((SECONDS - start)))")
}
print_phases() {
  local line
  for line in "${PHASE_REPORT[@]}"; do log "phase $line"; done
}

# Why this machine cannot run the real node (kubelet + containerd), or "" when it can: it needs
# root, cgroup v1 controllers and apt-get for its packages. npm test and npm run dev use it.
real_node_unsupported_reason() {
  [[ $(id -u) -eq 0 ]] || { echo "not running as root"; return; }
  [[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/cpu ]] || { echo "no cgroup v1 controllers under /sys/fs/cgroup"; return; }
  command -v apt-get >/dev/null || { echo "no apt-get to install containerd, runc and podman"; return; }
  [[ ${CHATFLEET_SKIP_REAL_NODE:-} == 1 ]] && { echo "CHATFLEET_SKIP_REAL_NODE=1"; return; }
  echo ""
}
