#!/usr/bin/env bash
# Stops exactly the processes testenv/up.sh started (by recorded pid and start time) and
# removes the state folder. --keep-state keeps .testenv/ (logs) for inspection.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"

KEEP_STATE=false
[[ ${1:-} == --keep-state ]] && KEEP_STATE=true

# Stop in reverse dependency order: node agents and clients first, etcd last.
ORDER=(kwok kube-scheduler kube-controller-manager kafka redis redis-cluster-1 redis-cluster-2
  redis-cluster-3 redis-cluster-4 redis-cluster-5 redis-cluster-6 kube-apiserver etcd)

main() {
  [[ -d $STATE_DIR/pids ]] || { bash "$TESTENV_SRC/network.sh" down; log "nothing to stop"; return 0; }
  local name f
  # real-node (issue 6): the real node goes first, while the API server still answers.
  [[ -d $STATE_DIR/real-node ]] && { bash "$TESTENV_SRC/real-node/down.sh" || log "real node cleanup failed"; }
  for name in "${ORDER[@]}"; do stop_process "$name"; done
  for f in "$STATE_DIR"/pids/*.pid; do   # anything started by a later addition to up.sh
    [[ -f $f ]] && stop_process "$(basename "$f" .pid)"
  done
  rmdir "$STATE_DIR/pids" 2>/dev/null || true
  bash "$TESTENV_SRC/network.sh" down
  if $KEEP_STATE; then log "stopped; state kept in $STATE_DIR"; else rm -rf "$STATE_DIR"; log "stopped"; fi
}

main
