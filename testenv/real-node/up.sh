#!/usr/bin/env bash
# Adds ONE real node to the running test environment: containerd + runc (Debian), the CNI
# bridge, kubelet, kube-proxy (iptables) and CoreDNS, all with state under .testenv/real-node.
#
#   npm run testenv:up -- --real-node          (or: bash testenv/real-node/up.sh [--no-build])
#
# The node is named chatfleet-real-node, labelled chatfleet.io/real-node=true and tainted
# chatfleet.io/real-node=true:NoSchedule so kwok-based tests never land on it by accident.
# Running it again while the node is up is a no-op. testenv/real-node/down.sh removes it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"

BUILD=true
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=false ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown option '$arg' (known: --no-build)" ;;
  esac
done

preflight() {
  [[ $(id -u) -eq 0 ]] || die "the real node needs root (network namespaces, mounts, cgroups, iptables)"
  [[ -f $STATE_DIR/env && -f $STATE_DIR/ports ]] || die "the control plane is not up: run npm run testenv:up first"
  [[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/cpu ]] ||
    die "the real node expects cgroup v1 controllers under /sys/fs/cgroup/<controller> (found none)"
  # shellcheck disable=SC1091
  source "$STATE_DIR/ports"
  [[ -n ${APISERVER_PORT:-} ]] || die "APISERVER_PORT missing from $STATE_DIR/ports"
}

subst() { # subst TEMPLATE OUT: fills @VAR@ placeholders from the shell variables of the same name.
  local line var
  cp "$1" "$2"
  for var in $(grep -o '@[A-Z_]*@' "$1" | sort -u | tr -d @); do
    sed -i "s|@$var@|${!var}|g" "$2"
  done
}

