#!/usr/bin/env bash
# Runs a command in a private desktop session: Xvfb, a D-Bus session bus with
# the accessibility bus, and an unlocked gnome-keyring, all with temporary XDG
# dirs. Only the processes started here are ended afterwards, by their PIDs.
set -u

session=$(mktemp -d "${TMPDIR:-/tmp}/picky-session-XXXXXX")
pids=()

cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  # The bus may have activated helpers (at-spi, a second keyring); end those
  # that belong to this session's bus and nothing else.
  if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    # One grep over every environ file instead of a pipeline per process,
    # which took seconds on a busy machine.
    for file in $(grep -lzxF "PICKY_SESSION=$session" /proc/[0-9]*/environ 2>/dev/null); do
      p=${file#/proc/}
      p=${p%/environ}
      [ "$p" != "$$" ] || continue
      kill "$p" 2>/dev/null || true
    done
  fi
  rm -rf "$session"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PICKY_SESSION="$session"
export XDG_DATA_HOME="$session/data" XDG_CONFIG_HOME="$session/config"
export XDG_CACHE_HOME="$session/cache" XDG_STATE_HOME="$session/state"
export XDG_RUNTIME_DIR="$session/runtime" HOME="$session/home"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME" "$HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# X server; -displayfd avoids racing other servers for a display number.
Xvfb -displayfd 4 -screen 0 1280x800x24 -nolisten tcp -noreset 4>"$session/display" \
  >"$session/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [ -s "$session/display" ] && break
  sleep 0.1
done
if [ ! -s "$session/display" ]; then
  echo "headless-session: Xvfb did not start" >&2
  cat "$session/xvfb.log" >&2
  exit 1
fi
export DISPLAY=":$(head -n1 "$session/display")"
export GDK_BACKEND=x11

# A private session bus, so nothing reaches the user's desktop or keyring.
dbus-daemon --session --fork --nopidfile --print-address=5 --print-pid=6 \
  --address="unix:path=$XDG_RUNTIME_DIR/bus" 5>"$session/bus-address" 6>"$session/bus-pid"
pids+=("$(cat "$session/bus-pid")")
export DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$session/bus-address")"

# A throwaway login keyring, created unlocked with a non-empty password.
printf '%s' "picky-test-$$" | gnome-keyring-daemon --foreground --unlock --components=secrets \
  >"$session/keyring.log" 2>&1 &
pids+=($!)
ready=""
for _ in $(seq 100); do
  owner=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -c 'boolean true' || true)
  if [ "$owner" = "1" ]; then
    alias=$(dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
              org.freedesktop.Secret.Service.ReadAlias string:default 2>/dev/null || true)
    case "$alias" in
      *collection/login*) ready=1; break ;;
    esac
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "headless-session: gnome-keyring did not become ready" >&2
  cat "$session/keyring.log" >&2
  exit 1
fi

"$@"
