#!/usr/bin/env bash
# HTTP load figures for the read path, as ratios against nginx serving the same bytes as a
# static file in the same session (so machine load cancels out).
#
#   scripts/load.sh [--seconds N] [--connections N] [--entries N]
#
# Needs wrk and nginx (apt-get install wrk nginx-light). Builds and starts `rolie` in release
# mode on SQLite in a temporary directory, publishes N entries, then measures with wrk:
#   nginx static   the feed's bytes served by nginx (the baseline)
#   feed 304       GET of the feed with a matching If-None-Match
#   feed 200       GET of the first feed page (50 entries), rendered
#   entry 200      GET of one entry
#   healthz        the framework's floor
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
connections=32
entries=200
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --entries) entries="$2"; shift 2 ;;
        *) echo "usage: $0 [--seconds N] [--connections N] [--entries N]" >&2; exit 2 ;;
    esac
done
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "load: $tool is not installed" >&2; exit 1; }
done

cargo build --release --quiet --bin rolie
work=$(mktemp -d)
rolie_port=18080
nginx_port=18081
secret=load-test-secret-0123456789abcdef0123456789
cleanup() {
    [ -n "${rolie_pid:-}" ] && kill "$rolie_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

binary="$PWD/target/release/rolie"
(cd "$work" && exec env ROLIE_LISTEN=127.0.0.1:$rolie_port ROLIE_JWT_HS256_SECRET=$secret RUST_LOG=warn \
    "$binary" >/dev/null 2>&1) &
rolie_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$rolie_port/readyz" >/dev/null && break; sleep 0.1; done
token=$(ROLIE_JWT_HS256_SECRET=$secret target/release/rolie token --subject load --scope "rolie:read rolie:write" --clearance red)
base="http://127.0.0.1:$rolie_port"
for i in $(seq "$entries"); do
    sed "s/CSIRT-2024-0117/LOAD-$i/" crates/rolie-iodef/tests/fixtures/minimal-v2.xml |
        curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "Content-Type: application/xml" \
            --data-binary @- "$base/rolie/feeds/incidents"
done
curl -sf -D "$work/headers" -o "$work/feed.xml" -H "Authorization: Bearer $token" "$base/rolie/feeds/incidents"
etag=$(grep -i '^etag:' "$work/headers" | cut -d' ' -f2 | tr -d '\r')
entry=$(grep -o -m1 "$base/rolie/entries/[0-9a-f-]*" "$work/feed.xml" | sed -n 1p)

mkdir -p "$work/www"
cp "$work/feed.xml" "$work/www/feed.xml"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
    }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5

run() {
    local name=$1; shift
    local rps
    rps=$(wrk -t2 -c"$connections" -d"${seconds}s" "$@" | awk '/Requests\/sec/ {print $2}')
    printf '%-14s %12s\n' "$name" "$rps" >&2
    echo "$rps"
}
echo "wrk: ${seconds}s, $connections connections, $entries entries; rolie worker threads = cores"
printf '%-14s %12s\n' "case" "requests/s"
baseline=$(run "nginx static" "http://127.0.0.1:$nginx_port/feed.xml")
results=()
results+=("feed 304:$(run "feed 304" -H "Authorization: Bearer $token" -H "If-None-Match: $etag" "$base/rolie/feeds/incidents")")
results+=("feed 200:$(run "feed 200" -H "Authorization: Bearer $token" "$base/rolie/feeds/incidents")")
results+=("entry 200:$(run "entry 200" -H "Authorization: Bearer $token" "$entry")")
results+=("healthz:$(run "healthz" "$base/healthz")")
echo "ratios against nginx static ($baseline requests/s):"
for result in "${results[@]}"; do
    name=${result%%:*}
    rps=${result#*:}
    awk -v n="$name" -v r="$rps" -v b="$baseline" 'BEGIN { printf "  %-12s %.2fx\n", n, r / b }'
done