# ---------------------------------------------------------------- host setup -----
save_sysctls() {
  [[ -f $RN_DIR/sysctls.saved ]] && return 0
  local k
  for k in "${SAVED_SYSCTLS[@]}"; do
    [[ -e /proc/sys/${k//.//} ]] && echo "$k=$(sysctl -n "$k")"
  done >"$RN_DIR/sysctls.saved"
}

# Host folders the node's components create outside .testenv: containerd 1.6 hard-codes its
# shim sockets under /run/containerd/s and kubelet its log links in /var/log/containers.
# Record which did not exist, so down.sh removes those (if empty) and nothing else.
HOST_DIRS=(/run/containerd/s /run/containerd /var/log/containers)
record_host_dirs() {
  [[ -f $RN_DIR/host-dirs.created ]] && return 0
  local d
  for d in "${HOST_DIRS[@]}"; do [[ -e $d ]] || echo "$d"; done >"$RN_DIR/host-dirs.created"
}

setup_network() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    touch "$RN_DIR/bridge.created"
  fi
  ip addr replace "$BRIDGE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # The API server reaches kubelets by the node's Hostname address first (its default
  # --kubelet-preferred-address-types) and resolves it with the host resolver: name our node.
  grep -q "# chatfleet-real-node$" /etc/hosts || echo "$BRIDGE_IP $NODE_NAME # chatfleet-real-node" >>/etc/hosts
  # Pod -> ClusterIP -> pod on the same bridge needs bridged frames to traverse iptables.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
}

setup_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    [[ $(basename "$h") == unified ]] && continue
    mkdir -p "$h/$CGROUP_ROOT"
    if [[ -f $h/cpuset.cpus ]]; then   # a new v1 cpuset starts empty; inherit the parent's
      cat "$h/cpuset.cpus" >"$h/$CGROUP_ROOT/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$CGROUP_ROOT/cpuset.mems"
    fi
  done
}

# ---------------------------------------------------------------- certificates -----
issue_node_cert() { # issue_node_cert NAME SUBJECT: a client certificate signed by the test env CA.
  local name=$1 subject=$2
  [[ -f $RN_DIR/pki/$name.crt ]] && return 0
  openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$RN_DIR/pki/$name.key" \
    -out "$RN_DIR/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$RN_DIR/pki/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile <(echo "extendedKeyUsage=clientAuth") -out "$RN_DIR/pki/$name.crt" 2>/dev/null
  rm -f "$RN_DIR/pki/$name.csr"
}

write_rn_kubeconfig() {
  local name=$1
  cat >"$RN_DIR/$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: chatfleet-testenv
  cluster: { server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$PKI/ca.crt" }
users:
- name: $name
  user: { client-certificate: "$RN_DIR/pki/$name.crt", client-key: "$RN_DIR/pki/$name.key" }
contexts:
- name: chatfleet-testenv
  context: { cluster: chatfleet-testenv, user: $name }
current-context: chatfleet-testenv
KC
}

make_certs() {
  mkdir -p "$RN_DIR/pki"
  # Node authorizer + NodeRestriction recognise the kubelet by exactly this identity.
  issue_node_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  # The bootstrap ClusterRoleBinding system:node-proxier binds user system:kube-proxy.
  issue_node_cert kube-proxy "/CN=system:kube-proxy"
  issue_node_cert coredns "/CN=chatfleet:real-node:coredns"
  write_rn_kubeconfig kubelet
  write_rn_kubeconfig kube-proxy
  write_rn_kubeconfig coredns
}

# ---------------------------------------------------------------- containerd -----
start_containerd() {
  local RUNC CNI_BIN
  RUNC=$(command -v runc)
  CNI_BIN=/usr/lib/cni
  mkdir -p "$RN_DIR"/{run,containerd,cni/net.d,cni/ipam,images} "$CONTAINERD_ROOT"
  subst "$REAL_NODE_SRC/containerd.toml.in" "$RN_DIR/containerd.toml"
  subst "$REAL_NODE_SRC/cni.conflist.in" "$RN_DIR/cni/net.d/10-chatfleet.conflist"
  rn start_process containerd containerd --config "$RN_DIR/containerd.toml"
  wait_until_rn containerd 30 ctr_rn version
}

import_base_images() {
  local t
  bash "$REPO_ROOT/images/busybox.sh" "$RN_DIR/images"
  bash "$REPO_ROOT/images/redis.sh" "$RN_DIR/images"
  for t in pause busybox redis; do
    CONTAINERD_SOCK=$CONTAINERD_SOCK bash "$REPO_ROOT/images/import.sh" --tar "$RN_DIR/images/$t.tar"
  done
  # Images built earlier with `npm run images` (skipped when the cached store has them already).
  bash "$REPO_ROOT/images/import.sh" --if-built || true
}

# wait_until for processes recorded under $RN_DIR (logs in $RN_DIR/logs).
wait_until_rn() { rn wait_until "$@"; }

# ---------------------------------------------------------------- kubernetes Service -----
# The API server listens on 127.0.0.1 only and runs with --endpoint-reconciler-type none, so
# the `kubernetes` Service has no endpoint and a pod cannot reach 127.0.0.1 of the host. We
# forward <bridge IP>:<apiserver port> to it with socat (TLS passes through untouched; the
# serving certificate already names 10.96.0.1 and kubernetes.default.svc) and publish that
# address as the Service's EndpointSlice, so in-cluster clients (the operator) just work.
publish_apiserver_endpoint() {
  rn start_process apiserver-forward socat "TCP-LISTEN:$APISERVER_PORT,bind=$BRIDGE_IP,fork,reuseaddr" \
    "TCP:127.0.0.1:$APISERVER_PORT"
  wait_until_rn apiserver-forward 20 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    --resolve "kubernetes:$APISERVER_PORT:$BRIDGE_IP" "https://kubernetes:$APISERVER_PORT/readyz"
  kubectl_admin apply -f - >/dev/null <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-chatfleet-real-node
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
    chatfleet.io/real-node: "true"
    endpointslice.kubernetes.io/managed-by: chatfleet-real-node
addressType: IPv4
endpoints:
  - addresses: ["$BRIDGE_IP"]
    conditions: { ready: true }
ports:
  - { name: https, port: $APISERVER_PORT, protocol: TCP }
YAML
}

# ---------------------------------------------------------------- CoreDNS -----
# CoreDNS runs as a host process bound to the bridge address (the kubelet's clusterDNS), so
# it needs no image and answers pods directly.
start_coredns() {
  kubectl_admin apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "chatfleet:real-node:coredns", labels: { chatfleet.io/real-node: "true" } }
rules:
  - { apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "chatfleet:real-node:coredns", labels: { chatfleet.io/real-node: "true" } }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "chatfleet:real-node:coredns" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "chatfleet:real-node:coredns" }]
YAML
  subst "$REAL_NODE_SRC/Corefile.in" "$RN_DIR/Corefile"
  rn start_process coredns "$RN_BIN/coredns" -conf "$RN_DIR/Corefile"
  wait_until_rn coredns 30 dns_answers
}

dns_answers() {
  busybox nslookup kubernetes.default.svc.cluster.local "$BRIDGE_IP" 2>/dev/null | grep -q 'Address: 10.96.0.1$'
}

