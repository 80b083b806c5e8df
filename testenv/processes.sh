# Process bookkeeping for the test environment: every process we start is recorded as
# "pid starttime" in $STATE_DIR/pids/<name>.pid, so down.sh stops exactly those processes and
# never a stranger that happens to reuse a pid. Sourced, never executed.
# shellcheck shell=bash

declare -a PICKED_PORTS=()

# pick_port VAR PREFERRED: sets VAR to the first port from PREFERRED upwards that nothing
# listens on and that this run has not handed out already. It assigns instead of printing:
# inside $(...) the list of ports already handed out would be lost between calls, and two
# components could get the same port when the preferred ones are busy.
pick_port() {
  local -n _pick_port_out=$1 # names below must not collide with the caller's variable
  local _pick_port_candidate=$2
  while ss -Hltn "sport = :$_pick_port_candidate" | grep -q . ||
    [[ " ${PICKED_PORTS[*]} " == *" $_pick_port_candidate "* ]]; do
    _pick_port_candidate=$((_pick_port_candidate + 1))
  done
  PICKED_PORTS+=("$_pick_port_candidate")
  _pick_port_out=$_pick_port_candidate
}

process_start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

start_process() {
  local name=$1; shift
  local logfile="$STATE_DIR/logs/$name.log"
  nohup "$@" >"$logfile" 2>&1 &
  local pid=$!
  echo "$pid $(process_start_time "$pid")" >"$STATE_DIR/pids/$name.pid"
}

# is_running NAME: the recorded process is alive and is still the one we started.
is_running() {
  local file="$STATE_DIR/pids/$1.pid" pid start
  [[ -f $file ]] || return 1
  read -r pid start <"$file"
  [[ -n $pid && "$(process_start_time "$pid")" == "$start" ]]
}

stop_process() {
  local name=$1 file="$STATE_DIR/pids/$1.pid" pid i
  if is_running "$name"; then
    read -r pid _ <"$file"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do is_running "$name" || break; sleep 0.2; done
    if is_running "$name"; then log "  $name did not stop in 10 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

environment_is_up() {
  local f any=false
  [[ -d $STATE_DIR/pids && -f $STATE_DIR/env ]] || return 1
  for f in "$STATE_DIR"/pids/*.pid; do
    [[ -f $f ]] || continue
    any=true
    is_running "$(basename "$f" .pid)" || return 1
  done
  $any
}

# wait_until NAME TIMEOUT_S CMD...: poll CMD until it succeeds. If the process dies or time runs
# out, print the tail of its log and fail (up.sh then stops everything it started).
wait_until() {
  local name=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout)) proc=${name%% *}
  while ! "$@" >/dev/null 2>&1; do
    if [[ -f $STATE_DIR/pids/$proc.pid ]] && ! is_running "$proc"; then
      show_failure "$proc" "exited during start-up"; return 1
    fi
    if ((SECONDS >= deadline)); then show_failure "$proc" "not ready after ${timeout}s"; return 1; fi
    sleep 0.3
  done
}

show_failure() {
  local proc=$1 why=$2 logfile="$STATE_DIR/logs/$1.log"
  log "ERROR: $proc $why. Last lines of $logfile:"
  [[ -f $logfile ]] && tail -n 40 "$logfile" >&2
}

kafka_java() {
  java -Xmx256m -cp "$KAFKA_LIB/*" "$@"
}

# The broker logs this line once its listeners accept requests.
kafka_is_ready() {
  ss -Hltn "sport = :$KAFKA_PORT" | grep -q . &&
    grep -q 'Kafka Server started\|started (kafka.server.KafkaRaftServer)' "$STATE_DIR/logs/kafka.log"
}
