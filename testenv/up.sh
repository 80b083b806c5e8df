#!/usr/bin/env bash
# Starts the Chatfleet test environment: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok with 3 fake nodes in 3 zones, redis-server, a KRaft Kafka broker and
# (with --redis-cluster) 6 blank cluster-enabled redis-servers.
#
#   npm run testenv:up [-- --redis-cluster] [-- --no-build] [-- --real-node]
# (--real-node also adds one real kubelet+containerd node: testenv/real-node/up.sh)
#
# Writes .testenv/kubeconfig (admin) and .testenv/env (shell exports). Running it again while
# the environment is up is a no-op. `npm run testenv:down` stops exactly what this started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"

WANT_REDIS_CLUSTER=false
WANT_REAL_NODE=false
BUILD=true
for arg in "$@"; do
  case $arg in
    --redis-cluster) WANT_REDIS_CLUSTER=true ;;
    --no-build) BUILD=false ;;
    --real-node) WANT_REAL_NODE=true ;; # real-node (issue 6): see testenv/real-node/up.sh
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown option '$arg' (known: --redis-cluster, --no-build, --real-node)" ;;
  esac
done

KUBE_BIN="$CACHE_ROOT/kubernetes-$KUBERNETES_VERSION/bin"
ETCD_BIN="$CACHE_ROOT/etcd-$ETCD_VERSION/bin/etcd"
KWOK_DIR="$CACHE_ROOT/kwok-$KWOK_VERSION"
HELM_BIN="$CACHE_ROOT/helm-$HELM_VERSION/bin/helm"
KAFKA_LIB="$CACHE_ROOT/kafka-$KAFKA_VERSION-slf4j-$SLF4J_VERSION/lib"
KAFKA_SASL_SCRAM_USER=chatfleet-scram
KAFKA_SASL_PLAIN_USER=chatfleet-plain
PKI="$STATE_DIR/pki"

