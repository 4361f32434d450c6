#!/usr/bin/env bash
# Read-path and publishing throughput of the release binary, each as a ratio against a
# baseline run side by side in the same session, so the machine's speed and load cancel out.
# It reports figures; it asserts nothing.
#
#   bench/run.sh [--seconds N] [--entries N] [--rounds N] [--backend sqlite|postgres]
#                [--postgres-url URL] [--binary PATH] [--no-record] [--keep]
#
#   --seconds N      length of each wrk run (default 10)
#   --entries N      documents loaded before measuring (default 10000), with `rolie import`
#   --rounds N       interleaved rounds per case: rolie, baseline, rolie, baseline … (default 3)
#   --backend B      sqlite (default) or postgres: a fresh database rolie_bench_<random> on
#                    --postgres-url (default postgres://postgres@127.0.0.1:5432/test), dropped
#                    at exit
#   --binary PATH    measure this binary instead of building target/release/rolie
#   --no-record      print the table only; do not append it to bench/RESULTS.md
#   --keep           keep the working directory (database, served files, logs)
#
# Cases (wrk -t2, 32 connections for reads, 16 for publishing):
#   read path   rolie against nginx (worker_processes auto, gzip_static on) serving the bytes
#               rolie served: a 50-entry feed page with a bearer token, a ?limit=2 page, the
#               feed revalidated with If-None-Match (304; nginx with its own ETag), the feed
#               with Accept-Encoding: gzip (nginx: a .gz made once with gzip -k), one entry
#   publishing  5 KB IODEF v2 documents POSTed with a fresh incident id each (bench/publish.lua)
#               against the database alone: SQLite, 16 sqlite3 processes each committing one
#               5 KB row per BEGIN IMMEDIATE … COMMIT in WAL with synchronous=FULL (what the
#               store uses) on the same disk; PostgreSQL, pgbench inserting 5 KB rows
# It also reports the import rate, start-up time to /readyz at the loaded size, page 1 against
# a page 90 % deep in the feed (reached through `next` links), and the server's peak RSS.
#
# Installs nothing. Needs wrk, nginx, curl, sqlite3, python3 and gzip; psql, createdb,
# dropdb and pgbench for --backend postgres.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
entries=10000
rounds=3
backend=sqlite
postgres_url=postgres://postgres@127.0.0.1:5432/test
binary=
record=true
keep=false
usage() {
    sed -n '6,7p' "$0" | sed 's/^# *//' >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --entries) entries="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --backend) backend="$2"; shift 2 ;;
        --postgres-url) postgres_url="$2"; shift 2 ;;
        --binary) binary="$2"; shift 2 ;;
        --no-record) record=false; shift ;;
        --keep) keep=true; shift ;;
        *) usage ;;
    esac
done
case "$backend" in sqlite | postgres) ;; *) usage ;; esac
for n in "$seconds" "$entries" "$rounds"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage
done
command_line="bench/run.sh --seconds $seconds --entries $entries --rounds $rounds --backend $backend"

say() { printf '%s\n' "$*" >&2; }
# Other work on the machine shifts both sides of a ratio alike, but a reader should know of it.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
die() { say "bench: $*"; exit 1; }

