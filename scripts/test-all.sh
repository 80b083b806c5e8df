#!/usr/bin/env bash
# `npm test`: every check CI runs, in order — static checks first (fast failures), then unit
# tests, then the real test environment for the integration and end-to-end suites.
# Brings the test environment up if it is not running, and tears it down afterwards only if it
# started it. Prints how long each phase took.
set -euo pipefail
cd "$(dirname "$0")/.."
source testenv/lib.sh

STARTED_TESTENV=false
GUARD_ARMED=false
cleanup() {
  local rc=$?
  # Every packet the suites tried to send off the machine to a private address (testenv/network.sh).
  if $GUARD_ARMED; then bash testenv/network.sh check || rc=1; fi
  if $STARTED_TESTENV; then
    if [[ $rc -ne 0 ]]; then bash testenv/down.sh --keep-state || true; else bash testenv/down.sh || true; fi
  fi
  print_phases
  exit $rc
}
trap cleanup EXIT

bring_up_testenv() {
  if [[ -f .testenv/env ]] && bash -c 'source testenv/lib.sh; source testenv/processes.sh; environment_is_up'; then
    log "reusing the running test environment"
    bash testenv/up.sh --redis-cluster   # adds the cluster nodes if they are missing
  else
    STARTED_TESTENV=true
    bash testenv/up.sh --redis-cluster
  fi
}

real_node_suite() {
  local reason
  reason=$(real_node_unsupported_reason)
  if [[ -n $reason ]]; then
    log "real-node e2e: SKIPPED: $reason"
    return 0
  fi
  phase "real node up" bash testenv/up.sh --real-node
  phase "images (podman)" npm run --silent images
  phase "real-node e2e tests" jest --selectProjects real-node --runInBand
}

# --forceExit: a suite that leaves a handle open (a kafkajs or ioredis socket closing late)
# must not hang CI after every test has passed.
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js --forceExit "$@"; }

phase "lint" npm run --silent lint
phase "typecheck" npm run --silent typecheck
phase "generated types up to date" npm run --silent check:generated
phase "unit tests" jest --selectProjects unit
phase "test environment up" bring_up_testenv
bash testenv/network.sh zero
GUARD_ARMED=true
set -a; source .testenv/env; set +a
phase "integration tests" jest --selectProjects integration --runInBand
phase "e2e tests" jest --selectProjects e2e --runInBand
real_node_suite
