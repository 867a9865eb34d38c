#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Pcq authors
#
# bench-scale.sh — pcq --headless with 100 000 URLs from a file:
#   (a) how long until all of them are accepted (committed to the store), and the peak RSS;
#   (b) a full run of 100 000 small files from a loopback nginx, next to libsoup alone
#       (bench-floor, the floor pcq is held to), curl --parallel and wget2 on the same URLs at
#       the same concurrency.
# See SCALE.md beside this file.
#
# Usage: tests/bench/bench-scale.sh [PATH-TO-PCQ]
# Exit status: 0 every run did its work (slow figures never fail it), 1 a run failed or fetched
# the wrong files, 2 bad usage or a missing tool.

set -u -o pipefail
export LC_ALL=C

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=serve.sh
. "$script_dir/serve.sh"
probe=$script_dir/bench-scale-probe.py

usage() {
  cat <<'EOF'
Usage: bench-scale.sh [PATH-TO-PCQ]

pcq is, in order: the argument, $PCQ, build/src/pcq under the repository root.

Environment:
  SCALE_N=100000         URLs for (a)
  SCALE_ROUNDS=3         rounds of (a); the table shows each and the median
  SCALE_FULL=1           0 skips (b), the full run
  SCALE_FULL_N=$SCALE_N  files for (b): lower it if (b) would take too long here
  SCALE_FULL_ROUNDS=1    rounds of (b); the tools' order rotates, the table shows medians
  SCALE_SIZE=1024        bytes per file in (b)
  SCALE_JOBS=8           concurrency in (b), for every tool
  SCALE_TOOLS="pcq floor2 curl wget2"   tools of (b), of "pcq floor1 floor2 curl wget2";
                         missing peers are skipped. floor1/floor2: libsoup alone
                         (bench-floor) with 1 and 2 threads, the floor pcq is held to
  SCALE_FLOOR=PATH       bench-floor (default build/tests/bench/bench-floor)
  SCALE_TIMEOUT=300      seconds per run; a run that takes longer is killed and FAILS
  SCALE_SYNC=0           1: every tool's run in (b) ends with syncfs of its output folder
                         (pcq syncs before it marks jobs done; curl and wget2 do not)
  SCALE_VERIFY_CONTENT=1 0: check names and sizes only, not every byte (diff -rq)
  SCALE_SERVER=auto      nginx | python (python is much slower: figures not comparable)
  SCALE_TMPDIR=/tmp      where the files go (about (1 + tools x rounds) x SCALE_FULL_N x 4 KiB)
  SCALE_KEEP=0           1 keeps the temp dir
EOF
}

case ${1:-} in
  -h | --help) usage; exit 0 ;;
esac

note() { printf 'scale: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

pcq=${1:-${PCQ:-$repo_root/build/src/pcq}}
n_accept=${SCALE_N:-100000}
rounds=${SCALE_ROUNDS:-3}
full=${SCALE_FULL:-1}
n_full=${SCALE_FULL_N:-$n_accept}
full_rounds=${SCALE_FULL_ROUNDS:-1}
size=${SCALE_SIZE:-1024}
jobs=${SCALE_JOBS:-8}
read -r -a tools <<<"${SCALE_TOOLS:-pcq floor2 curl wget2}"
run_timeout=${SCALE_TIMEOUT:-300}
scale_sync=${SCALE_SYNC:-0}
verify_content=${SCALE_VERIFY_CONTENT:-1}
server_kind=${SCALE_SERVER:-auto}
base_tmp=${SCALE_TMPDIR:-/tmp}
keep=${SCALE_KEEP:-0}

for v in n_accept rounds n_full full_rounds size jobs run_timeout; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
((n_accept <= 999999 && n_full <= 999999)) || die "at most 999999 URLs"
[[ -x $pcq ]] || die "pcq not found at $pcq (build it, or give its path)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed"
if ! python3 -c 'import sqlite3' 2>/dev/null; then
  die "python3 with its sqlite3 module is needed (for the probe)"
fi

peers=()
for t in "${tools[@]}"; do
  case $t in
    pcq) ;;
    curl | wget2)
      if command -v "$t" >/dev/null; then peers+=("$t"); else note "skipping $t: not installed"; fi ;;
    floor1 | floor2)
      floor=${SCALE_FLOOR:-$repo_root/build/tests/bench/bench-floor}
      [[ -x $floor ]] || die "bench-floor not found at $floor (meson compile -C build, or SCALE_FLOOR)"
      peers+=("$t") ;;
    *) die "unknown tool: $t" ;;
  esac
