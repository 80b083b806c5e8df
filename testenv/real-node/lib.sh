# Shared settings for the real node (kubelet + containerd + CNI + kube-proxy + CoreDNS).
# Sourced by real-node/up.sh and real-node/down.sh, never executed.
# shellcheck shell=bash
REAL_NODE_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$REAL_NODE_SRC/../lib.sh"

NODE_NAME=chatfleet-real-node
# Everything the node creates lives here, so down.sh knows exactly what is its own.
RN_DIR="$STATE_DIR/real-node"
RN_BIN="$CACHE_ROOT/realnode-$KUBERNETES_VERSION-crictl-$CRI_TOOLS_VERSION-coredns-$COREDNS_VERSION/bin"
KUBE_BIN="$CACHE_ROOT/kubernetes-$KUBERNETES_VERSION/bin"
PKI="$STATE_DIR/pki"
# Our own bridge and pod range: kwok hands out 10.200.0.0/16 to fake pods, so the real node
# takes a disjoint /24; the bridge address is also the node IP and the cluster DNS address.
BRIDGE=chatfleet0
POD_SUBNET=10.201.0.0/24
BRIDGE_IP=$REAL_NODE_BRIDGE_IP # 10.201.0.1, from ../lib.sh
# Every v1 hierarchy gets a child of this name; kubelet's cgroupRoot, so all pod cgroups are ours.
CGROUP_ROOT=chatfleet-real-node
CONTAINERD_SOCK="$RN_DIR/run/containerd.sock"
# containerd's root (content store, image snapshots, metadata) is a CACHE: it survives
# testenv:down so a warm start need not re-import ~700 MB of images. Containers, their
# mounts and all runtime state live under $RN_DIR and are removed by down.sh.
CONTAINERD_ROOT="$CACHE_ROOT/realnode-containerd-root"
LOCAL_IMAGE_PREFIX=localhost/chatfleet
PAUSE_IMAGE="$LOCAL_IMAGE_PREFIX/pause:busybox"

# Host sysctls that kubelet / CNI / kube-proxy change; up.sh saves them and down.sh restores them.
SAVED_SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom net.ipv4.conf.all.route_localnet)

# Real-node processes are recorded under $RN_DIR/pids (not $STATE_DIR/pids) so that a crashed
# kubelet never makes the lead's up.sh consider the whole control plane down.
rn() { STATE_DIR="$RN_DIR" "$@"; }
ADMIN_KUBECONFIG="$STATE_DIR/kubeconfig"
kubectl_admin() { "$KUBE_BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
crictl_rn() { "$RN_BIN/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" --image-endpoint "unix://$CONTAINERD_SOCK" "$@"; }
ctr_rn() { ctr --address "$CONTAINERD_SOCK" "$@"; }
real_node_started() { [[ -d $RN_DIR ]]; }
