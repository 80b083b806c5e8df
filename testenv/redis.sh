#!/usr/bin/env bash
# Stops or starts the test environment's standalone redis-server in place (same port), for
# tests that check behaviour while Redis is away: bash testenv/redis.sh stop|start
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"
source "$STATE_DIR/ports"

case ${1:-} in
  stop) stop_process redis ;;
  start)
    is_running redis && exit 0
    start_process redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$STATE_DIR/redis" --protected-mode no
    wait_until redis 20 redis-cli -p "$REDIS_PORT" ping
    ;;
  *) die "usage: redis.sh stop|start" ;;
esac
