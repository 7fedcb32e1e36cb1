#!/usr/bin/env bash
# Server CPU per uncached story page: what bench/run.sh's "uncached story"
# requests per second come down to, without the noise of a shared machine's
# scheduling. Seeds STORIES stories on SQLite, crawls every public story
# once (16 connections) ROUNDS times after a content change each, and prints
# each crawl's requests per second and the server's user+system CPU divided
# by the pages served (from /proc/PID/stat).
#
#   bench/page_cpu.sh                      # the built-in theme
#   bench/page_cpu.sh --theme-dir DIR      # with a theme override (A/B a template)
#   BIN=target/profiling/masthead bench/page_cpu.sh   # a build for perf
#
# 15% of nginx on a 2-core machine (issue 22) needs about 150 us a page.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${STORIES:-10000}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18090}
BIN=${BIN:-target/release/masthead}
command -v sqlite3 >/dev/null || { echo "page_cpu: sqlite3 is missing (apt-get install sqlite3)"; exit 1; }

if [ "$BIN" = target/release/masthead ]; then cargo build --release --quiet; fi
loadgen=$(cargo bench --bench loadgen --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*/loadgen-[^"]*"' | cut -d'"' -f4 | tail -n 1)
[ -x "$loadgen" ] || { echo "page_cpu: the load generator did not build"; exit 1; }

work=$(mktemp -d /tmp/masthead-page-cpu.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$BIN" seed --stories "$STORIES" --data-dir "$work" >"$work/seed.log"
sqlite3 "$work/masthead.db" "SELECT '/stories/' || slug || '/' FROM stories WHERE status = 'published'" |
  awk 'BEGIN { srand(7) } { print rand() "\t" $0 }' | sort -k1,1 | cut -f2 >"$work/urls.txt"
"$BIN" serve --data-dir "$work" --listen "127.0.0.1:$PORT" "$@" >"$work/serve.log" 2>&1 &
server_pid=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.05
done

bump() {
  sqlite3 "$work/masthead.db" "UPDATE content_version SET version = version + 1 WHERE id = 1"
  sleep 0.5 # the server polls every 250 ms
}
ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
hz=$(getconf CLK_TCK)

bump # an untimed crawl first: SQLite's and the system's caches warm, as on a running site
"$loadgen" distinct "http://127.0.0.1:$PORT" "$work/urls.txt" 16 >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  bump
  before=$(ticks)
  read -r _ pages rps p50 p99 errors < <("$loadgen" distinct "http://127.0.0.1:$PORT" "$work/urls.txt" 16)
  after=$(ticks)
  awk -v r="$round" -v n="$pages" -v rps="$rps" -v p99="$p99" -v e="$errors" -v t="$((after - before))" -v hz="$hz" \
    'BEGIN { printf "crawl %d: %d pages, %d req/s, p99 %.2f ms, %d errors, %.0f us of server CPU a page\n", r, n, rps, p99, e, t * 1e6 / hz / n }'
done
awk '/VmRSS/ { printf "server memory: %.0f MB\n", $2 / 1024 }' "/proc/$server_pid/status"
