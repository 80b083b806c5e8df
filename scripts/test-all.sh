#!/usr/bin/env bash
# `npm test`: every check CI runs, in order — static checks first (fast failures), then unit
# tests, then the real test environment for the integration and end-to-end suites.
# Brings the test environment up if it is not running, and tears it down afterwards only if it
# started it. Prints how long each phase took.
set -euo pipefail
cd "$(dirname "$0")/.."
source testenv/lib.sh

STARTED_TESTENV=false
cleanup() {
  local rc=$?
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

jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"; }

phase "lint" npm run --silent lint
phase "typecheck" npm run --silent typecheck
phase "generated types up to date" npm run --silent check:generated
phase "unit tests" jest --selectProjects unit
phase "test environment up" bring_up_testenv
set -a; source .testenv/env; set +a
phase "integration tests" jest --selectProjects integration --runInBand
phase "e2e tests" jest --selectProjects e2e --runInBand
