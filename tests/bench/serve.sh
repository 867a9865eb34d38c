# shellcheck shell=bash
# shellcheck disable=SC2154  # $tmp, note and die come from the script that sources this
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Pcq authors
#
# serve.sh — sourced by the benchmarks: parse_size (sizes with K/M/G, binary), ratio, and a server
# for a folder on 127.0.0.1 with nginx (or, without it, python's http.server) from a private
# config. The caller provides $tmp (its own temp
# folder) and the functions note and die; bench_serve sets port and server_pid, and the
# caller ends the server by that pid.
#
# With bench_access_log=FILE (nginx only), each request is logged to FILE as
# "PROTOCOL STATUS BYTES", e.g. "HTTP/1.1 200 1048576".
#
# With bench_tls=1 (nginx only), it serves HTTPS (TLS 1.3, HTTP/2) with a certificate from a
# throwaway CA made in $tmp/tls; bench_with_ca runs a tool that trusts it (see there).

# "16K" / "16KiB" / "1M" / "1G" / "12345" -> bytes
parse_size() {
    local s=${1^^} n mult=1
    s=${s%IB}; s=${s%B}
    case $s in
        *K) mult=1024; n=${s%K} ;;
        *M) mult=$((1024 * 1024)); n=${s%M} ;;
        *G) mult=$((1024 * 1024 * 1024)); n=${s%G} ;;
        *)  n=$s ;;
    esac
    [[ $n =~ ^[0-9]+$ ]] || return 1
    echo $((n * mult))
}

# ratio A B -> A / B with two decimals, or NA when either is missing ("", NA, null) or B is 0
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || a == "NA" || b == "NA" || a == "null" || b == "null" || b == 0) print "NA"
        else printf "%.2f", a / b }'
}

bench_tls=${bench_tls:-0}
bench_scheme=http
((bench_tls)) && bench_scheme=https

bench_make_ca() {
  local d=$tmp/tls
  mkdir -p "$d"
  command -v openssl >/dev/null || die "openssl is missing (apt install openssl)"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Pcq benchmark CA $$" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null &&
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf" &&
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null || die "could not make the test CA"
}

# "${bench_with_ca[@]}" CMD…: runs CMD trusting the test CA too. libsoup (glib-networking)
# reads only the system's bundle, so CMD runs in a mount namespace of its own (unshare -m,
# root) where a copy of that bundle with the CA added is bind-mounted over it; the system is
# never changed. Set by bench_check_ca.
bench_ca_bundle=/etc/ssl/certs/ca-certificates.crt
bench_with_ca=()

bench_check_ca() {
  ((EUID == 0)) || die "BENCH_TLS=1 needs root (unshare -m, to trust the test CA in a private mount namespace)"
  cat "$bench_ca_bundle" "$tmp/tls/ca.crt" >"$tmp/tls/bundle.crt" || die "cannot read $bench_ca_bundle"
  # shellcheck disable=SC2016  # expanded by the inner shell
  bench_with_ca=(unshare -m sh -c 'mount --bind "$0" "$1" && shift && exec "$@"'
                 "$tmp/tls/bundle.crt" "$bench_ca_bundle")
  "${bench_with_ca[@]}" true || die "unshare -m and mount --bind are not allowed here"
}

bench_free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' && return
  fi
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

# shellcheck disable=SC2317  # called as "bench_start_$kind"
bench_start_nginx() {
  local root=$1 port=$2 d=$tmp/nginx user_line=
  mkdir -p "$d/tmp"
  # Only root can (and, with a 0700 temp dir, must) choose the workers' user.
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  cat >"$d/nginx.conf" <<CONF
$user_line
daemon off;
master_process on;
worker_processes auto;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  log_format pcq '\$server_protocol \$status \$body_bytes_sent';
  access_log ${bench_access_log:-off}$( [[ -n ${bench_access_log:-} ]] && echo " pcq");
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  types { }
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen 127.0.0.1:$port$( ((bench_tls)) && echo " ssl http2");
    $( ((bench_tls)) && echo "ssl_certificate $tmp/tls/server.crt; ssl_certificate_key $tmp/tls/server.key; ssl_protocols TLSv1.3; http2_max_requests 1000000;")
    root $root;
    location / { }
  }
}
CONF
  /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout" 2>&1 &
  server_pid=$!
}

# shellcheck disable=SC2317  # called as "bench_start_$kind"
bench_start_python() {
  local root=$1 port=$2
  command -v python3 >/dev/null || die "neither nginx nor python3 is available to serve files"
  python3 -m http.server --bind 127.0.0.1 --directory "$root" "$port" \
    >"$tmp/python-server.log" 2>&1 &
  server_pid=$!
}

# Up when PROBE (a path below the root) answers 200, within 5 s.
bench_server_ready() {
  local port=$1 probe=$2 code
  for _ in $(seq 50); do
    kill -0 "$server_pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 ${bench_tls:+--cacert "$tmp/tls/ca.crt"} \
      "$bench_scheme://127.0.0.1:$port/$probe")
    [[ $code == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# bench_serve KIND ROOT PROBE: KIND is nginx or python; tries up to five ports.
bench_serve() {
  local kind=$1 root=$2 probe=$3 p attempt
  port=
  for attempt in 1 2 3 4 5; do
    p=$(bench_free_port) || die "no free port found"
    "bench_start_$kind" "$root" "$p"
    if bench_server_ready "$p" "$probe"; then
      port=$p
      return 0
    fi
    note "server ($kind) did not come up on port $p (attempt $attempt)"
    [[ $kind == nginx ]] && tail -n 5 "$tmp/nginx/error.log" "$tmp/nginx/stdout" >&2 2>/dev/null
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
  done
  die "could not start the $kind server"
}