# ---------------------------------------------------------------- kubelet, kube-proxy -----
start_kubelet() {
  local KUBELET_PORT KUBELET_HEALTHZ_PORT
  pick_port KUBELET_PORT 10250
  pick_port KUBELET_HEALTHZ_PORT 10248
  mkdir -p "$RN_DIR"/{kubelet,pod-logs}
  subst "$REAL_NODE_SRC/kubelet-config.yaml.in" "$RN_DIR/kubelet-config.yaml"
  # No topology.kubernetes.io/zone label on purpose: a zoned-but-tainted node would count as
  # an empty zone in kwok tests' zone spread (nodeTaintsPolicy defaults to Ignore) and leave
  # their pods Pending under maxSkew 1 / DoNotSchedule.
  rn start_process kubelet "$RN_BIN/kubelet" --config "$RN_DIR/kubelet-config.yaml" \
    --kubeconfig "$RN_DIR/kubelet.kubeconfig" --root-dir "$RN_DIR/kubelet" --cert-dir "$RN_DIR/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$BRIDGE_IP" \
    --node-labels "chatfleet.io/real-node=true"
  echo "$KUBELET_HEALTHZ_PORT" >"$RN_DIR/kubelet.healthz-port"
  wait_until_rn kubelet 90 node_is_ready
}

node_is_ready() {
  [[ $(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

start_kube_proxy() {
  local PROXY_HEALTHZ_PORT PROXY_METRICS_PORT
  pick_port PROXY_HEALTHZ_PORT 10256
  pick_port PROXY_METRICS_PORT 10249
  subst "$REAL_NODE_SRC/kube-proxy-config.yaml.in" "$RN_DIR/kube-proxy-config.yaml"
  rn start_process kube-proxy "$RN_BIN/kube-proxy" --config "$RN_DIR/kube-proxy-config.yaml"
  wait_until_rn kube-proxy 60 curl -sf "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
}

write_env() {
  {
    echo "# Generated by testenv/real-node/up.sh. Source it after .testenv/env."
    echo "export CHATFLEET_REAL_NODE='$NODE_NAME'"
    echo "export CONTAINERD_ADDRESS='$CONTAINERD_SOCK'"
    echo "export CONTAINER_RUNTIME_ENDPOINT='unix://$CONTAINERD_SOCK'"
    echo "export IMAGE_SERVICE_ENDPOINT='unix://$CONTAINERD_SOCK'"
    echo "export PATH='$RN_BIN:'\"\$PATH\""
  } >"$RN_DIR/env"
}

node_is_up() {
  local p
  [[ -f $RN_DIR/env ]] || return 1
  for p in containerd kubelet kube-proxy coredns apiserver-forward; do rn is_running "$p" || return 1; done
}

main() {
  preflight
  if node_is_up; then log "real node $NODE_NAME is already up (source $RN_DIR/env)"; return 0; fi
  if real_node_started; then log "cleaning up a partly running real node"; bash "$REAL_NODE_SRC/down.sh"; fi
  phase "real node: apt packages" ensure_packages base real-node
  if $BUILD; then phase "real node: build/verify cache" bash "$TESTENV_SRC/build.sh" realnode >&2; fi
  mkdir -p "$RN_DIR"/{logs,pids}
  trap 'on_exit' EXIT
  save_sysctls
  record_host_dirs
  phase "real node: bridge + cgroups" setup_network
  setup_cgroups
  make_certs
  phase "real node: containerd" start_containerd
  phase "real node: base images" import_base_images
  phase "real node: apiserver endpoint" publish_apiserver_endpoint
  phase "real node: coredns" start_coredns
  phase "real node: kubelet" start_kubelet
  phase "real node: kube-proxy" start_kube_proxy
  write_env
  # kube-proxy put its chains first in OUTPUT/FORWARD; the fence goes back in front of them.
  phase "real node: network fence" bash "$TESTENV_SRC/network.sh" up
  STARTED=true
  print_phases
  log "real node $NODE_NAME is Ready (pods: taint chatfleet.io/real-node=true:NoSchedule; source $RN_DIR/env for crictl)"
}

STARTED=false
on_exit() {
  local rc=$?
  if ! $STARTED; then
    log "real node start failed; removing what it created (logs kept in $RN_DIR/logs)"
    bash "$REAL_NODE_SRC/down.sh" --keep-logs || true
    exit $((rc == 0 ? 1 : rc))
  fi
}

main
