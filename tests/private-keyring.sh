#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a test with a keyring of its own, which it may lock: a private session
# bus with a gnome-keyring whose login keyring is unlocked at first. Once the
# test locked it (picky_test_lock_keyring), every call that needs it shows
# an unlock prompt on the display, which nobody answers. Only the processes
# started here, and those its bus started, are ended afterwards.
set -u

# Without a display the prompt fails at once, which is another case.
if [ -z "${DISPLAY:-}" ]; then
  echo "1..0 # SKIP an unlock prompt needs a display; run inside build-aux/headless-session.sh"
  exit 0
fi

session=$(mktemp -d "${TMPDIR:-/tmp}/picky-keyring-XXXXXX")
pids=()

cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
  done
  # The bus started the prompter and perhaps the accessibility bus: end
  # those of this bus and nothing else.
  # One grep over every environment, since a process each would take seconds.
  for file in $(grep -lzxF "PICKY_PRIVATE_KEYRING=$session" /proc/[0-9]*/environ 2>/dev/null); do
    p=${file#/proc/}
    p=${p%/environ}
    [ "$p" != "$$" ] || continue
    kill "$p" 2>/dev/null || true
  done
  rm -rf "$session"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Under LeakSanitizer, libsecret's leak of every unlock prompt is added to
# the suite's suppressions (see tests/lsan-prompt.supp).
case "${LSAN_OPTIONS:-}" in
  *suppressions=*)
    base=${LSAN_OPTIONS#*suppressions=}
    base=${base%%:*}
    cat "$base" "$(dirname "$0")/lsan-prompt.supp" >"$session/lsan.supp"
    export LSAN_OPTIONS="${LSAN_OPTIONS/suppressions=$base/suppressions=$session/lsan.supp}"
    ;;
esac

# A keyring of its own: one sharing the outer session's data or runtime
# folder would unlock the login keyring there, or hand over to its daemon.
export PICKY_PRIVATE_KEYRING="$session"
export XDG_DATA_HOME="$session/data" XDG_RUNTIME_DIR="$session/runtime"
mkdir -p "$XDG_DATA_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# The standard session configuration, so that the prompter can be activated.
dbus-daemon --session --fork --nopidfile --print-address=5 --print-pid=6 \
  --address="unix:path=$XDG_RUNTIME_DIR/bus" 5>"$session/bus-address" 6>"$session/bus-pid"
pids+=("$(cat "$session/bus-pid")")
export DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$session/bus-address")"

printf '%s' "picky-keyring-$$" | gnome-keyring-daemon --foreground --unlock --components=secrets \
  >"$session/keyring.log" 2>&1 &
pids+=($!)

secrets() {
  dbus-send --session --print-reply --dest=org.freedesktop.secrets "$@" 2>/dev/null
}

# Ask the service only once our daemon owns its name: a call to a name
# nobody owns makes the bus activate a second, locked gnome-keyring, and
# ours then exits with "another secret service is running".
owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

ready=""
for _ in $(seq 100); do
  if owned; then
    case "$(secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias string:default)" in
      *collection/login*) ready=1; break ;;
    esac
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "private-keyring: gnome-keyring did not become ready" >&2
  cat "$session/keyring.log" >&2
  exit 1
fi

"$@"