done

mkdir -p "$base_tmp" || die "cannot use $base_tmp"
tmp=$(mktemp -d "$base_tmp/pcq-scale.XXXXXX") || die "mktemp failed in $base_tmp"

hang_pid=
server_pid=
probe_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  for p in $probe_pid $hang_pid $server_pid; do
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [[ $keep == 1 ]]; then note "kept $tmp"; else rm -rf -- "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir -p "$tmp/lists" "$tmp/runs" "$tmp/home" "$tmp/outs"
failures=0
load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)

json_field() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p" <<<"$2"; }
fmt() { awk -v v="$1" -v f="$2" -v d="${3:-1}" 'BEGIN { if (v == "" || v == "null" || v == "NA") print "NA"; else printf f, v / d }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A private, empty home for every run: no config, no earlier queue.
private_env() {
  local home=$1
  rm -rf -- "$home"
  mkdir -p "$home/state" "$home/config" "$home/cache" "$home/data"
  printf '%s\n' env HOME="$home" XDG_STATE_HOME="$home/state" XDG_CONFIG_HOME="$home/config" \
    XDG_CACHE_HOME="$home/cache" XDG_DATA_HOME="$home/data" GSETTINGS_BACKEND=memory
}

# probe TAG [PROBE-OPTIONS…] -- CMD… : runs it, prints the probe's JSON line
probe_run() {
  local tag=$1; shift
  python3 "$probe" run --timeout "$run_timeout" --time-file "$tmp/runs/$tag.time" \
    --stdout "$tmp/runs/$tag.stdout" --stderr "$tmp/runs/$tag.stderr" "$@" \
    >"$tmp/runs/$tag.json" &
  probe_pid=$!
  wait "$probe_pid"
  probe_pid=
  cat "$tmp/runs/$tag.json"
}

fail() {
  local tag=$1; shift
  failures=$((failures + 1))
  {
    printf '\nscale: FAILED: %s: %s\n' "$tag" "$*"
    if [[ -s $tmp/runs/$tag.stderr ]]; then
      echo "  stderr (last lines):"; tail -n 10 "$tmp/runs/$tag.stderr" | sed 's/^/    /'
    fi
  } >&2
}

# ------------------------------------------------------------------ (a) acceptance
# The URLs point at a listener that never answers, and pcq runs with -j 1: its one worker
# waits on the first request, so what is measured is reading the file, submitting, and
# committing every job to the store. The probe sees the last id appear in the store.
note "(a) writing $n_accept URLs of a server that never answers"
python3 "$probe" hang-list "$n_accept" "$tmp/lists/hang.urls" &
hang_pid=$!
for _ in $(seq 600); do
  [[ -f $tmp/lists/hang.urls ]] && break
  kill -0 "$hang_pid" 2>/dev/null || die "the never-answering listener did not start"
  sleep 0.1
done
[[ -f $tmp/lists/hang.urls ]] || die "the URL list for (a) did not appear in 60 s"

accept_results=$tmp/accept.tsv
: >"$accept_results"
for ((r = 1; r <= rounds; r++)); do
  tag=accept-r$r
  home=$tmp/home/$tag
  mapfile -t envv < <(private_env "$home")
  sync -f "$tmp" 2>/dev/null || sync
  out=$(probe_run "$tag" --db "$home/state/pcq/headless.sqlite" --want "$n_accept" --kill-after-accept -- \
    "${envv[@]}" "$pcq" --headless -j 1 -o "$tmp/out-accept" -i "$tmp/lists/hang.urls")
  accept=$(json_field accept_s "$out"); rss=$(json_field rss_kib "$out")
  rows=$(json_field rows "$out"); status=$(json_field status "$out")
  if [[ $status != "killed after accept" || $rows != "$n_accept" ]]; then
    fail "$tag" "status '$status', $rows of $n_accept jobs in the store"
    continue
  fi
  printf '%s\t%s\t%s\n' "$r" "$accept" "$rss" >>"$accept_results"
  note "(a) round $r/$rounds: accepted in $(fmt "$accept" '%.3f') s, peak RSS $(fmt "$rss" '%.1f' 1024) MiB"
done
kill -TERM "$hang_pid" 2>/dev/null; wait "$hang_pid" 2>/dev/null; hang_pid=
rm -rf -- "$tmp/out-accept"

# ------------------------------------------------------------------ (b) full run
full_results=$tmp/full.tsv
: >"$full_results"
# Every run writes into a new folder, and no output is deleted before the end: ext4 makes
# creating files right after deleting as many much slower (it skips recently freed inodes),
# and that would land on whichever tool runs next.
run_full() {
  local tool=$1 r=$2 tag=full-$1-r$2 home=$tmp/home/full-$1-r$2 out_dir=$tmp/outs/$1-r$2 out rc_ok=1
  local -a envv cmd probe_opts=()
  mapfile -t envv < <(private_env "$home")
  mkdir -p "$out_dir"
  sync -f "$tmp" 2>/dev/null || sync

  case $tool in
    pcq)
      cmd=("$pcq" --headless -j "$jobs" -o "$out_dir" -i "$tmp/lists/full.urls")
      probe_opts=(--db "$home/state/pcq/headless.sqlite" --want "$n_full") ;;
    curl) cmd=(curl --parallel --parallel-max "$jobs" -s -S --fail --output-dir "$out_dir" -K "$tmp/lists/full.curlrc") ;;
    wget2) cmd=(wget2 --max-threads="$jobs" -q -P "$out_dir" -i "$tmp/lists/full.urls") ;;
    floor1 | floor2)
      cmd=("$floor" --threads "${tool#floor}" --in-flight "$jobs" -o "$out_dir" -i "$tmp/lists/full.urls") ;;
  esac
  if [[ $scale_sync == 1 ]]; then
    # shellcheck disable=SC2016  # expanded by that sh, not here
    cmd=(sh -c '"$@"; rc=$?; sync -f "$0" || rc=1; exit $rc' "$out_dir" "${cmd[@]}")
  fi

  note "(b) round $r/$full_rounds, $tool: $n_full files, -j $jobs"
  out=$(probe_run "$tag" "${probe_opts[@]}" -- "${envv[@]}" "${cmd[@]}")
  local wall rss cpu accept status files bytes last
  wall=$(json_field wall_s "$out"); rss=$(json_field rss_kib "$out"); cpu=$(json_field cpu_s "$out")
  accept=$(json_field accept_s "$out"); status=$(json_field status "$out")

  files=$(find "$out_dir" -mindepth 1 | wc -l)
  bytes=$(find "$out_dir" -type f -printf '%s\n' | awk '{ b += $1 } END { printf "%d", b }')
  if [[ $status != "exit 0" ]]; then
    fail "$tag" "$status"; rc_ok=0
  elif ((files != n_full || bytes != n_full * size)); then
    fail "$tag" "expected $n_full files / $((n_full * size)) bytes, found $files entries / $bytes bytes"; rc_ok=0
  elif ! (cd "$out_dir" && find . -mindepth 1 -printf '%P\n' | sort) | cmp -s - "$tmp/lists/full.names"; then
    fail "$tag" "the file names differ from the served ones"; rc_ok=0
  elif [[ $verify_content == 1 ]] && ! diff -rq "$tmp/www/s" "$out_dir" >"$tmp/runs/$tag.diff" 2>&1; then
    fail "$tag" "content differs: $(head -n 3 "$tmp/runs/$tag.diff")"; rc_ok=0
  fi
  if [[ $tool == pcq && $rc_ok == 1 ]]; then
    last=$(grep . "$tmp/runs/$tag.stdout" | tail -n 1)
    if [[ $(json_field 'done' "$last") != "$n_full" || $(json_field failed "$last") != 0 ]]; then
      fail "$tag" "pcq's summary does not say $n_full done: $last"; rc_ok=0
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$r" "$wall" "$rss" "${accept:-null}" \
    "$([[ $rc_ok == 1 ]] && echo ok || echo FAILED)" "${cpu:-null}" >>"$full_results"
}

