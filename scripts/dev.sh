#!/usr/bin/env bash
# npm run dev: the product's demo on the embedded test environment, in one command.
#   1. brings up the test environment (npm run testenv:up), with the real node where the machine
#      supports it (root, cgroup v1, apt);
#   2. builds the bot-runtime image and imports it into the real node (npm run images);
#   3. installs the CRD and starts the operator (logs in .testenv/logs/operator-dev.log);
#   4. applies the demo fleet (examples/demo/) into the namespace chatfleet-dev, waits until it is
#      Ready and chats with it once;
#   5. prints what to try next.
# Where the real node cannot run it says why and falls back to kwok nodes: fleets become Ready
# there, but pods run nothing, so there is nothing to chat with.
# Ctrl-C stops what this script started: the operator, and the test environment only if this
# script brought it up. Environment: DEV_NAMESPACE (chatfleet-dev), CHATFLEET_HEALTH_PORT (8081).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NS=${DEV_NAMESPACE:-chatfleet-dev}
HEALTH_PORT=${CHATFLEET_HEALTH_PORT:-8081}
export PATH="$ROOT/node_modules/.bin:$PATH" # Node 24 and tsx, as npm scripts have them
source testenv/lib.sh

dev_log() { printf '[dev %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T0=$SECONDS

env_is_up() {
  [[ -f .testenv/env ]] || return 1
  (set -a && source .testenv/env && kubectl get --raw /readyz >/dev/null 2>&1)
}

STARTED_ENV=false
OPERATOR_PID=
cleanup() {
  trap - INT TERM EXIT
  if [[ -n $OPERATOR_PID ]] && kill -0 "$OPERATOR_PID" 2>/dev/null; then
    dev_log "stopping the operator (pid $OPERATOR_PID)"
    kill -TERM "$OPERATOR_PID" 2>/dev/null || true
    wait "$OPERATOR_PID" 2>/dev/null || true
  fi
  bash testenv/network.sh check || true
  if $STARTED_ENV; then
    dev_log "stopping the test environment this script started"
    npm run --silent testenv:down || true
  fi
}
trap cleanup INT TERM EXIT

REAL_NODE_WHY=$(real_node_unsupported_reason)
UP_ARGS=()
[[ -z $REAL_NODE_WHY ]] && UP_ARGS+=(--real-node)
if env_is_up; then
  dev_log "test environment already up; leaving it running on exit"
  npm run --silent testenv:up -- "${UP_ARGS[@]}" # adds the real node if it is missing
else
  dev_log "bringing up the test environment (npm run testenv:up -- ${UP_ARGS[*]})"
  STARTED_ENV=true
  npm run --silent testenv:up -- "${UP_ARGS[@]}"
fi
bash testenv/network.sh zero
set -a
# shellcheck source=/dev/null
source .testenv/env
set +a
if [[ -z $REAL_NODE_WHY ]]; then
  dev_log "building the bot-runtime image (npm run images -- bot-runtime)"
  npm run --silent images -- bot-runtime
fi

dev_log "installing the CRD"
kubectl apply --server-side --force-conflicts -f crds/ >/dev/null
kubectl wait --for=condition=Established crd/chatbotdeployments.chatfleet.io --timeout=60s >/dev/null
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

start_operator() {
  mkdir -p .testenv/logs
  OPERATOR_LOG=.testenv/logs/operator-dev.log
  dev_log "starting the operator (logs: $OPERATOR_LOG)"
  node --import tsx operator/main.ts --lease-namespace="$NS" --health-port="$HEALTH_PORT" >"$OPERATOR_LOG" 2>&1 &
  OPERATOR_PID=$!
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$HEALTH_PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$OPERATOR_PID" 2>/dev/null || { tail -20 "$OPERATOR_LOG" >&2; dev_log "the operator exited"; exit 1; }
    sleep 0.5
  done
  dev_log "the operator did not become ready in 60 s; see $OPERATOR_LOG"
  exit 1
}

apply_demo() {
  local v
  for v in v1 v2; do
    kubectl create configmap "demo-bundle-$v" -n "$NS" --from-file=bundle.json="examples/demo/bundle-$v.json" \
      --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  done
  sed "s|@KAFKA_POD_BROKERS@|$KAFKA_POD_BROKERS|" examples/demo/chatbotdeployment.yaml | kubectl apply -n "$NS" -f -
  dev_log "waiting for the demo fleet to be Ready (kubectl get cbd -n $NS -w shows it)"
  kubectl wait -n "$NS" --for=condition=Ready cbd/demo --timeout=300s >/dev/null ||
    { kubectl describe cbd -n "$NS" demo | tail -30 >&2; dev_log "the demo fleet is not Ready after 300 s"; exit 1; }
  # kube-proxy programs the Service a moment after the endpoints turn Ready.
  local i
  for i in $(seq 1 20); do
    npm run --silent chat -- --namespace "$NS" "where is my order" 2>/dev/null && break
    ((i == 20)) && { dev_log "the demo fleet does not answer chat"; exit 1; }
    sleep 1
  done
  dev_log "first chat reply $((SECONDS - T0)) s after npm run dev started"
}

print_demo_help() {
  cat <<MSG

Chatfleet is running: fleet demo in namespace $NS, on the real node. In another terminal:
  export KUBECONFIG=$KUBECONFIG   # for kubectl and npm run chatfleet (chat and load find it alone)
  npm run chat                                   # chat with the fleet over WebSocket (empty line ends)
  npm run chat -- "where is my order"            # one turn: prints the reply, exits 0
  source .testenv/env; kubectl get cbd -n $NS -w    # the fleet: model, replicas, SLO, rollout
  npm run load -- --rps 300 --duration 120       # load: rate, p50, p99, and replicas as the autoscaler acts
  kubectl patch cbd demo -n $NS --type merge -p '{"spec":{"model":{"version":"v2","bundleConfigMap":"demo-bundle-v2"}}}'
                                                 # a model rollout to v2 (canary by new conversations)
  npm run chatfleet -- rollout status demo -n $NS --watch   # follow the rollout
  tail -f $ROOT/$OPERATOR_LOG                    # operator logs (JSON)
Ctrl-C stops the operator$($STARTED_ENV && echo ' and the test environment').
MSG
}

print_kwok_help() {
  cat <<MSG

Chatfleet is running in kwok mode: the real node cannot run here ($REAL_NODE_WHY).
Fleets become Ready on simulated nodes, but their pods run nothing: chat, load and rollouts
need the real node and are unavailable. In another terminal:
  source .testenv/env && kubectl get cbd -n $NS -w
  kubectl describe cbd -n $NS               # conditions and events
  tail -f $ROOT/$OPERATOR_LOG               # operator logs (JSON)
Ctrl-C stops the operator$($STARTED_ENV && echo ' and the test environment').
MSG
}

start_operator
if [[ -z $REAL_NODE_WHY ]]; then
  apply_demo
  print_demo_help
else
  dev_log "no real node: $REAL_NODE_WHY; falling back to kwok nodes (pods do not run, chat is unavailable)"
  kubectl apply -n "$NS" -f examples/
  print_kwok_help
fi

wait "$OPERATOR_PID"
