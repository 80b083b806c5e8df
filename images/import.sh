#!/usr/bin/env bash
# Imports exported images into the real node's containerd (namespace k8s.io), so pods using
# imagePullPolicy IfNotPresent/Never start them without a registry.
#   import.sh [name...]        names: bot-runtime operator (default: every exported image)
#   import.sh --if-built       used by testenv/real-node/up.sh; quiet when nothing is exported
#   import.sh --tar FILE       import one docker-archive tarball
# containerd's image store is cached across testenv:down/up, so a tarball already imported
# (same size and mtime, recorded next to the store) is skipped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

sock="${CONTAINERD_SOCK:-$STATE_DIR/real-node/run/containerd.sock}"
stamps="${XDG_CACHE_HOME:-$HOME/.cache}/chatfleet/testenv/realnode-containerd-root/chatfleet-imported"
quiet=false
tars=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --if-built) quiet=true ;;
    --tar) tars+=("$2"); quiet=true; shift ;;
    *) tars+=("$EXPORT_DIR/$1.tar") ;;
  esac
  shift
done
if [[ ${#tars[@]} -eq 0 ]]; then
  for f in "$EXPORT_DIR"/*.tar; do [[ -f $f ]] && tars+=("$f"); done
fi
if [[ ! -S $sock ]]; then
  $quiet || log "the real node is not up (no $sock): images stay exported in $EXPORT_DIR; start it with npm run testenv:up -- --real-node"
  exit 0
fi
mkdir -p "$stamps"
for tar in "${tars[@]}"; do
  [[ -f $tar ]] || { $quiet || log "no export $tar"; continue; }
  stamp="$stamps/$(basename "$tar").stamp"
  want=$(stat -c '%s %Y' "$tar")
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    $quiet || log "$(basename "$tar" .tar) already in the real node's containerd"
    continue
  fi
  ctr --address "$sock" -n k8s.io images import "$tar" >/dev/null
  echo "$want" >"$stamp"
  $quiet || log "imported $(basename "$tar" .tar) into the real node's containerd"
done
