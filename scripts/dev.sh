#!/usr/bin/env bash
# npm run dev: the operator on the embedded test environment, in one command.
#   1. brings up the test environment (npm run testenv:up) unless it is already up;
#   2. installs the CRD from crds/;
#   3. starts the operator (npm start) against it, logs in .testenv/logs/operator-dev.log;
#   4. applies examples/ into the namespace chatfleet-dev;
#   5. prints how to watch the fleets.
# Ctrl-C stops what this script started: the operator, and the test environment only if this
# script brought it up. Environment: DEV_NAMESPACE (chatfleet-dev), CHATFLEET_HEALTH_PORT (8081).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NS=${DEV_NAMESPACE:-chatfleet-dev}
HEALTH_PORT=${CHATFLEET_HEALTH_PORT:-8081}
export PATH="$ROOT/node_modules/.bin:$PATH" # Node 24 and tsx, as npm scripts have them

log() { printf '[dev %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

env_is_up() {
  [[ -f .testenv/env ]] || return 1
  (set -a && source .testenv/env && kubectl get --raw /readyz >/dev/null 2>&1)
}

STARTED_ENV=false
OPERATOR_PID=
cleanup() {
  trap - INT TERM EXIT
  if [[ -n $OPERATOR_PID ]] && kill -0 "$OPERATOR_PID" 2>/dev/null; then
    log "stopping the operator (pid $OPERATOR_PID)"
    kill -TERM "$OPERATOR_PID" 2>/dev/null || true
    wait "$OPERATOR_PID" 2>/dev/null || true
  fi
  if $STARTED_ENV; then
    log "stopping the test environment this script started"
    npm run --silent testenv:down || true
  fi
}
trap cleanup INT TERM EXIT

if env_is_up; then
  log "test environment already up; leaving it running on exit"
else
  log "bringing up the test environment (npm run testenv:up)"
  STARTED_ENV=true
  npm run --silent testenv:up
fi
set -a
# shellcheck source=/dev/null
source .testenv/env
set +a

log "installing the CRD"
kubectl apply --server-side --force-conflicts -f crds/ >/dev/null
kubectl wait --for=condition=Established crd/chatbotdeployments.chatfleet.io --timeout=60s >/dev/null
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

mkdir -p .testenv/logs
OPERATOR_LOG=.testenv/logs/operator-dev.log
log "starting the operator (logs: $OPERATOR_LOG)"
node --import tsx operator/main.ts --lease-namespace="$NS" --health-port="$HEALTH_PORT" >"$OPERATOR_LOG" 2>&1 &
OPERATOR_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$HEALTH_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$OPERATOR_PID" 2>/dev/null || { tail -20 "$OPERATOR_LOG" >&2; log "the operator exited"; exit 1; }
  sleep 0.5
done

log "applying examples/ into namespace $NS"
kubectl apply -n "$NS" -f examples/

cat <<MSG

Chatfleet is running. In another terminal:
  export KUBECONFIG=$KUBECONFIG
  kubectl get cbd -n $NS -w                 # fleets: MODEL, DESIRED, READY, STATUS
  kubectl wait -n $NS --for=condition=Ready cbd --all --timeout=120s
  kubectl describe cbd -n $NS               # conditions and events
  kubectl get deploy,svc,pdb,pods -n $NS -l app.kubernetes.io/managed-by=chatfleet-operator
  tail -f $ROOT/$OPERATOR_LOG               # operator logs (JSON)
  curl -s localhost:$HEALTH_PORT/metrics | grep chatfleet_operator
Ctrl-C stops the operator$($STARTED_ENV && echo ' and the test environment').
MSG

wait "$OPERATOR_PID"
