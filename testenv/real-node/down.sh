#!/usr/bin/env bash
# Removes the real node and everything it created, and only that: its pods and containers
# (and their mounts, veths and network namespaces), containerd/kubelet/kube-proxy/CoreDNS and
# the apiserver forwarder, kube-proxy's and the CNI plugin's iptables rules, the chatfleet0
# bridge, the chatfleet-real-node cgroups, the Node object and the host sysctls it changed.
#   bash testenv/real-node/down.sh [--keep-logs]      (testenv/down.sh calls it first)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"

KEEP_LOGS=false
[[ ${1:-} == --keep-logs ]] && KEEP_LOGS=true

# shellcheck disable=SC2046 # the ID lists are meant to split into words
remove_pods() {
  [[ -S $CONTAINERD_SOCK ]] && rn is_running containerd || return 0
  # Stopping a sandbox runs CNI DEL: that frees the IP and removes the veth and the CNI
  # plugin's masquerade rules; removing it unmounts its network namespace.
  crictl_rn --timeout 20s stopp $(crictl_rn pods -q 2>/dev/null) >/dev/null 2>&1 || true
  crictl_rn --timeout 20s rmp -f $(crictl_rn pods -q 2>/dev/null) >/dev/null 2>&1 || true
  local ns task
  for ns in $(ctr_rn namespaces ls -q 2>/dev/null); do   # containers made by `ctr run` in tests
    for task in $(ctr_rn -n "$ns" tasks ls -q 2>/dev/null); do ctr_rn -n "$ns" tasks kill -s KILL "$task" >/dev/null 2>&1 || true; done
    sleep 0.5
    for task in $(ctr_rn -n "$ns" tasks ls -q 2>/dev/null); do ctr_rn -n "$ns" tasks rm -f "$task" >/dev/null 2>&1 || true; done
    ctr_rn -n "$ns" containers rm $(ctr_rn -n "$ns" containers ls -q 2>/dev/null) >/dev/null 2>&1 || true
  done
}

# containerd shims outlive containerd by design; ours are the ones given our socket address.
stop_leftover_shims() {
  local pid
  for pid in $(pgrep -f containerd-shim-runc-v2 || true); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-address $CONTAINERD_SOCK" && kill -KILL "$pid" 2>/dev/null || true
  done
}

cleanup_iptables() {
  # kube-proxy removes every chain and rule it created (KUBE-*) in all its modes.
  [[ -x $RN_BIN/kube-proxy ]] && "$RN_BIN/kube-proxy" --cleanup --v=0 >/dev/null 2>&1 || true
  # kubelet adds KUBE-FIREWALL (filter INPUT/OUTPUT) and the KUBE-IPTABLES-HINT /
  # KUBE-KUBELET-CANARY chains whatever its config says; --cleanup leaves them. No other
  # component on this host creates KUBE-* chains, so sweep them all.
  local table rule chain
  for table in filter nat mangle; do
    while read -r rule; do
      eval "iptables -t $table ${rule/-A/-D}" 2>/dev/null || true
    done < <(iptables -t "$table" -S 2>/dev/null | grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j KUBE-' || true)
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  # Leftover CNI masquerade rules (if a sandbox could not be stopped) carry our network name.
  while read -r rule; do
    chain=$(sed -n 's/.*-j \(CNI-[^ ]*\).*/\1/p' <<<"$rule")
    eval "iptables -t nat ${rule/-A/-D}" 2>/dev/null || true
    iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null || true
  done < <(iptables -t nat -S POSTROUTING 2>/dev/null | grep -F 'name: \"chatfleet-real-node\"' || true)
}

unmount_all() {
  local m
  # Deepest first; lazy, so a busy mount cannot block the rest.
  # (Pod sandboxes' /dev/shm mounts sit in containerd's root, which lives in the cache.)
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v d="$RN_DIR" -v r="$CONTAINERD_ROOT" \
    'index($5, d) == 1 || index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r)
}

remove_cgroups() {
  local h pids
  # Container processes whose shim was already gone (e.g. a killed containerd) stay in our
  # cgroups and would pin them; everything under our cgroup root is ours to stop.
  pids=$(find /sys/fs/cgroup/*/"$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  if [[ -n $pids ]]; then
    log "  stopping $(echo "$pids" | wc -l) leftover container processes"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 1
  fi
  for h in /sys/fs/cgroup/*/"$CGROUP_ROOT"; do
    [[ -d $h ]] || continue
    find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d $h ]] && log "  could not remove cgroup $h (a process is still in it)"
  done
  return 0
}

restore_sysctls() {
  [[ -f $RN_DIR/sysctls.saved ]] || return 0
  local kv
  while read -r kv; do sysctl -qw "$kv" 2>/dev/null || true; done <"$RN_DIR/sysctls.saved"
}

remove_api_objects() {
  [[ -f $ADMIN_KUBECONFIG ]] || return 0
  kubectl_admin --request-timeout 10s delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl_admin --request-timeout 10s -n default delete endpointslice kubernetes-chatfleet-real-node --ignore-not-found >/dev/null 2>&1 || true
  kubectl_admin --request-timeout 10s delete clusterrolebinding,clusterrole -l chatfleet.io/real-node=true --ignore-not-found >/dev/null 2>&1 || true
}

main() {
  real_node_started || return 0
  log "removing the real node $NODE_NAME"
  rn stop_process kubelet        # first, so it does not restart the pods we remove
  remove_pods
  rn stop_process containerd
  stop_leftover_shims
  rn stop_process kube-proxy
  rn stop_process coredns
  rn stop_process apiserver-forward
  cleanup_iptables
  unmount_all
  [[ -f $RN_DIR/bridge.created ]] && ip link del "$BRIDGE" 2>/dev/null || true
  remove_cgroups
  restore_sysctls
  sed -i '/# chatfleet-real-node$/d' /etc/hosts
  # kubelet links /var/log/containers/* to the pod logs under our folder.
  find /var/log/containers -maxdepth 1 -type l -lname "$RN_DIR/*" -delete 2>/dev/null || true
  remove_api_objects
  if [[ -f $RN_DIR/host-dirs.created ]]; then
    while read -r d; do rmdir "$d" 2>/dev/null || true; done <"$RN_DIR/host-dirs.created"
  fi
  if $KEEP_LOGS; then
    find "$RN_DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null || true
  else
    rm -rf "$RN_DIR"
  fi
  log "real node removed"
}

main
