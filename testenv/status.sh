#!/usr/bin/env bash
# Prints each test-environment process with its pid, state and resident memory, and the total.
#   bash testenv/status.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$TESTENV_SRC/processes.sh"

[[ -d $STATE_DIR/pids ]] || { echo "test environment is not running"; exit 1; }
total=0
printf '%-26s %8s %-8s %10s\n' COMPONENT PID STATE RSS
for f in "$STATE_DIR"/pids/*.pid; do
  name=$(basename "$f" .pid)
  read -r pid _ <"$f"
  if is_running "$name"; then
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
    total=$((total + rss))
    printf '%-26s %8s %-8s %7d MiB\n' "$name" "$pid" running $((rss / 1024))
  else
    printf '%-26s %8s %-8s %10s\n' "$name" "$pid" stopped -
  fi
done
printf '%-26s %8s %-8s %7d MiB\n' total '' '' $((total / 1024))
