#!/usr/bin/env bash
# bench-download.sh — loopback download benchmark: pcq --headless against curl --parallel
# and wget2 with the same concurrency, on three sets of files (many small, some medium,
# one big).  See README.md beside this file.
#
# Usage: tests/bench/bench-download.sh [OPTIONS] [PATH-TO-PCQ]
# Exit status: 0 every run fetched the right files, 1 a run failed (wrong/missing files,
# tool error or timeout), 2 bad usage or a missing tool.  Slow results never fail.

set -u -o pipefail
export LC_ALL=C

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
bench_tls=${BENCH_TLS:-0}
# shellcheck source-path=SCRIPTDIR source=serve.sh
. "$script_dir/serve.sh"

usage() {
    cat <<'EOF'
Usage: bench-download.sh [OPTIONS] [PATH-TO-PCQ]

pcq is, in order: the argument, $PCQ, build/src/pcq under the repository root.

Options (each has an environment variable; flags win):
  -q, --quick          smoke run: 200x16KiB, 20x1MiB, 1x64MiB, 1 round   (BENCH_QUICK=1)
  -r, --rounds N       rounds per set, tools alternate round-robin (BENCH_ROUNDS, default 3)
  -j, --jobs N         concurrency given to every tool                  (BENCH_JOBS, default 8)
  -s, --sets "A B C"   which sets to run                                (BENCH_SETS)
  -t, --tools "..."    subset of "pcq curl wget2 floor1 floor2"         (BENCH_TOOLS)
      --server KIND    auto | nginx | python                            (BENCH_SERVER, default auto)
      --keep           keep the temp dir (and failed output dirs)       (BENCH_KEEP=1)
  -h, --help

More environment variables:
  BENCH_A_COUNT, BENCH_A_SIZE, BENCH_B_COUNT, BENCH_B_SIZE, BENCH_C_COUNT, BENCH_C_SIZE
                       file count and size per set; sizes take K/M/G suffixes (binary)
  BENCH_TMPDIR         where the temp dir goes (default ${TMPDIR:-/tmp})
  BENCH_TIMEOUT        seconds one run may take before it counts as failed (default 300)
  BENCH_SYNC=1         every tool's timed run ends with syncfs of the output folder
                       (pcq already syncs before it marks jobs done; curl/wget2 do not)
  BENCH_VERIFY_CONTENT=0  check names, count and bytes only, skip the byte-by-byte compare
  BENCH_RESULTS=FILE   also write every run as TSV to FILE
  BENCH_TLS=1          HTTPS (TLS 1.3, HTTP/2) from nginx with a throwaway CA; every tool runs
                       in a mount namespace where the system's CA bundle holds it too (root)
  BENCH_FLOOR=PATH     bench-floor (default build/tests/bench/bench-floor): floor1 and floor2
                       are libsoup alone with 1 and 2 threads, the floor pcq is held to
EOF
}

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
note() { printf 'bench: %s\n' "$*" >&2; }


human_size() {
    local b=$1
    if ((b >= 1073741824 && b % 1073741824 == 0)); then echo "$((b / 1073741824)) GiB"
    elif ((b >= 1048576 && b % 1048576 == 0)); then echo "$((b / 1048576)) MiB"
    elif ((b >= 1024 && b % 1024 == 0)); then echo "$((b / 1024)) KiB"
    else echo "$b B"; fi
}

# ---------------------------------------------------------------- options
quick=${BENCH_QUICK:-0}
rounds=${BENCH_ROUNDS:-}
jobs=${BENCH_JOBS:-8}
sets=${BENCH_SETS:-A B C}
tools=${BENCH_TOOLS:-pcq curl wget2}
server_kind=${BENCH_SERVER:-auto}
keep=${BENCH_KEEP:-0}
pcq_arg=

while (($#)); do
    case $1 in
        -q|--quick) quick=1 ;;
        -r|--rounds) rounds=${2:?}; shift ;;
        --rounds=*) rounds=${1#*=} ;;
        -j|--jobs) jobs=${2:?}; shift ;;
        --jobs=*) jobs=${1#*=} ;;
        -s|--sets) sets=${2:?}; shift ;;
        --sets=*) sets=${1#*=} ;;
        -t|--tools) tools=${2:?}; shift ;;
        --tools=*) tools=${1#*=} ;;
        --server) server_kind=${2:?}; shift ;;
        --server=*) server_kind=${1#*=} ;;
        --keep) keep=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) [[ -z $pcq_arg ]] || die "more than one pcq path given"; pcq_arg=$1 ;;
    esac
    shift
