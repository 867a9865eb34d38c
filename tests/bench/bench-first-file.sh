#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Pcq authors
#
# bench-first-file.sh — how long after exec `pcq --headless URL` has its file in place, next to
# curl, with a 16 KiB file from a loopback nginx (see bench-first-file.py for the clock).
#
# Usage: tests/bench/bench-first-file.sh [PATH-TO-PCQ]     (FIRST_ROUNDS, default 15)
# Exit status: 0, or 2 for bad usage or a missing tool. A slow figure never fails it.

set -u -o pipefail
export LC_ALL=C

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=serve.sh
. "$script_dir/serve.sh"

note() { printf 'first-file: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

pcq=${1:-${PCQ:-$repo_root/build/src/pcq}}
[[ $pcq == /* ]] || pcq=$PWD/$pcq
[[ -x $pcq ]] || die "pcq not found: $pcq (meson compile -C build)"
[[ -x /usr/sbin/nginx ]] || die "nginx is missing (apt install nginx-light)"
command -v curl >/dev/null || die "curl is missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcq-first-file.XXXXXX") || die "mktemp failed"
server_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT

# GIO lists a module folder's modules in giomodule.cache, and trusts that list only for the
# modules whose status changed (ctime) before it was written: the others it loads at its first
# lookup there, which pcq makes for the proxy resolver before its first file. `perf record`
# links every library it samples into ~/.debug, which counts as such a change.
modules=$(pkg-config --variable=giomoduledir gio-2.0 2>/dev/null) || modules=
if [[ -n $modules && -f $modules/giomodule.cache ]]; then
  stale=$(find "$modules" -maxdepth 1 -name '*.so' -cnewer "$modules/giomodule.cache" -printf '%f ')
  [[ -z $stale ]] ||
    note "changed since $modules/giomodule.cache was written, so loaded at every start: $stale(gio-querymodules $modules rebuilds it)"
fi

mkdir -p "$tmp/www"
head -c 16384 /dev/urandom >"$tmp/www/first.bin"
bench_serve nginx "$tmp/www" first.bin
python3 "$script_dir/bench-first-file.py" "$pcq" "http://127.0.0.1:$port/first.bin" "${FIRST_ROUNDS:-15}"
