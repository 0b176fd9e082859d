# Shared by the scripts in scripts/: root detection and the project's virtualenv.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CLOUDFOLD_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# apt_install PKG...: install the Debian packages that are not there yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_venv EXTRAS: create .venv (installing python3-venv if Debian lacks it) and
# install cloudfold into it, editable, with the given extras (e.g. "test").
ensure_venv() {
  local extras="${1:-}"
  if [ ! -x "$PY" ]; then
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
      apt_install python3-venv
    fi
    log "creating $VENV"
    python3 -m venv "$VENV"
  fi
  local spec="$ROOT"
  [ -n "$extras" ] && spec="$ROOT[$extras]"
  log "installing cloudfold${extras:+ [$extras]} into $VENV"
  "$PY" -m pip install -q --upgrade pip >/dev/null
  "$PY" -m pip install -q -e "$spec"
}