done

if [[ $quick == 1 ]]; then
    def_a_count=200; def_b_count=20; def_c_size=64M; def_rounds=1; def_timeout=120
else
    def_a_count=2000; def_b_count=200; def_c_size=1G; def_rounds=3; def_timeout=300
fi
rounds=${rounds:-$def_rounds}
run_timeout=${BENCH_TIMEOUT:-$def_timeout}
verify_content=${BENCH_VERIFY_CONTENT:-1}
bench_sync=${BENCH_SYNC:-0}

declare -A set_count set_size
set_count[A]=${BENCH_A_COUNT:-$def_a_count}; set_size[A]=$(parse_size "${BENCH_A_SIZE:-16K}") || die "bad BENCH_A_SIZE"
set_count[B]=${BENCH_B_COUNT:-$def_b_count}; set_size[B]=$(parse_size "${BENCH_B_SIZE:-1M}") || die "bad BENCH_B_SIZE"
set_count[C]=${BENCH_C_COUNT:-1};            set_size[C]=$(parse_size "${BENCH_C_SIZE:-$def_c_size}") || die "bad BENCH_C_SIZE"

[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "rounds must be a positive integer: $rounds"
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]] || ((jobs > 64)); then die "jobs must be 1-64: $jobs"; fi
[[ $run_timeout =~ ^[1-9][0-9]*$ ]] || die "BENCH_TIMEOUT must be a positive integer"
read -r -a sets <<<"$sets"
read -r -a tools <<<"$tools"
((${#sets[@]})) || die "no sets"
((${#tools[@]})) || die "no tools"
for s in "${sets[@]}"; do
    [[ -n ${set_count[$s]:-} ]] || die "unknown set: $s (A, B or C)"
    [[ ${set_count[$s]} =~ ^[1-9][0-9]*$ ]] || die "bad count for set $s"
    ((set_size[$s] > 0)) || die "bad size for set $s"
done
for t in "${tools[@]}"; do
    case $t in pcq|curl|wget2|floor1|floor2) ;; *) die "unknown tool: $t (pcq, curl, wget2, floor1 or floor2)" ;; esac
done

has_tool() { local t; for t in "${tools[@]}"; do [[ $t == "$1" ]] && return 0; done; return 1; }

# ---------------------------------------------------------------- tools
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt install time)"
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
command -v curl >/dev/null || die "curl is missing (it is also used to probe the server)"
if has_tool wget2; then command -v wget2 >/dev/null || die "wget2 is missing (apt install wget2)"; fi

floor=
if has_tool floor1 || has_tool floor2; then
    floor=${BENCH_FLOOR:-$repo_root/build/tests/bench/bench-floor}
    [[ -x $floor ]] || die "bench-floor not found: $floor (meson compile -C build)"
fi

pcq=
if has_tool pcq; then
    pcq=${pcq_arg:-${PCQ:-$repo_root/build/src/pcq}}
    [[ $pcq == /* ]] || pcq=$PWD/$pcq
    [[ -x $pcq && -f $pcq ]] || die "pcq not found or not executable: $pcq (build it: meson setup build && meson compile -C build; or pass its path, or BENCH_TOOLS='curl wget2')"
elif [[ -n $pcq_arg ]]; then
    note "pcq path given but pcq is not among the tools; ignoring it"
fi

# ---------------------------------------------------------------- temp dir, cleanup
base_tmp=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
[[ -d $base_tmp && -w $base_tmp ]] || die "temp base is not a writable folder: $base_tmp"
tmp=$(mktemp -d "$base_tmp/pcq-bench.XXXXXX") || die "mktemp failed in $base_tmp"

server_pid=
run_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $run_pid ]]; then
        # timeout(1) leads its own process group: end the tool with it.
        kill -TERM -- "-$run_pid" 2>/dev/null || kill -TERM "$run_pid" 2>/dev/null
        wait "$run_pid" 2>/dev/null
    fi
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    if [[ $keep == 1 ]]; then
        note "kept $tmp"
    else
        rm -rf -- "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------- disk space
# ext4 without a journal skips, with a buffer lookup each, the inodes freed in the
# last seconds when it makes a file: right after a run's 2000 files were deleted, the
# next run's files cost up to 0.8 ms of CPU each, whichever tool makes them. So the
# outputs of a set of many files are moved aside, and deleted with the temp dir.
keeps_outputs() { ((set_count[$1] >= 1000)); }

free_kib=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
# A set of many files keeps every run's output until the end (see keeps_outputs).
need_bytes() {
    local copies=1
    keeps_outputs "$1" && copies=$((rounds * ${#tools[@]}))
    echo $(((1 + copies) * set_count[$1] * set_size[$1]))   # the source + the output copies
}
if [[ " ${sets[*]} " == *" C "* ]]; then
    # Set C wants 4 times its size free (4 GiB for the default 1 GiB): source, output, slack.
    c_need_kib=$((4 * set_count[C] * set_size[C] / 1024))
    if ((free_kib < c_need_kib)); then
        note "SKIPPING set C: only $((free_kib / 1024)) MiB free in $base_tmp, it needs $((c_need_kib / 1024)) MiB"
        new=(); for s in "${sets[@]}"; do [[ $s == C ]] || new+=("$s"); done; sets=("${new[@]}")
    fi
fi
((${#sets[@]})) || die "no set left to run"
total_need=$((64 * 1024 * 1024))
for s in "${sets[@]}"; do total_need=$((total_need + $(need_bytes "$s"))); done
((free_kib * 1024 >= total_need)) ||
    die "not enough space in $base_tmp: $((free_kib / 1024)) MiB free, $((total_need / 1048576)) MiB needed"

# ---------------------------------------------------------------- test data
www=$tmp/www
mkdir -p "$www" "$tmp/lists" "$tmp/runs" "$tmp/ran" "$tmp/home"
for s in "${sets[@]}"; do
    n=${set_count[$s]}; sz=${set_size[$s]}
    note "generating set $s: $n x $(human_size "$sz")"
    mkdir -p "$www/$s"
    digits=5; ((n > 99999)) && digits=${#n}
    # One random stream cut into equal files: fast, and incompressible.
    head -c $((n * sz)) /dev/urandom |
        split -b "$sz" -d -a "$digits" --additional-suffix=.bin - "$www/$s/$s-" ||
        die "could not generate set $s"
    (cd "$www/$s" && ls -1) >"$tmp/lists/$s.names"
    got=$(wc -l <"$tmp/lists/$s.names")
    ((got == n)) || die "set $s: generated $got files, wanted $n"
done
sync -f "$tmp" 2>/dev/null || sync   # do not let the generation's writeback land in run 1

# ---------------------------------------------------------------- server
case $server_kind in
    auto) if [[ -x /usr/sbin/nginx ]]; then server_kind=nginx; else server_kind=python; fi ;;
    nginx) [[ -x /usr/sbin/nginx ]] || die "/usr/sbin/nginx is not installed" ;;
    python) ;;
    *) die "unknown server kind: $server_kind" ;;
esac

if ((bench_tls)); then
    [[ $server_kind == nginx ]] || die "BENCH_TLS=1 needs nginx"
    bench_make_ca
    bench_check_ca
fi
bench_serve "$server_kind" "$www" "${sets[0]}/$(head -n 1 "$tmp/lists/${sets[0]}.names")"
base_url=$bench_scheme://127.0.0.1:$port

for s in "${sets[@]}"; do
    sed "s|^|$base_url/$s/|" "$tmp/lists/$s.names" >"$tmp/lists/$s.urls"
    # curl config: one url/output pair per file, names relative to --output-dir.
    while IFS= read -r name; do
        printf 'url = "%s/%s/%s"\noutput = "%s"\n' "$base_url" "$s" "$name" "$name"
    done <"$tmp/lists/$s.names" >"$tmp/lists/$s.curlrc"
done

# ---------------------------------------------------------------- one run
out=$tmp/out           # the download folder, emptied before every run
results=$tmp/results.tsv
printf 'set\ttool\tround\twall_s\trss_kib\tstatus\tcpu_s\n' >"$results"
failures=0

# wall seconds from GNU time's "h:mm:ss" / "m:ss.cc"
time_field() { grep -F "$1: " "$2" | tail -n 1 | sed 's/.*: //'; }
to_seconds() {
    awk -v t="$1" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.3f", s }'
}

json_num() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9.]*\).*/\1/p" <<<"$2"; }

# verify SET TOOL STDOUT -> prints why it is wrong, returns 1; silent and 0 when right
verify() {
    local s=$1 tool=$2 stdout=$3 n=${set_count[$1]} want_bytes=$((set_count[$1] * set_size[$1]))
    local files bytes last bad=0
    files=$(find "$out" -mindepth 1 | wc -l)
    bytes=$(find "$out" -type f -printf '%s\n' | awk '{ b += $1 } END { printf "%d", b }')
    if ((files != n || bytes != want_bytes)); then
        echo "expected $n files / $want_bytes bytes, found $files entries / $bytes bytes"
        bad=1
    fi
    if ! (cd "$out" && find . -mindepth 1 -printf '%P\n' | sort) | cmp -s - "$tmp/lists/$s.names"; then
        (cd "$out" && find . -mindepth 1 -printf '%P\n' | sort) >"$tmp/got.names"
        echo "file names differ from the served set ($(comm -23 "$tmp/lists/$s.names" "$tmp/got.names" | wc -l) missing, $(comm -13 "$tmp/lists/$s.names" "$tmp/got.names" | wc -l) extra):"
        comm -23 "$tmp/lists/$s.names" "$tmp/got.names" | head -n 5 | sed 's/^/    missing: /'
        comm -13 "$tmp/lists/$s.names" "$tmp/got.names" | head -n 5 | sed 's/^/    extra:   /'
        bad=1
    fi
    if ((!bad)) && [[ $verify_content == 1 ]] && ! diff -rq "$www/$s" "$out" >"$tmp/diff.log" 2>&1; then
        echo "content differs:"; sed -n '1,10s/^/    /p' "$tmp/diff.log"
        bad=1
    fi
    if [[ $tool == pcq ]]; then
        last=$(grep . "$stdout" | tail -n 1)
        if [[ $last != "{"*"}" ]]; then
            echo "pcq's last stdout line is not the summary JSON: ${last:-<empty>}"
            bad=1
        elif [[ $(json_num 'done' "$last") != "$n" || $(json_num failed "$last") != 0 ||
                $(json_num cancelled "$last") != 0 || $(json_num bytes "$last") != "$want_bytes" ]]; then
            echo "pcq's summary does not match $n files / $want_bytes bytes: $last"
            bad=1
        fi
    fi
    return "$bad"
}

run_one() {
    local s=$1 tool=$2 r=$3 tag="$1-$2-r$3"
    local tfile=$tmp/runs/$tag.time so=$tmp/runs/$tag.stdout se=$tmp/runs/$tag.stderr
    local home=$tmp/home/$tool rc wall rss status=ok why
    local -a cmd

    rm -rf -- "$out" "$home"
    mkdir -p "$out" "$home/state" "$home/config" "$home/cache" "$home/data"
    sync -f "$tmp" 2>/dev/null || sync

    case $tool in
        pcq)   cmd=("$pcq" --headless -j "$jobs" -o "$out" -i "$tmp/lists/$s.urls") ;;
        curl)  cmd=(curl --parallel --parallel-max "$jobs" -s -S --fail --output-dir "$out" -K "$tmp/lists/$s.curlrc") ;;
        wget2) cmd=(wget2 --max-threads="$jobs" -q -P "$out" -i "$tmp/lists/$s.urls") ;;
        floor1|floor2)
            cmd=("$floor" --threads "${tool#floor}" --in-flight "$jobs" -o "$out" -i "$tmp/lists/$s.urls") ;;
    esac
    if [[ $bench_sync == 1 ]]; then
        cmd=(bash -c '"$@"; rc=$?; sync -f "$0" || rc=1; exit $rc' "$out" "${cmd[@]}")
    fi
    # Every tool gets a private, empty home: no ~/.curlrc, ~/.wget2rc, pcq config or state.
    cmd=("${bench_with_ca[@]}" env HOME="$home" XDG_STATE_HOME="$home/state" XDG_CONFIG_HOME="$home/config"
         XDG_CACHE_HOME="$home/cache" XDG_DATA_HOME="$home/data" GSETTINGS_BACKEND=memory
         "${cmd[@]}")

    # In the background so that a signal reaches our trap at once; timeout(1) makes its own
    # process group, which cleanup() ends by timeout's pid.
    # Wall time to the millisecond (time -v gives 10 ms steps); it includes starting
    # timeout and time, the same for every tool.
    local t0 t1 user sys cpu
    t0=$(date +%s%N)
    timeout -k 10 "$run_timeout" /usr/bin/time -v -o "$tfile" "${cmd[@]}" >"$so" 2>"$se" </dev/null &
    run_pid=$!
    wait "$run_pid"; rc=$?
    t1=$(date +%s%N)
    run_pid=

    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(time_field 'Maximum resident set size (kbytes)' "$tfile" 2>/dev/null)
    user=$(time_field 'User time (seconds)' "$tfile" 2>/dev/null)
    sys=$(time_field 'System time (seconds)' "$tfile" 2>/dev/null)
    cpu=NA
    [[ -n $user && -n $sys ]] && cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    rss=${rss:-NA}

    why=
    if ((rc == 124 || rc == 137)); then
        why="timed out after ${run_timeout}s"
    elif ((rc != 0)); then
        why="exit status $rc"
    fi
    local vmsg
    vmsg=$(verify "$s" "$tool" "$so") || why="${why:+$why; }wrong result"
    if [[ -n $why ]]; then
        status=FAIL
        failures=$((failures + 1))
        {
            printf '\nbench: FAILED: set %s, %s, round %s: %s\n' "$s" "$tool" "$r" "$why"
            printf '  command: %s\n' "${cmd[*]}"
            [[ -n $vmsg ]] && printf '%s\n' "$vmsg" | sed 's/^/  /'
            if [[ -s $se ]]; then echo "  stderr (last lines):"; tail -n 15 "$se" | sed 's/^/    /'; fi
            if [[ -s $so ]]; then echo "  stdout (last lines):"; tail -n 5 "$so" | sed 's/^/    /'; fi
            echo
        } >&2
        if [[ $keep == 1 ]]; then mv -- "$out" "$tmp/failed-$tag"; fi
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$tool" "$r" "$wall" "$rss" "$status" "$cpu" >>"$results"
    printf 'bench: [%s round %d/%d] %-6s %8s s cpu %5s s %9s MiB  %s\n' "$s" "$r" "$rounds" "$tool" "$wall" "$cpu" \
        "$([[ $rss == NA ]] && echo NA || awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$status" >&2
    if keeps_outputs "$s" && [[ -d $out ]]; then
        mv -- "$out" "$tmp/ran/$tag"
    else
        rm -rf -- "$out"
    fi
}

# ---------------------------------------------------------------- the runs
pcq_version=
[[ -n $pcq ]] && pcq_version=$(timeout 10 env HOME="$tmp/home" "$pcq" --version 2>/dev/null | head -n 1)
note "server: $server_kind on $base_url; jobs $jobs; rounds $rounds; run timeout ${run_timeout}s"
started=$SECONDS
for s in "${sets[@]}"; do
    for ((r = 1; r <= rounds; r++)); do
        # Rotate the order every round so that no tool always runs first (or after the same one).
        nt=${#tools[@]}
        for ((k = 0; k < nt; k++)); do
            run_one "$s" "${tools[(k + r - 1) % nt]}" "$r"
        done
    done
done
elapsed=$((SECONDS - started))

# ---------------------------------------------------------------- the table
# median of the ok runs of one set/tool, column 4 (wall) or 5 (rss)
median() {
    awk -F'\t' -v s="$1" -v t="$2" -v c="$3" '$1 == s && $2 == t && $6 == "ok" && $c != "NA" { print $c }' "$results" |
        sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
count_runs() { awk -F'\t' -v s="$1" -v t="$2" -v st="$3" '$1 == s && $2 == t && $6 == st' "$results" | wc -l; }
fmt() { awk -v v="$1" -v f="$2" -v d="${3:-1}" 'BEGIN { if (v == "NA") print "NA"; else printf f, v / d }'; }

echo
echo "pcq download benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, server $server_kind$( ((bench_tls)) && echo " (HTTPS, TLS 1.3, HTTP/2)"), -j $jobs, $rounds round(s), runs took ${elapsed}s"
[[ -n $pcq ]] && echo "pcq: $pcq${pcq_version:+ ($pcq_version)}"
[[ $bench_sync == 1 ]] && echo "BENCH_SYNC=1: every timed run includes syncfs of the output folder"
echo
printf '%-4s %-16s %-6s %10s %8s %10s %9s %s\n' set files tool wall_s cpu_s MiB/s rss_MiB runs
printf '%-4s %-16s %-6s %10s %8s %10s %9s %s\n' --- ---------------- ------ ---------- -------- ---------- --------- ----
declare -A med_wall med_rss med_cpu
for s in "${sets[@]}"; do
    bytes=$((set_count[$s] * set_size[$s]))
    desc="${set_count[$s]} x $(human_size "${set_size[$s]}")"
    for t in "${tools[@]}"; do
        w=$(median "$s" "$t" 4); k=$(median "$s" "$t" 5); c=$(median "$s" "$t" 7)
        med_wall[$s.$t]=$w; med_rss[$s.$t]=$k; med_cpu[$s.$t]=$c
        ok=$(count_runs "$s" "$t" ok); bad=$(count_runs "$s" "$t" FAIL)
        runs="$ok ok"; ((bad)) && runs="$runs, $bad FAILED"
        tput=NA; [[ $w != NA ]] && tput=$(awk -v b="$bytes" -v w="$w" 'BEGIN { if (w > 0) printf "%.1f", b / 1048576 / w; else print "inf" }')
        printf '%-4s %-16s %-6s %10s %8s %10s %9s %s\n' "$s" "$desc" "$t" "$(fmt "$w" '%.3f')" "$(fmt "$c" '%.2f')" "$tput" "$(fmt "$k" '%.1f' 1024)" "$runs"
    done
    if has_tool pcq && ((${#tools[@]} > 1)); then
        best_w=NA best_wt='' best_k=NA best_kt=''
        for t in "${tools[@]}"; do
            [[ $t == pcq || $t == floor* ]] && continue
            w=${med_wall[$s.$t]}; k=${med_rss[$s.$t]}
            if [[ $w != NA ]] && { [[ $best_w == NA ]] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; }; then best_w=$w; best_wt=$t; fi
            if [[ $k != NA ]] && { [[ $best_k == NA ]] || awk -v a="$k" -v b="$best_k" 'BEGIN { exit !(a < b) }'; }; then best_k=$k; best_kt=$t; fi
        done
        printf '%-4s %-16s pcq/best peer: wall x%s (%s), rss x%s (%s)\n' "$s" "" \
            "$(ratio "${med_wall[$s.pcq]}" "$best_w")" "${best_wt:-none}" \
            "$(ratio "${med_rss[$s.pcq]}" "$best_k")" "${best_kt:-none}"
    fi
    for f in floor2 floor1; do
        if has_tool pcq && has_tool "$f"; then
            printf '%-4s %-16s pcq/%s: wall x%s, cpu x%s\n' "$s" "" "$f" \
                "$(ratio "${med_wall[$s.pcq]}" "${med_wall[$s.$f]}")" "$(ratio "${med_cpu[$s.pcq]}" "${med_cpu[$s.$f]}")"
        fi
    done
done
echo
echo "Medians over the ok runs. wall: measured around the run (1 ms); cpu: user + system from"
echo "/usr/bin/time -v (10 ms steps); rss: its \"Maximum resident set size\". Ratios below 1 mean pcq"
echo "is faster / smaller. floor1/floor2: libsoup alone (bench-floor), with 1 and 2 threads."

if [[ -n ${BENCH_RESULTS:-} ]]; then
    cp -- "$results" "$BENCH_RESULTS" && note "per-run results written to $BENCH_RESULTS"
fi
if ((failures)); then
    note "$failures run(s) FAILED (see above)"
    exit 1
fi
exit 0
