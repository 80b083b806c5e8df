#!/usr/bin/env bash
# Stops or starts the test environment's Kafka broker in place (same port, same data), for
# tests that check behaviour while the broker is away: bash testenv/kafka.sh stop|start
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"
source "$STATE_DIR/ports"
KAFKA_LIB="$CACHE_ROOT/kafka-$KAFKA_VERSION-slf4j-$SLF4J_VERSION/lib"

case ${1:-} in
  stop) stop_process kafka ;;
  start)
    is_running kafka && exit 0
    start_process kafka java -Xms256m -Xmx512m -XX:+UseG1GC \
      -Dlog4j2.configurationFile="$STATE_DIR/kafka/log4j2.yaml" -cp "$KAFKA_LIB/*" \
      kafka.Kafka "$STATE_DIR/kafka/server.properties"
    wait_until kafka 90 kafka_is_ready
    ;;
  *) die "usage: kafka.sh stop|start" ;;
esac