# --- tools: name the Debian package of each missing one, install nothing -----------------
PATH="$PATH:/usr/sbin:/sbin"
pgbench=$(command -v pgbench || true)
if [ -z "$pgbench" ]; then
    # Debian keeps pgbench off PATH, in the server package's bin directory.
    for candidate in /usr/lib/postgresql/*/bin/pgbench; do
        if [ -x "$candidate" ]; then pgbench=$candidate; fi
    done
fi
missing=()
need() { command -v "$1" >/dev/null || missing+=("$2"); }
need wrk wrk
need nginx "nginx-light (or nginx)"
need curl curl
need sqlite3 sqlite3
need python3 python3
need gzip gzip
if [ "$backend" = postgres ]; then
    need psql postgresql-client
    need createdb postgresql-client
    need dropdb postgresql-client
    [ -n "$pgbench" ] || missing+=("postgresql (for pgbench)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    die "missing Debian packages: ${missing[*]} (apt-get install them; this script installs nothing)"
fi
if ! nginx -V 2>&1 | grep -q -- --with-http_gzip_static_module; then
    die "this nginx lacks gzip_static; install nginx-light or nginx from Debian"
fi

# --- binary ---------------------------------------------------------------------------
if [ -z "$binary" ]; then
    cargo build --release --quiet --bin rolie
    binary="${CARGO_TARGET_DIR:-$PWD/target}/release/rolie"
fi
[ -x "$binary" ] || die "no executable at $binary"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

# --- working directory and teardown ---------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/rolie-bench.XXXXXX")
# nginx workers run as an unprivileged user when started by root: they must read www/.
chmod 755 "$work"
rolie_pid=
database=
cleanup() {
    if [ -n "$rolie_pid" ]; then kill "$rolie_pid" 2>/dev/null || true; wait "$rolie_pid" 2>/dev/null || true; fi
    if [ -f "$work/nginx.pid" ]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
    if [ -n "$database" ]; then dropdb --if-exists --force --maintenance-db="$postgres_url" "$database" 2>/dev/null || say "bench: could not drop database $database"; fi
    if $keep; then say "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
filesystem=$(df -PT "$work" | awk 'NR == 2 {print $2}')
[ "$filesystem" = tmpfs ] && say "bench: $work is on tmpfs, so fsync costs nothing there; set TMPDIR to a disk"

# Only what this script sets reaches the server: no configuration file, no stray ROLIE_*.
while read -r variable; do unset "$variable"; done < <(compgen -e | grep '^ROLIE_' || true)
rolie_port=18080
nginx_port=18081
base="http://127.0.0.1:$rolie_port"
for port in "$rolie_port" "$nginx_port"; do
    # Something already answering there would be measured instead of our servers.
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then die "port $port is in use"; fi
done
export ROLIE_DATA_DIR="$work/data"
export ROLIE_LISTEN="127.0.0.1:$rolie_port"
export ROLIE_JWT_HS256_SECRET=bench-secret-0123456789abcdef0123456789abcdef
if [ "$backend" = postgres ]; then
    database="rolie_bench_$(date +%s)_$RANDOM"
    createdb --maintenance-db="$postgres_url" "$database" || die "cannot create database $database on $postgres_url"
    export ROLIE_DATABASE_URL="${postgres_url%/*}/$database"
fi

# --- load -----------------------------------------------------------------------------
# Generated in chunks so a million entries never sit on disk as files at once.
say "bench: generating and importing $entries documents"
chunk=20000
import_seconds=0
doc_bytes=0
docs="$work/docs"
for ((start = 0; start < entries; start += chunk)); do
    count=$((entries - start < chunk ? entries - start : chunk))
    rm -rf "$docs"
    python3 bench/iodef_gen.py --out "$docs" --count "$count" --start "$start"
    t0=$(date +%s.%N)
    "$binary" import "$docs" --collection incidents >"$work/import.log" 2>&1 ||
        die "rolie import refused documents: $(grep -v '^created' "$work/import.log" | sed -n 1,5p)"
    t1=$(date +%s.%N)
    doc_bytes=$((doc_bytes + $(cat "$docs"/*.xml | wc -c)))
    import_seconds=$(awk -v a="$import_seconds" -v b="$t0" -v c="$t1" 'BEGIN {print a + c - b}')
done
rm -rf "$docs"
import_rate=$(awk -v n="$entries" -v s="$import_seconds" 'BEGIN {printf "%.0f", n / s}')
say "bench: imported $entries in ${import_seconds}s ($import_rate documents/s)"

# --- start-up -------------------------------------------------------------------------
t0=$(date +%s%N)
"$binary" serve >"$work/rolie.log" 2>&1 &
rolie_pid=$!
until curl -sf -o /dev/null "$base/readyz"; do
    kill -0 "$rolie_pid" 2>/dev/null || die "rolie exited: $(tail -5 "$work/rolie.log")"
    (($(date +%s%N) - t0 < 120000000000)) || die "rolie not ready after 120 s"
    sleep 0.01
done
ready_ms=$((($(date +%s%N) - t0) / 1000000))
say "bench: ready in $ready_ms ms"
token=$("$binary" token --subject bench --scope "rolie:read rolie:write" --clearance red 2>/dev/null)
auth="Authorization: Bearer $token"
feed="$base/rolie/feeds/incidents"

# --- the bytes nginx serves: exactly what rolie served --------------------------------
www="$work/www"
mkdir -p "$www"
fetch() { # URL FILE: a 200 with the bearer token, headers to FILE.headers
    local code
    code=$(curl -s -o "$2" -D "$2.headers" -w '%{http_code}' -H "$auth" "$1")
    [ "$code" = 200 ] || die "GET $1 answered $code"
}
# `sed -n 1p` rather than `head -1` after grep here and below: head exits early, and pipefail
# turns grep's SIGPIPE into a failure of the script.
header() { grep -i "^$1:" "$2" | sed -n 1p | cut -d' ' -f2- | tr -d '\r'; }
fetch "$feed" "$www/feed.xml"
fetch "$feed?limit=2" "$www/small.xml"
rolie_etag=$(header etag "$www/feed.xml.headers")
entry_url=$(grep -o "href=\"$base/rolie/entries/[^\"]*\"" "$www/feed.xml" | sed -n 1p | cut -d'"' -f2)
[ -n "$entry_url" ] || die "no entry link in the feed page"
fetch "$entry_url" "$www/entry.xml"
gzip -k "$www/feed.xml"
rm -f "$www"/*.headers
chmod -R a+rX "$www"

temp_paths=
for kind in client-body proxy fastcgi uwsgi scgi; do
    if nginx -V 2>&1 | grep -q -- "--http-$kind-temp-path"; then
        mkdir -p "$work/nginx/$kind"
        temp_paths+="    ${kind//-/_}_temp_path $work/nginx/$kind;"$'\n'
    fi
done
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
$temp_paths    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/atom+xml;
    gzip off;
    gzip_static on;
    gzip_vary on;
    server {
        listen 127.0.0.1:$nginx_port;
        root $www;
    }
}
CONF
nginx -e "$work/nginx-error.log" -c "$work/nginx.conf"
static="http://127.0.0.1:$nginx_port"
for _ in $(seq 100); do curl -sf -o /dev/null "$static/small.xml" && break; sleep 0.05; done
nginx_etag=$(curl -s -o /dev/null -D - "$static/feed.xml" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r')

# Each case must answer as intended before it is timed.
expect() { # STATUS BYTES-FILE-OR-EMPTY curl-args…
    local want=$1 file=$2 got
    shift 2
    got=$(curl -s -o "$work/check" -w '%{http_code}' "$@")
    [ "$got" = "$want" ] || die "expected $want, got $got: curl $*"
    if [ -n "$file" ] && ! cmp -s "$work/check" "$file"; then die "different bytes: curl $*"; fi
}
expect 200 "$www/feed.xml" -H "$auth" "$feed"
expect 200 "$www/feed.xml" "$static/feed.xml"
expect 200 "$www/small.xml" -H "$auth" "$feed?limit=2"
expect 200 "$www/small.xml" "$static/small.xml"
expect 200 "$www/entry.xml" -H "$auth" "$entry_url"
expect 200 "$www/entry.xml" "$static/entry.xml"
expect 304 "" -H "$auth" -H "If-None-Match: $rolie_etag" "$feed"
expect 304 "" -H "If-None-Match: $nginx_etag" "$static/feed.xml"
expect 200 "$www/feed.xml.gz" -H "Accept-Encoding: gzip" "$static/feed.xml"
[ "$(curl -s -D - -o /dev/null -H "$auth" -H 'Accept-Encoding: gzip' "$feed" | grep -ci '^content-encoding: gzip')" = 1 ] ||
    die "rolie did not answer Accept-Encoding: gzip with gzip"
rolie_gzip_bytes=$(curl -s -H "$auth" -H 'Accept-Encoding: gzip' "$feed" | wc -c)

# --- measuring ------------------------------------------------------------------------
notes=()
last_rps=
# wrk with the given connections; sets last_rps to successful responses per second (a 304
# counts as a success) and notes any failure.
measure() { # LABEL CONNECTIONS wrk-args…
    local label=$1 connections=$2 out requests duration failed errors
    shift 2
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" "$@")
    requests=$(awk '/ requests in / {print $1}' <<<"$out")
    duration=$(awk '/ requests in / {sub(/,$/, "", $4); print $4}' <<<"$out")
    failed=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
    errors=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' <<<"$out")
    last_rps=$(awk -v r="$requests" -v f="${failed:-0}" -v d="$duration" '
        BEGIN { s = d; if (s ~ /ms$/) s /= 1000; else if (s ~ /m$/) s *= 60; printf "%.1f", (r - f) / s }')
    [ "${failed:-0}" = 0 ] || notes+=("$label: ${failed} responses were 4xx/5xx (not counted)")
    [ "${errors:-0}" = 0 ] || notes+=("$label: ${errors} socket errors")
    say "  $label: $last_rps/s"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
rounds_of() { printf '%.0f\n' "$@" | paste -sd/ - | sed 's|/| / |g'; }
rows=()
# Runs OURS and THEIRS (functions that set last_rps) alternately for the rounds and adds a
# table row: each round's figures and the median of the per-round ratios.
compare() { # LABEL BASELINE-NAME OURS THEIRS
    local label=$1 baseline=$2 ours=$3 theirs=$4 r a b
    local -a our=() their=() ratios=()
    say "bench: $label"
    for ((r = 1; r <= rounds; r++)); do
        "$ours"; a=$last_rps
        "$theirs"; b=$last_rps
        our+=("$a"); their+=("$b")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.6f", (b > 0) ? a / b : 0}')")
    done
    rows+=("| $label | $(rounds_of "${our[@]}") | $baseline: $(rounds_of "${their[@]}") | $(printf '%.3g' "$(median "${ratios[@]}")")× |")
}

size_of() { wc -c <"$1" | awk '{printf "%.1f KB", $1 / 1024}'; }
feed_size=$(size_of "$www/feed.xml")
feed_entries=$(grep -o '<entry[ >]' "$www/feed.xml" | wc -l)

rolie_feed() { measure "rolie feed" 32 -H "$auth" "$feed"; }
nginx_feed() { measure "nginx feed" 32 -H "$auth" "$static/feed.xml"; }
rolie_small() { measure "rolie ?limit=2" 32 -H "$auth" "$feed?limit=2"; }
nginx_small() { measure "nginx ?limit=2" 32 -H "$auth" "$static/small.xml"; }
rolie_304() { measure "rolie 304" 32 -H "$auth" -H "If-None-Match: $rolie_etag" "$feed"; }
nginx_304() { measure "nginx 304" 32 -H "$auth" -H "If-None-Match: $nginx_etag" "$static/feed.xml"; }
rolie_gzip() { measure "rolie gzip" 32 -H "$auth" -H "Accept-Encoding: gzip" "$feed"; }
nginx_gzip() { measure "nginx gzip" 32 -H "$auth" -H "Accept-Encoding: gzip" "$static/feed.xml"; }
rolie_entry() { measure "rolie entry" 32 -H "$auth" "$entry_url"; }
nginx_entry() { measure "nginx entry" 32 -H "$auth" "$static/entry.xml"; }

compare "feed page, $feed_entries entries ($feed_size), bearer token" nginx rolie_feed nginx_feed
compare "feed page ?limit=2 ($(size_of "$www/small.xml"))" nginx rolie_small nginx_small
compare "feed 304, If-None-Match" nginx rolie_304 nginx_304
compare "feed page, gzip (rolie $(awk -v b="$rolie_gzip_bytes" 'BEGIN {printf "%.1f KB", b / 1024}'), nginx gzip_static $(size_of "$www/feed.xml.gz"))" nginx rolie_gzip nginx_gzip
compare "entry GET ($(size_of "$www/entry.xml"))" nginx rolie_entry nginx_entry
read_peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$rolie_pid/status")

# --- deep page ------------------------------------------------------------------------
# Walk `next` links 500 entries at a time to 90 % of the feed, then time a default page
# there against page 1: keyset paging should make them cost the same.
say "bench: walking to a deep page"
target=$((entries * 9 / 10))
depth=0
url="$feed?limit=500"
cursor=
while ((depth + 500 <= target)); do
    curl -sf -H "$auth" -o "$work/page.xml" "$url" || die "GET $url failed"
    next=$(grep -o '<link[^>]*rel="next"[^>]*>' "$work/page.xml" | grep -o 'href="[^"]*"' | sed -n 1p | cut -d'"' -f2 | sed 's/&amp;/\&/g')
    [ -n "$next" ] || break
    depth=$((depth + 500))
    url=$next
    cursor=$(sed -n 's/.*[?&]cursor=\([^&]*\).*/\1/p' <<<"$url")