# ---------------------------------------------------------------- certificates -----
# A real PKI (CA, serving cert, admin client cert, service-account key) so the API server
# authenticates and authorizes exactly as in a cluster: RBAC really denies.
make_pki() {
  [[ -f $PKI/admin.crt ]] && return 0
  require_cmd openssl "Install it: apt-get install openssl"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=chatfleet-testenv-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    issue_cert apiserver "/CN=kube-apiserver" \
      "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    issue_cert admin "/O=system:masters/CN=testenv-admin" "extendedKeyUsage=clientAuth"
    issue_cert controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
    issue_cert scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
    issue_cert kwok "/O=system:masters/CN=kwok" "extendedKeyUsage=clientAuth"
    issue_cert prometheus "/CN=chatfleet:testenv:prometheus" "extendedKeyUsage=clientAuth"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

issue_cert() {
  local name=$1 subject=$2 ext=$3
  openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile <(echo "$ext") -out "$name.crt" 2>/dev/null
  rm -f "$name.csr"
}

write_kubeconfig() {
  local user=$1 file=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: chatfleet-testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
    client-certificate: $PKI/$user.crt
    client-key: $PKI/$user.key
contexts:
- name: chatfleet-testenv
  context: { cluster: chatfleet-testenv, user: $user }
current-context: chatfleet-testenv
EOF
}

# ---------------------------------------------------------------- control plane -----
start_etcd() {
  pick_port ETCD_PORT 12379
  local peer
  pick_port peer $((ETCD_PORT + 1))
  start_process etcd "$ETCD_BIN" --name testenv --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "testenv=http://127.0.0.1:$peer" --unsafe-no-fsync --quota-backend-bytes=4294967296
  wait_until etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
}

# Audit log (issue 14, split-brain test): Metadata-level events for the writes the operator makes
# and for Leases, so a test can prove which identity wrote what, and when (requestReceivedTimestamp,
# user, userAgent). Node heartbeat Leases (kube-node-lease) are left out: they are only noise.
write_audit_policy() {
  cat >"$STATE_DIR/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    namespaces: [kube-node-lease]
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
    resources:
      - { group: "", resources: [services, configmaps, serviceaccounts, secrets] }
      - { group: apps, resources: [deployments, statefulsets] }
      - { group: policy, resources: [poddisruptionbudgets] }
      - { group: rbac.authorization.k8s.io, resources: [roles, rolebindings] }
      - { group: events.k8s.io, resources: [events] }
      - { group: chatfleet.io, resources: [chatbotdeployments, chatbotdeployments/status, chatbotdeployments/finalizers] }
      - { group: coordination.k8s.io, resources: [leases] }
  - level: None
YAML
}

start_apiserver() {
  pick_port APISERVER_PORT 16443
  write_audit_policy
  # PodSecurity is among the default admission plugins; RBAC is on; the endpoint reconciler is
  # off because 127.0.0.1 is not a valid endpoint address for the kubernetes Service.
  start_process kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$APISERVER_PORT" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --authorization-mode Node,RBAC --allow-privileged=true \
    --service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type none \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --enable-admission-plugins NodeRestriction --profiling=false \
    --audit-policy-file "$STATE_DIR/audit-policy.yaml" --audit-log-path "$STATE_DIR/audit.log" \
    --audit-log-format json --audit-log-maxsize 100 --audit-log-maxbackup 3
  wait_until kube-apiserver 60 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz"
}

start_controller_manager() {
  local port
  pick_port port 10257
  write_kubeconfig controller-manager "$STATE_DIR/controller-manager.kubeconfig"
  start_process kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$STATE_DIR/controller-manager.kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port "$port" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true --controllers '*' --concurrent-deployment-syncs 10 \
    --concurrent-replicaset-syncs 10 --concurrent-gc-syncs 20 --kube-api-qps 200 --kube-api-burst 400
  wait_until kube-controller-manager 60 curl -skf "https://127.0.0.1:$port/healthz"
}

start_scheduler() {
  local port
  pick_port port 10259
  write_kubeconfig scheduler "$STATE_DIR/scheduler.kubeconfig"
  start_process kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$STATE_DIR/scheduler.kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port "$port" --kube-api-qps 200 --kube-api-burst 400
  wait_until kube-scheduler 60 curl -skf "https://127.0.0.1:$port/healthz"
}

# kwok simulates the kubelet of nodes annotated kwok.x-k8s.io/node=fake: nodes turn Ready,
# pods turn Running/Ready, so Deployments really become Available.
start_kwok() {
  local stages=() s
  for s in node-initialize node-heartbeat-with-lease pod-ready pod-complete pod-delete; do
    stages+=(-c "$KWOK_DIR/stages/$s.yaml")
  done
  write_kubeconfig kwok "$STATE_DIR/kwok.kubeconfig"
  local kwok_port
  pick_port kwok_port 10247
  start_process kwok "$KWOK_DIR/bin/kwok" --kubeconfig "$STATE_DIR/kwok.kubeconfig" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --cidr "$POD_CIDR" \
    --node-lease-duration-seconds 40 --server-address "127.0.0.1:$kwok_port" "${stages[@]}"
  "$KUBE_BIN/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" apply -f "$TESTENV_SRC/kwok-nodes.yaml" >/dev/null
  wait_until kwok-nodes 60 nodes_ready 3
}

nodes_ready() {
  local ready
  ready=$("$KUBE_BIN/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)
  [[ $ready -ge $1 ]]
}

# ---------------------------------------------------------------- redis and kafka -----
start_redis() {
  pick_port REDIS_PORT 16379
  mkdir -p "$STATE_DIR/redis"
  save_ports
  "$TESTENV_SRC/redis.sh" start
}

start_redis_cluster() {
  local i port nodes=()
  for i in 1 2 3 4 5 6; do
    pick_port port $((17000 + i))
    mkdir -p "$STATE_DIR/redis-cluster/$port"
    start_process "redis-cluster-$i" redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$STATE_DIR/redis-cluster/$port/nodes.conf" --dir "$STATE_DIR/redis-cluster/$port" \
      --save '' --appendonly no --protected-mode no --cluster-node-timeout 5000
    nodes+=("127.0.0.1:$port")
  done
  for port in "${nodes[@]}"; do
    wait_until "redis-cluster $port" 20 redis-cli -p "${port##*:}" ping
  done
  REDIS_CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")
}

start_kafka() {
  pick_port KAFKA_PORT 19092
  pick_port KAFKA_CONTROLLER_PORT 19093
  pick_port KAFKA_POD_PORT 19094
  pick_port KAFKA_SASL_PORT 19095
  mkdir -p "$STATE_DIR/kafka"
  save_ports
  # Fresh per environment; written to .testenv/env for the tests (never to anything committed).
  KAFKA_SASL_PLAIN_PASSWORD=$(openssl rand -hex 16)
  KAFKA_SASL_SCRAM_PASSWORD=$(openssl rand -hex 16)
  sed -e "s/@PORT@/$KAFKA_PORT/g" -e "s/@CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT/g" \
    -e "s/@POD_PORT@/$KAFKA_POD_PORT/g" -e "s/@POD_HOST@/$REAL_NODE_BRIDGE_IP/g" \
    -e "s/@SASL_PORT@/$KAFKA_SASL_PORT/g" -e "s/@PLAIN_USER@/$KAFKA_SASL_PLAIN_USER/g" \
    -e "s/@PLAIN_PASSWORD@/$KAFKA_SASL_PLAIN_PASSWORD/g" \
    -e "s|@LOG_DIR@|$STATE_DIR/kafka/data|g" "$TESTENV_SRC/kafka/server.properties" >"$STATE_DIR/kafka/server.properties"
  cp "$TESTENV_SRC/kafka/log4j2.yaml" "$STATE_DIR/kafka/log4j2.yaml"
  if [[ ! -f $STATE_DIR/kafka/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$STATE_DIR/kafka/server.properties" >"$STATE_DIR/logs/kafka-format.log" 2>&1 ||
      { tail -n 30 "$STATE_DIR/logs/kafka-format.log" >&2; die "kafka storage format failed"; }
  fi
  # kafka.sh start (re)asserts this user on every start, here and when a test restarts the broker.
  (umask 077 && printf '%s %s\n' "$KAFKA_SASL_SCRAM_USER" "$KAFKA_SASL_SCRAM_PASSWORD" >"$STATE_DIR/kafka/scram-user")
  "$TESTENV_SRC/kafka.sh" start
}

# ---------------------------------------------------------------- prometheus -----
PROMETHEUS_DIR="$CACHE_ROOT/prometheus-$PROMETHEUS_VERSION"

# Prometheus scrapes what tests register as file_sd targets (loopback processes) and the bot
# pods on the real node, found with its own identity, which may only read pods.
start_prometheus() {
  pick_port PROMETHEUS_PORT 19090
  local dir="$STATE_DIR/prometheus"
  mkdir -p "$dir/targets" "$dir/data"
  write_kubeconfig prometheus "$dir/kubeconfig"
  "$KUBE_BIN/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "chatfleet:testenv:prometheus" }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "chatfleet:testenv:prometheus" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "chatfleet:testenv:prometheus" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "chatfleet:testenv:prometheus" }]
YAML
  sed -e "s|@TARGETS_DIR@|$dir/targets|g" -e "s|@KUBECONFIG@|$dir/kubeconfig|g" \
    "$TESTENV_SRC/prometheus/prometheus.yml.in" >"$dir/prometheus.yml"
  start_process prometheus "$PROMETHEUS_DIR/bin/prometheus" --config.file "$dir/prometheus.yml" \
    --storage.tsdb.path "$dir/data" --storage.tsdb.retention.time 2h \
    --web.listen-address "127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
  wait_until prometheus 60 curl -sf "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
}

# ---------------------------------------------------------------- main -----
write_env_file() {
  {
    echo "# Generated by testenv/up.sh. Source it: source .testenv/env"
    echo "export KUBECONFIG='$STATE_DIR/kubeconfig'"
    echo "export KUBECTL='$KUBE_BIN/kubectl'"
    echo "export HELM='$HELM_BIN'"
    echo "export REDIS_URL='redis://127.0.0.1:$REDIS_PORT'"
    [[ -n ${REDIS_CLUSTER_NODES:-} ]] && echo "export REDIS_CLUSTER_NODES='$REDIS_CLUSTER_NODES'"
    echo "export KAFKA_BROKERS='127.0.0.1:$KAFKA_PORT'"
    # The SASL_PLAINTEXT listener: one SCRAM-SHA-512 user and one PLAIN user (more: kafka.sh add-user).
    echo "export KAFKA_SASL_BROKERS='127.0.0.1:$KAFKA_SASL_PORT'"
    echo "export KAFKA_SASL_SCRAM_USER='$KAFKA_SASL_SCRAM_USER'"
    echo "export KAFKA_SASL_SCRAM_PASSWORD='$KAFKA_SASL_SCRAM_PASSWORD'"
    echo "export KAFKA_SASL_PLAIN_USER='$KAFKA_SASL_PLAIN_USER'"
    echo "export KAFKA_SASL_PLAIN_PASSWORD='$KAFKA_SASL_PLAIN_PASSWORD'"
    # API server audit log (JSON lines, rotated at 100 MB; see write_audit_policy).
    echo "export KUBE_AUDIT_LOG='$STATE_DIR/audit.log'"
    # What pods on the real node use (the broker's PODS listener on the node's bridge address).
    echo "export KAFKA_POD_BROKERS='$REAL_NODE_BRIDGE_IP:$KAFKA_POD_PORT'"
    prometheus_env_lines
    echo "export PATH='$KUBE_BIN:$(dirname "$HELM_BIN"):'\"\$PATH\""
  } >"$STATE_DIR/env"
}

# Ports the helper scripts (kafka.sh, redis.sh) need to restart a component in place.
save_ports() {
  {
    echo "KAFKA_PORT=${KAFKA_PORT:-}"
    echo "KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-}"
    echo "KAFKA_POD_PORT=${KAFKA_POD_PORT:-}"
    echo "KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-}"
    echo "REDIS_PORT=${REDIS_PORT:-}"
    echo "APISERVER_PORT=${APISERVER_PORT:-}"
  } >"$STATE_DIR/ports"
}

prometheus_env_lines() {
  echo "export PROMETHEUS_URL='http://127.0.0.1:$PROMETHEUS_PORT'"
  # tests register loopback processes for Prometheus to scrape: one file_sd JSON file each
  echo "export PROMETHEUS_TARGETS_DIR='$STATE_DIR/prometheus/targets'"
  echo "export PROMTOOL='$PROMETHEUS_DIR/bin/promtool'"
}

# An environment started before Prometheus was part of it gets it added in place.
add_prometheus_to_running_env() {
  # shellcheck disable=SC1091
  source "$STATE_DIR/ports"
  [[ -f $PKI/prometheus.crt ]] || (cd "$PKI" && issue_cert prometheus "/CN=chatfleet:testenv:prometheus" "extendedKeyUsage=clientAuth")
  start_prometheus
  grep -v PROMETHEUS_ "$STATE_DIR/env" | grep -v PROMTOOL >"$STATE_DIR/env.new" || true
  prometheus_env_lines >>"$STATE_DIR/env.new"
  mv "$STATE_DIR/env.new" "$STATE_DIR/env"
}

add_redis_cluster_to_running_env() {
  start_redis_cluster
  grep -v REDIS_CLUSTER_NODES "$STATE_DIR/env" >"$STATE_DIR/env.new" || true
  echo "export REDIS_CLUSTER_NODES='$REDIS_CLUSTER_NODES'" >>"$STATE_DIR/env.new"
  mv "$STATE_DIR/env.new" "$STATE_DIR/env"
}

main() {
  if environment_is_up; then
    if ! is_running prometheus; then
      log "environment is up; adding Prometheus"
      $BUILD && bash "$TESTENV_SRC/build.sh" prometheus >&2
      add_prometheus_to_running_env
    fi
    if $WANT_REDIS_CLUSTER && ! grep -q REDIS_CLUSTER_NODES "$STATE_DIR/env"; then
      log "environment is up; adding the Redis Cluster nodes"
      add_redis_cluster_to_running_env
    else
      log "environment is already up (source $STATE_DIR/env); nothing to do"
      bash "$TESTENV_SRC/network.sh" up
    fi
    return 0
  fi
  [[ -d $STATE_DIR/pids ]] && { log "cleaning up a partly running environment"; "$TESTENV_SRC/down.sh"; }
  ensure_packages base # testenv/packages.txt
  if $BUILD; then phase "build/verify cache" bash "$TESTENV_SRC/build.sh" >&2; fi
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR/logs" "$STATE_DIR/pids"
  trap 'on_exit' EXIT
  phase "network fence" bash "$TESTENV_SRC/network.sh" up
  phase "pki" make_pki
  phase "etcd" start_etcd
  phase "kube-apiserver" start_apiserver
  write_kubeconfig admin "$STATE_DIR/kubeconfig"
  phase "kube-controller-manager" start_controller_manager
  phase "kube-scheduler" start_scheduler
  phase "redis" start_redis
  if $WANT_REDIS_CLUSTER; then phase "redis cluster (6 nodes)" start_redis_cluster; fi
  phase "kafka" start_kafka
  phase "kwok + nodes" start_kwok
  phase "prometheus" start_prometheus
  write_env_file
  STARTED=true
  print_phases
  log "up. Use it from a shell: source $STATE_DIR/env; kubectl get nodes -L topology.kubernetes.io/zone"
}

STARTED=false
# Any failure after the first process started: stop everything (keeping the logs) and fail.
on_exit() {
  local rc=$?
  if ! $STARTED; then
    log "start failed; stopping what was started (logs stay in $STATE_DIR/logs)"
    "$TESTENV_SRC/down.sh" --keep-state || true
    exit $((rc == 0 ? 1 : rc))
  fi
}

# >>> real-node (issue 6): add the real node on top of the (possibly already running) environment.
start_real_node() {
  local args=()
  $BUILD || args+=(--no-build)
  bash "$TESTENV_SRC/real-node/up.sh" "${args[@]}"
}
# <<< real-node

main
if $WANT_REAL_NODE; then start_real_node; fi # real-node (issue 6)
