#!/usr/bin/env bash
# Builds the real node's helper tools into DIR/bin: crictl (cri-tools, not packaged in
# Debian 12) and CoreDNS (cluster DNS). Called by testenv/build.sh (component `realnode`).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
dir=$1
mkdir -p "$dir/bin"
log "  go install crictl $CRI_TOOLS_VERSION"
GOBIN="$dir/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS_VERSION"
log "  go install coredns $COREDNS_VERSION"
GOBIN="$dir/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