done
time_page() { # URL: median of 11 sequential GETs, in ms
    local i
    for i in $(seq 11); do curl -s -o /dev/null -w '%{time_total}\n' -H "$auth" "$1"; done |
        sort -g | sed -n 6p | awk '{printf "%.1f", $1 * 1000}'
}
page1_ms=$(time_page "$feed")
if [ -n "$cursor" ]; then
    expect 200 "" -H "$auth" "$feed?cursor=$cursor"
    deep_ms=$(time_page "$feed?cursor=$cursor")
    deep="page 1: $page1_ms ms; page after entry $depth of $entries (cursor from \`next\` links): $deep_ms ms (median of 11 sequential curl GETs, 50 entries each)"
else
    deep="page 1: $page1_ms ms; the feed is too short for a deep page"
fi

# --- publishing -----------------------------------------------------------------------
template="$work/publish-template.xml"
python3 bench/iodef_gen.py --template --size 5120 >"$template"
run_tag="B$(date +%s)"
publish_runs=0
sed "s/@ID@/$run_tag-check/g" "$template" >"$work/check.xml"
expect 201 "" -H "$auth" -H "Content-Type: application/xml" --data-binary @"$work/check.xml" "$feed"
rolie_publish() { # a new id prefix per run: a repeated incident id would be a 409
    publish_runs=$((publish_runs + 1))
    measure "rolie publish (run $publish_runs)" 16 -s bench/publish.lua -H "$auth" -H "Content-Type: application/xml" \
        "$feed" -- "$run_tag-$publish_runs" "$template"
}
baseline_writers=16
if [ "$backend" = sqlite ]; then
    baseline_db="$work/baseline.db"
    sqlite3 "$baseline_db" 'pragma journal_mode=wal;' 'create table blob (id integer primary key, body blob not null);' >/dev/null
    # One process per writer, each a loop of durable single-row transactions, stopped after
    # the same time as wrk; the rate is the rows committed over the wall time.
    raw_inserts() {
        local before after t0 t1 i pids=()
        before=$(sqlite3 "$baseline_db" 'select count(*) from blob')
        t0=$(date +%s.%N)
        for ((i = 0; i < baseline_writers; i++)); do
            yes 'begin immediate; insert into blob (body) values (randomblob(5120)); commit;' |
                timeout "$seconds" sqlite3 -cmd '.timeout 60000' -cmd 'pragma synchronous=full;' "$baseline_db" >/dev/null 2>&1 &
            pids+=($!)
        done
        for i in "${pids[@]}"; do wait "$i" || true; done
        t1=$(date +%s.%N)
        after=$(sqlite3 "$baseline_db" 'select count(*) from blob')
        last_rps=$(awk -v n=$((after - before)) -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", n / (b - a)}')
        say "  raw insert, writers: $baseline_writers: $last_rps/s"
    }
    baseline_name="sqlite3 raw insert"
else
    baseline_dir="$work/pgbench"
    mkdir -p "$baseline_dir"
    psql -q -d "$ROLIE_DATABASE_URL" -c 'create table bench_blob (id bigserial primary key, body bytea not null)' \
        -c 'alter table bench_blob alter column body set storage external'
    # Uncompressed storage, so a 5 KB row costs 5 KB like the SQLite baseline.
    echo "insert into bench_blob (body) values (convert_to(repeat('x', 5120), 'UTF8'));" >"$baseline_dir/insert.sql"
    raw_inserts() {
        local out
        out=$("$pgbench" -n -c "$baseline_writers" -j $((baseline_writers < 2 ? 1 : 2)) -T "$seconds" -f "$baseline_dir/insert.sql" "$ROLIE_DATABASE_URL" 2>&1)
        last_rps=$(awk '/^tps = / {printf "%.1f", $3}' <<<"$out")
        say "  pgbench insert, clients: $baseline_writers: $last_rps/s"
    }
    baseline_name="pgbench insert"
fi
raw_inserts_one() { baseline_writers=1 raw_inserts; }
compare "publish 5 KB IODEF, 16 connections (publishes/s)" "$baseline_name ×16" rolie_publish raw_inserts
compare "publish 5 KB IODEF, 16 connections, against 1 raw writer" "$baseline_name ×1" rolie_publish raw_inserts_one
peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$rolie_pid/status")

# --- report ---------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- 2>/dev/null || commit="$commit (uncommitted changes)"
report=$(
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $backend"
    echo
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $filesystem; load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
    echo "- command: \`$command_line\` (wrk -t2; ${seconds} s per run; rounds: $rounds, interleaved; rolie log level: ${RUST_LOG:-its default})"
    echo "- $entries generated IODEF v2 documents ($((doc_bytes / entries)) bytes on average) loaded with \`rolie import\` at $import_rate documents/s"
    echo
    echo "| path | rolie req/s | baseline req/s | ratio |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "req/s per round, ratio = median of the per-round ratios rolie/baseline."
    echo
    echo "- start-up to \`/readyz\` 200 at $entries entries: $ready_ms ms (polled every 10 ms)"
    echo "- deep page: $deep"
    echo "- peak RSS of rolie (VmHWM): $((read_peak_kb / 1024)) MB after the read runs, $((peak_kb / 1024)) MB after publishing"
    for note in "${notes[@]}"; do echo "- $note"; done
)
printf '\n%s\n' "$report"
if $record; then
    printf '\n%s\n' "$report" >>bench/RESULTS.md
    say "bench: appended to bench/RESULTS.md"
fi
