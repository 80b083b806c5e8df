#!/usr/bin/env bash
# Builds or downloads every test-environment component into the cache, keyed by version.
# Each component is built only when its cache folder lacks a ".complete" marker, so a warm
# run of this script takes a second. Usage: build.sh [component...] (default: all).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STAGING_MODULES=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base component-helpers
  controller-manager cri-api cri-client cri-streaming csi-translation-lib
  dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils
  pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming)

KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

kube_dir() { echo "$CACHE_ROOT/kubernetes-$KUBERNETES_VERSION"; }

check_go() {
  require_cmd go "Install Go 1.26 or newer (https://go.dev/doc/install, or the golang package)."
}

# Kubernetes' own go.mod points its staging modules at v0.0.0, which no proxy serves, so we
# build from a wrapper module that replaces each of them with its published tag.
write_kube_wrapper() {
  local dir=$1 m
  mkdir -p "$dir/src"
  {
    echo "module chatfleet.local/testenv/kube"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    for m in "${STAGING_MODULES[@]}"; do
      echo "replace k8s.io/$m => k8s.io/$m $KUBERNETES_STAGING_VERSION"
    done
  } >"$dir/src/go.mod"
}

kube_ldflags() {
  local v=$KUBERNETES_VERSION major minor pkg flags=""
  major=$(echo "${v#v}" | cut -d. -f1)
  minor=$(echo "${v#v}" | cut -d. -f2)
  # Without these, /version reports v0.0.0-master, which Helm and kubectl reject.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$flags"
}

build_kubernetes() {
  local dir
  dir=$(kube_dir)
  [[ -f $dir/.complete ]] && return 0
  check_go
  log "building Kubernetes $KUBERNETES_VERSION (${KUBE_COMMANDS[*]}); a cold build takes tens of minutes"
  build_kube_commands "$dir" "${KUBE_COMMANDS[@]}"
  touch "$dir/.complete"
}

# Builds k8s.io/kubernetes/cmd/<name> for each name into <dir>/bin, from a wrapper module in <dir>/src.
build_kube_commands() {
  local dir=$1 cmd
  shift
  write_kube_wrapper "$dir"
  mkdir -p "$dir/bin"
  for cmd in "$@"; do
    log "  go build $cmd"
    (cd "$dir/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "$(kube_ldflags)" -o "$dir/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  done
}

# >>> real-node (issue 6): kubelet + kube-proxy for `testenv:up -- --real-node`, in their OWN
# cache folder so the control-plane cache key above stays valid. Only built on request.
REALNODE_COMMANDS=(kubelet kube-proxy)
build_realnode() {
  local dir="$CACHE_ROOT/realnode-$KUBERNETES_VERSION-crictl-$CRI_TOOLS_VERSION-coredns-$COREDNS_VERSION"
  [[ -f $dir/.complete ]] && return 0
  check_go
  log "building the real node's kubelet + kube-proxy $KUBERNETES_VERSION"
  build_kube_commands "$dir" "${REALNODE_COMMANDS[@]}"
  bash "$TESTENV_SRC/real-node/build-extras.sh" "$dir"
  touch "$dir/.complete"
}
# <<< real-node

build_etcd() {
  local dir="$CACHE_ROOT/etcd-$ETCD_VERSION"
  [[ -f $dir/.complete ]] && return 0
  check_go
  log "building etcd $ETCD_VERSION"
  mkdir -p "$dir/src" "$dir/bin"
  # `go install` refuses etcd's server module (it has replace directives); a wrapper works.
  printf 'module chatfleet.local/testenv/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"$dir/src/go.mod"
  (cd "$dir/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" \
    -o "$dir/bin/etcd" go.etcd.io/etcd/server/v3)
  touch "$dir/.complete"
}

build_kwok() {
  local dir="$CACHE_ROOT/kwok-$KWOK_VERSION"
  [[ -f $dir/.complete ]] && return 0
  check_go
  log "building kwok $KWOK_VERSION"
  mkdir -p "$dir/bin" "$dir/stages"
  GOBIN="$dir/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # The standalone binary has no built-in stages; they ship in the module's kustomize folder.
  local stages
  stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  cp "$stages/node/fast/node-initialize.yaml" "$stages/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
    "$stages"/pod/fast/pod-{ready,complete,delete}.yaml "$dir/stages/"
  chmod -R u+w "$dir/stages"
  touch "$dir/.complete"
}

build_helm() {
  local dir="$CACHE_ROOT/helm-$HELM_VERSION"
  [[ -f $dir/.complete ]] && return 0
  check_go
  log "building helm $HELM_VERSION"
  mkdir -p "$dir/bin"
  GOBIN="$dir/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  touch "$dir/.complete"
}

# Prometheus and promtool from their Go module (no release download): a wrapper module that
# requires it, as for Kubernetes. The web UI's assets are not in the module; the HTTP API,
# scraping, rules and promtool all work without them.
build_prometheus() {
  local dir="$CACHE_ROOT/prometheus-$PROMETHEUS_VERSION" cmd
  [[ -f $dir/.complete ]] && return 0
  check_go
  log "building prometheus and promtool $PROMETHEUS_VERSION (a few minutes cold)"
  mkdir -p "$dir/src" "$dir/bin"
  printf 'module chatfleet.local/testenv/prometheus\n\ngo 1.26\n\nrequire github.com/prometheus/prometheus %s\n' \
    "$PROMETHEUS_VERSION" >"$dir/src/go.mod"
  for cmd in prometheus promtool; do
    (cd "$dir/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" \
      -o "$dir/bin/$cmd" "github.com/prometheus/prometheus/cmd/$cmd")
  done
  touch "$dir/.complete"
}

build_kafka() {
  local dir="$CACHE_ROOT/kafka-$KAFKA_VERSION-slf4j-$SLF4J_VERSION"
  [[ -f $dir/.complete ]] && return 0
  require_cmd java "Install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)."
  require_cmd mvn "Install Maven (apt-get install maven)."
  log "downloading Kafka $KAFKA_VERSION from Maven Central"
  mkdir -p "$dir/lib"
  sed -e "s/@KAFKA_VERSION@/$KAFKA_VERSION/" -e "s/@SCALA_VERSION@/$KAFKA_SCALA_VERSION/" \
    -e "s/@LOG4J_VERSION@/$LOG4J_VERSION/" -e "s/@SLF4J_VERSION@/$SLF4J_VERSION/" "$TESTENV_SRC/kafka-pom.xml" >"$dir/pom.xml"
  (cd "$dir" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib)
  touch "$dir/.complete"
}

main() {
  local components=("$@")
  [[ ${#components[@]} -eq 0 ]] && components=(apt etcd kubernetes kwok helm kafka prometheus)
  local c
  for c in "${components[@]}"; do
    case $c in
      apt) phase "install apt packages" ensure_packages base ;; # testenv/packages.txt
      etcd) phase "build etcd" build_etcd ;;
      kubernetes) phase "build kubernetes" build_kubernetes ;;
      kwok) phase "build kwok" build_kwok ;;
      helm) phase "build helm" build_helm ;;
      kafka) phase "download kafka" build_kafka ;;
      prometheus) phase "build prometheus" build_prometheus ;;
      realnode) phase "build real node" build_realnode ;; # real-node (issue 6); not in the default list
      *) die "unknown component '$c'" ;;
    esac
  done
  print_phases
}

main "$@"
