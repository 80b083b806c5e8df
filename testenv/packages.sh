# ensure_packages GROUP...: makes sure every Debian package of those groups in
# testenv/packages.txt is installed. As root with apt-get: installs what is missing (one
# apt-get call). Otherwise: stops with one message naming every missing package and the
# command that installs them. Sourced (by lib.sh users), never executed.
# shellcheck shell=bash

PACKAGES_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/packages.txt"

packages_of() { # packages_of GROUP...: the package names of those groups, one per line.
  local groups=" $* "
  awk -v groups="$groups" '!/^#/ && NF >= 2 && index(groups, " " $2 " ") { print $1 }' "$PACKAGES_FILE"
}

missing_packages() {
  local p
  for p in $(packages_of "$@"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    printf '[packages] ERROR: missing Debian packages (%s): %s\n  install them with: sudo apt-get update && sudo apt-get install -y %s\n' \
      "$*" "${missing[*]}" "${missing[*]}" >&2
    exit 1
  fi
  printf '[packages %s] installing %s with apt-get (groups: %s)\n' "$(date +%H:%M:%S)" "${missing[*]}" "$*" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's redis-server and containerd start system services where an init system exists;
  # the test environment runs its own instances on its own ports and sockets.
  stop_system_services
}

stop_system_services() {
  command -v service >/dev/null 2>&1 || return 0
  service redis-server stop >/dev/null 2>&1 || true
  service containerd stop >/dev/null 2>&1 || true
}
