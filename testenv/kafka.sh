#!/usr/bin/env bash
# Stops or starts the test environment's Kafka broker in place (same port, same data), for
# tests that check behaviour while the broker is away: bash testenv/kafka.sh stop|start
# add-user NAME PASSWORD creates (or re-passwords) a SCRAM-SHA-512 user on the SASL listener;
# remove-user NAME deletes it. Both go through the PLAINTEXT listener, like an admin would.
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
    # The environment's SCRAM user (.testenv/env), asserted on every start: in a full npm test run
    # the user once failed to log in after tests had restarted the broker (cause not found; a
    # fresh broker keeps it across restarts), and the suites that use it must not depend on that.
    if [[ -f $STATE_DIR/kafka/scram-user ]]; then
      read -r user password <"$STATE_DIR/kafka/scram-user"
      "$0" add-user "$user" "$password"
    fi
    ;;
  add-user)
    [[ $# -eq 3 ]] || die "usage: kafka.sh add-user NAME PASSWORD"
    kafka_java kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
      --entity-type users --entity-name "$2" --add-config "SCRAM-SHA-512=[iterations=4096,password=$3]" >/dev/null
    ;;
  remove-user)
    [[ $# -eq 2 ]] || die "usage: kafka.sh remove-user NAME"
    kafka_java kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
      --entity-type users --entity-name "$2" --delete-config SCRAM-SHA-512 >/dev/null
    ;;
  *) die "usage: kafka.sh stop|start|add-user NAME PASSWORD|remove-user NAME" ;;
esac
