#!/usr/bin/env bash
# Installs the Debian 12 packages the console needs to build, run and test,
# and only those that are missing. Usage: build-aux/setup.sh [--tests]
set -eu

build=(meson ninja-build pkgconf gcc libc6-dev gettext libxml2-utils
       libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev libsecret-1-dev
       libsqlite3-dev libsodium-dev libqrencode-dev libglib2.0-bin libcairo2-dev libpango1.0-dev
       desktop-file-utils appstream)
# fonts-noto-core: the Devanagari of the Hindi translation, which DejaVu
# lacks (it would show as boxes in the window and in PDF reports).
run=(gnome-keyring dbus-daemon at-spi2-core fonts-dejavu-core fonts-noto-core adwaita-icon-theme
     hicolor-icon-theme librsvg2-common)
# Noto covers Arabic, Devanagari and colour emoji, so that screenshots and
# the PDF tests show (and embed) real glyphs instead of boxes.
tests=(xvfb xauth dbus-daemon at-spi2-core gnome-keyring libsecret-tools x11-utils
       fonts-dejavu-core fonts-noto-core fonts-noto-color-emoji sqlite3 procps poppler-utils
       python3 tzdata imagemagick xdotool)

wanted=("${build[@]}" "${run[@]}")
if [ "${1:-}" = "--tests" ]; then
  wanted+=("${tests[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing+=("$pkg") ;;
  esac
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

echo "Installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# dbus-x11 is deliberately absent: with it GLib autolaunches stray session buses.
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
