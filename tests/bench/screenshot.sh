#!/usr/bin/env bash
# screenshot.sh — start Pcq under Xvfb with a mixed list of tasks (done, running with
# progress, failed, queued) and save a PNG of its window, e.g. for the metainfo.
#
# Usage: tests/bench/screenshot.sh [OUTPUT.png]
#   OUTPUT.png   default: BUILDDIR/screenshot.png
# Environment:
#   BUILDDIR     the meson build folder (default: build under the repository root)
#   SHOT_SIZE    window size, WIDTHxHEIGHT (default 900x860)
#   SHOT_WAIT    seconds the tasks run before the picture is taken (default 4)
#   SHOT_THEME   "dark" for the dark style (default: light)
#   SHOT_DIALOG  1: ask Pcq to quit first (app.quit over D-Bus), so the picture shows the
#                "Stop Tasks?" dialog over the window (the whole screen is taken)
#
# Needs: xvfb-run, dbus-run-session, xwininfo (x11-utils) and import (ImageMagick).
# Everything runs with a private HOME/XDG folders and its own settings; the loopback
# server is build/tests/ui/pcq-test-serve. Nothing outside a temp folder is touched.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
builddir=${BUILDDIR:-$repo_root/build}
builddir=$(cd "$builddir" && pwd)
out=${1:-$builddir/screenshot.png}
size=${SHOT_SIZE:-900x860}
wait_s=${SHOT_WAIT:-4}
theme=${SHOT_THEME:-light}

die() { printf 'screenshot: %s\n' "$*" >&2; exit 2; }

pcq=$builddir/src/pcq
serve=$builddir/tests/ui/pcq-test-serve
[ -x "$pcq" ] || die "no $pcq: build first (meson compile -C $builddir)"
[ -x "$serve" ] || die "no $serve: build first (meson compile -C $builddir)"
[ -f "$builddir/data/gschemas.compiled" ] || die "no compiled schema in $builddir/data"
for tool in xvfb-run dbus-run-session xwininfo import; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
[[ $size =~ ^([0-9]+)x([0-9]+)$ ]] || die "SHOT_SIZE must be WIDTHxHEIGHT"
width=${BASH_REMATCH[1]}
height=${BASH_REMATCH[2]}
case $out in /*) ;; *) out=$PWD/$out ;; esac

# This part runs inside Xvfb and a private session bus (see the end of the file).
if [ "${1:-}" = "--inside" ]; then
  shift
  tmp=$1
  base=$2
  out=$3

  pcq_pid=
  trap '[ -n "$pcq_pid" ] && kill "$pcq_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

  # Small files finish at once; "slow" ones trickle (4 KiB every 50 ms, so they are
  # still running when the picture is taken); one link is missing; one server asks to
  # wait (on "localhost": a Retry-After holds back the whole host, not the others).
  fast() { echo "$base/data/shot/$1?size=$2"; }
  slow() { echo "$base/data/shot/$1?size=$2&chunk=$3&delay=50&seed=$4"; }
  urls=(
    "$(fast quarterly-report-2026.pdf 2400000)"
    "$(fast team-photo.jpg 840000)"
    "$base/status/404/old-backup.tar.gz"
    "${base/127.0.0.1/localhost}/flaky/shot/mirror-list.txt?fail=1&code=503&retry_after=600"
    "$(slow debian-12.7.0-amd64-netinst.iso 62914560 40960 1)"
    "$(slow gnome-50-wallpapers.zip 8388608 16384 2)"
    "$(slow conference-talk-1080p.webm 41943040 24576 3)"
    "$(slow dataset-2026-11.csv.gz 20971520 16384 4)"
    "$(slow podcast-episode-142.mp3 31457280 16384 5)"
    "$(slow fonts-collection.tar.xz 12582912 16384 6)"
  )

  "$pcq" "${urls[@]}" >"$tmp/pcq.log" 2>&1 &
  pcq_pid=$!

  # Wait for the window to be mapped (at most 20 s).
  win=
  for _ in $(seq 1 200); do
    win=$(xwininfo -root -tree 2>/dev/null | awk '/"Pcq"/ && / [0-9]+x[0-9]+\+/ { print $1; exit }')
    [ -n "$win" ] && break
    kill -0 "$pcq_pid" 2>/dev/null || { cat "$tmp/pcq.log" >&2; echo "screenshot: pcq exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$win" ] || { echo "screenshot: no Pcq window appeared" >&2; exit 1; }

  # Let the tasks run a while, so there is progress to see.
  sleep "$wait_s"
  if [ "${SHOT_DIALOG:-0}" = 1 ]; then
    gdbus call --session --dest com.example.Pcq --object-path /com/example/Pcq \
      --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null
    sleep 1
    import -window root -crop "$(xwininfo -id "$win" | awk '/Width:/ { w = $2 } /Height:/ { h = $2 } END { print w "x" h "+0+0" }')" +repage "$out"
  else
    import -window "$win" "$out"
  fi
  echo "screenshot: saved $out ($(identify -format '%wx%h' "$out" 2>/dev/null || echo '?'))"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcq-screenshot-XXXXXX")
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/home" "$tmp/config/glib-2.0/settings" "$tmp/data" "$tmp/cache" "$tmp/state" "$tmp/out"
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
export XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state
export GSETTINGS_SCHEMA_DIR=$builddir/data GSETTINGS_BACKEND=keyfile
export GIO_USE_PROXY_RESOLVER=dummy NO_AT_BRIDGE=1
[ "$theme" = dark ] && export ADW_DEBUG_COLOR_SCHEME=prefer-dark

# Three at a time: the rest waits in the queue.
cat >"$tmp/config/glib-2.0/settings/keyfile" <<EOF
[com/example/Pcq]
output-folder='$tmp/out'
max-active=uint32 3
retries=uint32 1
notify-when-finished=false
window-width=$width
window-height=$height
EOF

"$serve" >"$tmp/serve.out" &
serve_pid=$!
for _ in $(seq 1 50); do
  [ -s "$tmp/serve.out" ] && break
  sleep 0.1
done
base=$(head -n 1 "$tmp/serve.out")
[[ $base == http://127.0.0.1:* ]] || die "the test server did not start"

# The screen is twice as wide as the window, which sits at its left: the pointer (in
# the middle of the screen) stays off the window, and no tooltip shows.
xvfb-run -a -s "-screen 0 $((2 * width + 100))x$((height + 40))x24" \
  dbus-run-session -- "$0" --inside "$tmp" "$base" "$out" 2>&1 | grep -v '^dbus-daemon' || true
[ -s "$out" ] || die "no picture was taken"