if [[ $full == 1 ]]; then
  free_kib=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
  # 4 KiB blocks at least: the served set, one output copy, and slack.
  n_tools=$((${#peers[@]} + 1))
  need_kib=$(((1 + n_tools * full_rounds) * n_full * ((size + 4095) / 4096) * 4 * 5 / 4 + 65536))
  ((free_kib >= need_kib)) || die "not enough space in $base_tmp: $((free_kib / 1024)) MiB free, $((need_kib / 1024)) MiB needed"

  case $server_kind in
    auto) if [[ -x /usr/sbin/nginx ]]; then server_kind=nginx; else server_kind=python; fi ;;
    nginx) [[ -x /usr/sbin/nginx ]] || die "/usr/sbin/nginx is not installed" ;;
    python) ;;
    *) die "unknown server kind: $server_kind" ;;
  esac
  [[ $server_kind == python ]] && note "no nginx: python's http.server is far slower, the figures of (b) are not comparable"
  command -v curl >/dev/null || die "curl is needed to check that the server is up"

  note "(b) generating $n_full files of $size bytes"
  mkdir -p "$tmp/www/s"
  head -c $((n_full * size)) /dev/urandom |
    split -b "$size" -d -a 6 --additional-suffix=.bin - "$tmp/www/s/f-" || die "could not generate the files"
  (cd "$tmp/www/s" && ls -1) >"$tmp/lists/full.names"
  (($(wc -l <"$tmp/lists/full.names") == n_full)) || die "generated the wrong number of files"

  bench_serve "$server_kind" "$tmp/www" s/f-000000.bin
  base_url=http://127.0.0.1:$port/s

  sed "s|^|$base_url/|" "$tmp/lists/full.names" >"$tmp/lists/full.urls"
  awk -v b="$base_url" '{ printf "url = \"%s/%s\"\noutput = \"%s\"\n", b, $0, $0 }' \
    "$tmp/lists/full.names" >"$tmp/lists/full.curlrc"
  sync -f "$tmp" 2>/dev/null || sync

  order=()
  for t in "${tools[@]}"; do [[ $t == pcq ]] && order+=(pcq); done
  order+=("${peers[@]}")
  for ((r = 1; r <= full_rounds; r++)); do
    nt=${#order[@]}
    for ((k = 0; k < nt; k++)); do run_full "${order[(k + r - 1) % nt]}" "$r"; done
  done
fi

# ------------------------------------------------------------------ the table
echo
echo "pcq scale benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "load average at the start $load_start, at the end $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "pcq: $pcq"
echo
echo "(a) accepting $n_accept URLs from a file: pcq --headless -j 1 -i FILE, server never answers"
printf '%-8s %10s %10s\n' round accept_s rss_MiB
while IFS=$'\t' read -r r a k; do
  printf '%-8s %10s %10s\n' "$r" "$(fmt "$a" '%.3f')" "$(fmt "$k" '%.1f' 1024)"
done <"$accept_results"
a_med=$(cut -f2 "$accept_results" | median)
k_med=$(cut -f3 "$accept_results" | median)
k_max=$(cut -f3 "$accept_results" | sort -g | tail -n 1)
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { if (v == "NA") print "NA"; else if (v < g) print "ok"; else print "OVER" }'; }
printf '%-8s %10s %10s\n' median "$(fmt "$a_med" '%.3f')" "$(fmt "$k_med" '%.1f' 1024)"
echo "goals: accepted in under 2 s: $(verdict "$a_med" 2) (median); peak RSS under 200 MiB: $(verdict "${k_max:-NA}" $((200 * 1024))) (worst round)"

if [[ $full == 1 ]]; then
  echo
  echo "(b) full run: $n_full files x $size bytes from $server_kind on loopback, concurrency $jobs, $full_rounds round(s)$([[ $scale_sync == 1 ]] && echo ", every run ends with syncfs")"
  printf '%-6s %10s %10s %10s %10s %10s %s\n' tool wall_s cpu_s files/s rss_MiB accept_s runs
  best_w='' best_wt='' best_k='' best_kt='' pcq_w='' pcq_k='' pcq_c=''
  declare -A floor_w=() floor_c=()
  for t in "${order[@]}"; do
    col() { awk -F'\t' -v t="$t" -v c="$1" '$1 == t && $6 == "ok" && $c != "null" { print $c }' "$full_results" | median; }
    w=$(col 3); k=$(col 4); a=$(col 5); c=$(col 7)
    ok=$(awk -F'\t' -v t="$t" '$1 == t && $6 == "ok"' "$full_results" | wc -l)
    bad=$(awk -F'\t' -v t="$t" '$1 == t && $6 != "ok"' "$full_results" | wc -l)
    printf '%-6s %10s %10s %10s %10s %10s %s\n' "$t" "$(fmt "$w" '%.2f')" "$(fmt "$c" '%.2f')" \
      "$(awk -v n="$n_full" -v w="$w" 'BEGIN { if (w == "NA") print "NA"; else printf "%.0f", n / w }')" \
      "$(fmt "$k" '%.1f' 1024)" "$(fmt "$a" '%.3f')" "$ok ok$( ((bad)) && echo ", $bad FAILED")"
    [[ $w == NA ]] && continue
    if [[ $t == pcq ]]; then pcq_w=$w; pcq_k=$k; pcq_c=$c; continue; fi
    if [[ $t == floor* ]]; then floor_w[$t]=$w; floor_c[$t]=$c; continue; fi
    if [[ -z $best_w ]] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then best_w=$w; best_wt=$t; fi
    if [[ -z $best_k ]] || awk -v a="$k" -v b="$best_k" 'BEGIN { exit !(a < b) }'; then best_k=$k; best_kt=$t; fi
  done
  if [[ -n $pcq_w && -n $best_w ]]; then
    echo "pcq/best peer: wall x$(ratio "$pcq_w" "$best_w") ($best_wt)," \
      "rss x$(ratio "$pcq_k" "$best_k") ($best_kt)  (below 1: pcq is faster / smaller)"
  fi
  # pcq/TOOL wall of each round in which both ran ok, in round order.
  round_ratios() {
    awk -F'\t' -v t="$1" '$6 == "ok" && ($1 == "pcq" || $1 == t) { w[$1, $2] = $3; if ($2 > n) n = $2 }
      END { for (r = 1; r <= n; r++) if ((("pcq", r) in w) && ((t, r) in w) && w[t, r] > 0) printf "%.2f\n", w["pcq", r] / w[t, r] }' "$full_results"
  }
  for f in floor2 floor1; do
    if [[ -n $pcq_w && -n ${floor_w[$f]:-} ]]; then
      echo "pcq/$f: wall x$(ratio "$pcq_w" "${floor_w[$f]}"), cpu x$(ratio "$pcq_c" "${floor_c[$f]}")$([[ $f == floor2 ]] && echo "  (goal: wall x1.10 or less)")"
      mapfile -t by_round < <(round_ratios "$f")
      if ((${#by_round[@]} > 1)); then
        echo "  round by round: $(printf 'x%s ' "${by_round[@]}")(median x$(printf '%s\n' "${by_round[@]}" | median))"
      fi
    fi
  done
  echo "Medians over the ok runs. cpu_s: user + system from /usr/bin/time -v. floor1/floor2: libsoup alone"
  echo "(bench-floor) with 1 and 2 threads; it keeps no queue and writes each file under its final name."
  echo "accept_s in (b): when the last job was committed while the downloads were already running."
  echo "Round by round: the two tools of one round ran minutes apart at most, so a drift of the"
  echo "machine's speed moves both; the spread of these ratios is what one round can tell."
fi

if ((failures)); then
  note "$failures run(s) FAILED (see above)"
  exit 1
fi
exit 0
