#!/usr/bin/env bash
# Prints the directory holding the Prometheus Operator's CRDs (monitoring.coreos.com_*.yaml) at
# PROMETHEUS_OPERATOR_VERSION, fetched once from the Go module proxy (the module ships them in
# example/prometheus-operator-crd/) and cached. The chart's ServiceMonitor, PodMonitor and
# PrometheusRule are validated against these on the real API server; the CRDs are not vendored.
#
#   dir=$(bash testenv/prometheus-operator-crds.sh)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

main() {
  local out="$CACHE_ROOT/prometheus-operator-crds-$PROMETHEUS_OPERATOR_VERSION"
  if [[ ! -f $out/monitoring.coreos.com_prometheusrules.yaml ]]; then
    require_cmd go "Install Go 1.26 or newer (https://go.dev/doc/install, or the golang package)."
    local module=github.com/prometheus-operator/prometheus-operator dir tmp
    tmp=$(mktemp -d)
    # Outside any module, `go mod download module@version` fetches the module zip into GOMODCACHE.
    dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$module@$PROMETHEUS_OPERATOR_VERSION" |
      sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    rm -rf "$tmp"
    [[ -d $dir/example/prometheus-operator-crd ]] || die "no CRDs in $module@$PROMETHEUS_OPERATOR_VERSION ($dir)"
    mkdir -p "$out.tmp"
    cp "$dir"/example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,podmonitors,prometheusrules}.yaml "$out.tmp/"
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

main "$@"
