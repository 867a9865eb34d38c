#!/usr/bin/env bash
# bench-rate.sh — how closely a server's sending follows pcq's speed limit, beside curl's
# --limit-rate in the same run. See README.md beside this file.
#
# Usage: tests/bench/bench-rate.sh [PATH-TO-PCQ]
# Environment: BENCH_RATE (default 2M; K/M suffixes, binary), BENCH_SECONDS (length of one
# transfer at the limit, default 16), BENCH_TOOLS (default "pcq curl"), BENCH_TLS=1 (HTTPS
# with HTTP/2 from nginx and a throwaway CA; root), BENCH_TMPDIR.
# Exit status: 0 every run fetched the right file, 1 a run failed, 2 bad usage or a missing
# tool. A rate outside the band never fails: this is a benchmark, not a test.

set -u -o pipefail
export LC_ALL=C

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
bench_tls=${BENCH_TLS:-0}
# shellcheck source-path=SCRIPTDIR source=serve.sh
. "$script_dir/serve.sh"

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
note() { printf 'bench: %s\n' "$*" >&2; }


pcq=${1:-${PCQ:-$repo_root/build/src/pcq}}
rate_text=${BENCH_RATE:-2M}
rate=$(parse_size "$rate_text") || die "BENCH_RATE: not a size: $rate_text"
seconds=${BENCH_SECONDS:-16}
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds >= 7)) || die "BENCH_SECONDS must be 7 or more"
tools=${BENCH_TOOLS:-pcq curl}
size=$((rate * seconds))

[[ -x /usr/sbin/nginx ]] || die "nginx is missing (apt install nginx-light)"
command -v ss >/dev/null || die "ss is missing (apt install iproute2)"
command -v python3 >/dev/null || die "python3 is missing"
[[ " $tools " != *" pcq "* || -x $pcq ]] || die "no pcq at $pcq (build it, or give its path)"

tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/pcq-bench-rate.XXXXXX") || die "mktemp failed"
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/www" "$tmp/out"
head -c "$size" /dev/urandom >"$tmp/www/big.bin" || die "cannot make the file"
((bench_tls)) && { bench_make_ca; bench_check_ca; }
bench_access_log=$tmp/access.log
bench_serve nginx "$tmp/www" big.bin
url="$bench_scheme://127.0.0.1:$port/big.bin"

# Bytes the server has handed to TCP on its connections from port $port, every 0.1 s, as
# "SECONDS BYTES" lines, until the tool's pid is gone.
sample() {
    local pid=$1 start=$EPOCHREALTIME now bytes
    while kill -0 "$pid" 2>/dev/null; do
        now=$EPOCHREALTIME
        bytes=$(ss -tinH state established "( sport = :$port )" |
                grep -o 'bytes_sent:[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')
        printf '%s %s\n' "$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.3f", b - a }')" "$bytes"
        sleep 0.1
    done
}

# Reads the samples: for every 5 s window that starts 1 s or more after the first byte and
# ends before the last, the bytes sent in it against the limit. Prints "min max mean n".
windows() {
    python3 - "$1" "$rate" <<'PY'
import sys
samples = [tuple(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
rate = float(sys.argv[2])
# the byte counter is per connection: keep it rising when a connection closes
rising, top = [], 0.0
for t, b in samples:
    top = max(top, b)
    rising.append((t, top))
first = next((t for t, b in rising if b > 0), None)
last = next((t for t, b in rising if b >= rising[-1][1]), None)
ratios = []
if first is not None:
    for i, (t0, b0) in enumerate(rising):
        if t0 < first + 1.0:
            continue
        for t1, b1 in rising[i:]:
            if t1 >= t0 + 5.0:
                if t1 <= last:
                    ratios.append((b1 - b0) / (t1 - t0) / rate)
                break
if ratios:
    print("%.3f %.3f %.3f %d" % (min(ratios), max(ratios), sum(ratios) / len(ratios), len(ratios)))
else:
    print("nan nan nan 0")
PY
}

printf 'bench-rate: %s at a limit of %s B/s (%s), %s s of transfer, %s\n' \
    "$(numfmt --to=iec-i --suffix=B "$size")" "$rate" "$rate_text" "$seconds" \
    "$( ((bench_tls)) && echo "HTTPS (TLS 1.3, HTTP/2 offered)" || echo "HTTP")"
printf '%-5s %9s %9s %8s %8s %8s %8s  %s\n' tool wall_s expect_s w_min w_max w_mean windows protocol
status=0
declare -A means
for tool in $tools; do
    rm -rf "$tmp/out" && mkdir -p "$tmp/out" "$tmp/home"
    : >"$bench_access_log"
    case $tool in
        pcq)
            cmd=("${bench_with_ca[@]}" env HOME="$tmp/home" XDG_STATE_HOME="$tmp/home/state"
                 XDG_CONFIG_HOME="$tmp/home/config" GSETTINGS_BACKEND=memory
                 "$pcq" --headless --limit-rate="$rate" -o "$tmp/out" "$url") ;;
        curl)
            cmd=(curl -s -S --fail --limit-rate "$rate" ${bench_tls:+--cacert "$tmp/tls/ca.crt"}
                 -o "$tmp/out/big.bin" "$url") ;;
        *) die "unknown tool: $tool" ;;
    esac
    start=$EPOCHREALTIME
    "${cmd[@]}" >"$tmp/$tool.stdout" 2>"$tmp/$tool.stderr" &
    pid=$!
    sample "$pid" >"$tmp/$tool.samples"
    wait "$pid"
    rc=$?
    wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    if ((rc != 0)) || ! cmp -s "$tmp/out/big.bin" "$tmp/www/big.bin"; then
        note "$tool failed (exit $rc or a different file):"
        tail -n 5 "$tmp/$tool.stderr" >&2
        status=1
        continue
    fi
    read -r wmin wmax wmean n < <(windows "$tmp/$tool.samples")
    means[$tool]=$wmean
    protocol=$(awk '{ print $1 }' "$bench_access_log" | sort -u | paste -sd, -)
    printf '%-5s %9s %9s %8s %8s %8s %8s  %s\n' "$tool" "$wall" "$seconds" "$wmin" "$wmax" "$wmean" "$n" "$protocol"
done

if [[ -n ${means[pcq]:-} && -n ${means[curl]:-} ]]; then
    printf 'pcq/curl mean rate: x%s   (the goal: every pcq window within 0.900-1.100 of the limit)\n' \
        "$(awk -v a="${means[pcq]}" -v b="${means[curl]}" 'BEGIN { printf "%.3f", a / b }')"
fi
exit $status
