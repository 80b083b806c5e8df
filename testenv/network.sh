#!/usr/bin/env bash
# The test environment's network fence: nothing a test, benchmark or demo sends may leave this
# machine for an address where no server of ours exists.
#
#   bash testenv/network.sh up      install the fence and the guard (idempotent; testenv:up runs it)
#   bash testenv/network.sh down    remove both (testenv:down runs it)
#   bash testenv/network.sh count   packets the guard caught leaving by the default interface
#   bash testenv/network.sh zero    reset the guard's counter (npm test does, before the suites)
#   bash testenv/network.sh check   print the count; exit 1 unless it is 0
#
# 1. The fence (filter table, OUTPUT and FORWARD): kwok hands fake pods IPs from $POD_CIDR and
#    Services get ClusterIPs from $SERVICE_CIDR; nothing of ours answers there, and by default
#    those packets would follow the default route off the machine. They are REJECTed locally
#    (TCP: reset, so connect() fails at once with ECONNREFUSED; other protocols: ICMP
#    host-unreachable). The rules sit in the filter table, which the kernel consults AFTER
#    kube-proxy's OUTPUT DNAT: a ClusterIP with real endpoints on the real node has already
#    been rewritten to a 10.201.0.0/24 pod address by then and passes; a ClusterIP with kwok
#    endpoints becomes a $POD_CIDR address and is rejected; one that nothing rewrites keeps its
#    ClusterIP and is rejected. (An `ip route unreachable` for the Service range would break
#    the first case: the host looks its route up before the DNAT. One for the pod range would
#    make the second case hang in SYN retries instead of failing at once.)
# 2. The guard (mangle POSTROUTING, default interface only): counts and DROPs every packet to
#    10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 that would leave by the default interface,
#    except DNS to the resolvers in /etc/resolv.conf (the package registries need names). The
#    real node's bridge (10.201.0.0/24) is not the default interface, so it is not affected.
#    A non-zero count means something tried; npm test fails on it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FENCE=CHATFLEET-FENCE
GUARD=CHATFLEET-EGRESS-GUARD
CAUGHT=CHATFLEET-EGRESS-CAUGHT
PRIVATE_RANGES=(10.0.0.0/8 172.16.0.0/12 192.168.0.0/16)

default_interface() { ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}'; }
resolvers() { awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ { print $2 }' /etc/resolv.conf 2>/dev/null; }

can_fence() { [[ $(id -u) -eq 0 ]] && command -v iptables >/dev/null 2>&1; }

ensure_chain() { # ensure_chain TABLE CHAIN: exists and is empty.
  iptables -t "$1" -N "$2" 2>/dev/null || iptables -t "$1" -F "$2"
}

ensure_jump() { # ensure_jump TABLE FROM TO [match...]: FROM's FIRST rule jumps to TO (moved there if needed).
  local table=$1 from=$2 to=$3
  shift 3
  while iptables -t "$table" -D "$from" "$@" -j "$to" 2>/dev/null; do :; done
  iptables -t "$table" -I "$from" 1 "$@" -j "$to"
}

install_fence() {
  local cidr
  ensure_chain filter "$FENCE"
  for cidr in "$POD_CIDR" "$SERVICE_CIDR"; do
    iptables -t filter -A "$FENCE" -d "$cidr" -p tcp -j REJECT --reject-with tcp-reset
    iptables -t filter -A "$FENCE" -d "$cidr" -j REJECT --reject-with icmp-host-unreachable
  done
  ensure_jump filter OUTPUT "$FENCE"
  ensure_jump filter FORWARD "$FENCE"
}

install_guard() {
  local ifc=$1 r cidr
  ensure_chain mangle "$CAUGHT"
  iptables -t mangle -A "$CAUGHT" -j DROP # its packet counter is the guard's count
  ensure_chain mangle "$GUARD"
  for r in $(resolvers); do
    iptables -t mangle -A "$GUARD" -d "$r/32" -p udp --dport 53 -j RETURN
    iptables -t mangle -A "$GUARD" -d "$r/32" -p tcp --dport 53 -j RETURN
  done
  for cidr in "${PRIVATE_RANGES[@]}"; do iptables -t mangle -A "$GUARD" -d "$cidr" -j "$CAUGHT"; done
  ensure_jump mangle POSTROUTING "$GUARD" -o "$ifc"
}

cmd_up() {
  # Without the fence, kwok's fake pod IPs would route off the machine (the autoscaler scrapes
  # every ready pod), so the environment does not start without it: see README.
  can_fence || die "the network fence needs root and iptables: run testenv:up as root" \
    "(kwok pod IPs in $POD_CIDR would otherwise route off this machine)"
  local ifc
  ifc=$(default_interface)
  install_fence
  if [[ -n $ifc ]]; then install_guard "$ifc"; else log "network guard: no default route, nothing can leave"; fi
  mkdir -p "$STATE_DIR"
  echo "${ifc:-none}" >"$STATE_DIR/network-fence"
  log "network fence up: $POD_CIDR and $SERVICE_CIDR rejected locally; guard on ${ifc:-(no default route)}"
}

remove_chain() { # remove_chain TABLE CHAIN PARENT...: unhook CHAIN from its parents, then delete it.
  local table=$1 chain=$2 parent rule
  shift 2
  for parent in "$@"; do
    while rule=$(iptables -t "$table" -S "$parent" 2>/dev/null | grep -- "-j $chain\$" | head -1) && [[ -n $rule ]]; do
      # shellcheck disable=SC2086 # the rule spec is split into iptables arguments on purpose
      iptables -t "$table" ${rule/-A /-D }
    done
  done
  iptables -t "$table" -F "$chain" 2>/dev/null || true
  iptables -t "$table" -X "$chain" 2>/dev/null || true
}

cmd_down() {
  can_fence || return 0
  remove_chain mangle "$GUARD" POSTROUTING
  remove_chain mangle "$CAUGHT" "$GUARD"
  remove_chain filter "$FENCE" OUTPUT FORWARD
  rm -f "$STATE_DIR/network-fence"
}

cmd_count() {
  if ! can_fence || ! iptables -t mangle -S "$CAUGHT" >/dev/null 2>&1; then echo "unavailable"; return 0; fi
  iptables -t mangle -L "$CAUGHT" -v -x -n | awk 'NR > 2 && $3 == "DROP" { n += $1 } END { print n + 0 }'
}

cmd_check() {
  local n
  n=$(cmd_count)
  case $n in
    0) log "egress guard: 0 packets to private ranges left (or tried to leave) by the default interface" ;;
    unavailable) log "egress guard: unavailable (not root or no iptables); nothing was counted" ;;
    *) log "ERROR: egress guard: $n packets tried to leave this machine for a private address; they were dropped." \
      "Find the sender: iptables -t mangle -L $GUARD -v -n"; return 1 ;;
  esac
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  count) cmd_count ;;
  zero) can_fence && iptables -t mangle -Z "$CAUGHT" 2>/dev/null || true ;;
  check) cmd_check ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
