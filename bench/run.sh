#!/usr/bin/env bash
# Masthead's page-serving benchmark against nginx serving the same bytes as a
# static file. Builds the release binary, fills a fresh SQLite database with
# 10,000 stories, starts the server, loads the story page, the home page and a
# section page with wrk on loopback, then serves the story page's bytes from
# nginx under the same load. Prints requests/s, p50 and p99 latency, the ratio
# to nginx, memory and start-up time, and whether each target is met.
#
#   bench/run.sh                 # defaults below
#   STORIES=10000 CONNECTIONS=64 DURATION=10 THREADS=2 bench/run.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_bench bench/run.sh
#                                # on PostgreSQL (an empty, existing database)
#
# Needs wrk, nginx-light and curl (Debian packages); sqlite3 or psql for the
# content-churn run.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${STORIES:-10000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk nginx-light curl)"; exit 1; }
done

work=$(mktemp -d /tmp/masthead-bench.XXXXXX)
chmod 755 "$work" # nginx workers run as another user and must read the page
server_pid=""; nginx_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the release binary"
cargo build --release --quiet
bin=target/release/masthead
db_args=()
[ -n "${DATABASE_URL:-}" ] && db_args=(--database-url "$DATABASE_URL")

echo "== filling a database with $STORIES stories"
seed_start=$(date +%s.%N)
"$bin" seed --stories "$STORIES" --data-dir "$work/data" "${db_args[@]}"
seed_end=$(date +%s.%N)

echo "== starting masthead"
start=$(date +%s%N)
MASTHEAD_LOG=warn "$bin" serve --data-dir "$work/data" "${db_args[@]}" --listen "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
server_pid=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.005
done
startup_ms=$(( ($(date +%s%N) - start) / 1000000 ))

story=/stories/kaldmarks-coalition-bets-its-future-on-a-single-railway
section=/section/europe
base="http://127.0.0.1:$PORT"
# The first request to each page renders it (the cache is empty); the load
# that follows is served from the page cache, as readers would be.
cold=""
for path in "$story" / "$section"; do
  read -r code seconds < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$base$path")
  [ "$code" = 200 ] || { echo "bench: $path answered $code"; exit 1; }
  cold="$cold $(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }')"
done
read -r story_cold home_cold section_cold <<<"$cold"

# Runs wrk and prints "rps p50_ms p99_ms".
load() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" >"$work/wrk.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad) { print "non-2xx answers: " bad > "/dev/stderr" } printf "%.0f %.2f %.2f\n", rps, p50, p99 }
  ' "$work/wrk.txt"
}

echo "== load: $THREADS wrk threads, $CONNECTIONS connections, ${DURATION}s per page"
read -r story_rps story_p50 story_p99 < <(load "$base$story")
read -r home_rps home_p50 home_p99 < <(load "$base/")
read -r section_rps section_p50 section_p99 < <(load "$base$section")
# The same story page while content changes every second (as if editors were
# publishing on another instance): each change empties the page cache, so this
# measures re-rendering under load. Needs the sqlite3 CLI (or psql for PostgreSQL).
churn_rps=""; churn_p50=""; churn_p99=""
bump() {
  local sql="UPDATE content_version SET version = version + 1 WHERE id = 1"
  if [ -n "${DATABASE_URL:-}" ]; then psql -q "$DATABASE_URL" -c "$sql"; else sqlite3 "$work/data/masthead.db" "$sql"; fi
}
if { [ -n "${DATABASE_URL:-}" ] && command -v psql >/dev/null; } || { [ -z "${DATABASE_URL:-}" ] && command -v sqlite3 >/dev/null; }; then
  ( end=$((SECONDS + DURATION)); while [ $SECONDS -lt $end ]; do bump; sleep 1; done ) &
  churn_pid=$!
  read -r churn_rps churn_p50 churn_p99 < <(load "$base$story")
  wait "$churn_pid" 2>/dev/null || true
fi
rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status")
peak_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")

echo "== nginx serving the story page's bytes as a static file"
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
curl -s "$base$story" >"$work/nginx/www/story.html"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/nginx/www;
    location / { default_type text/html; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
until curl -sf "http://127.0.0.1:$NGINX_PORT/story.html" >/dev/null; do sleep 0.05; done
read -r nginx_rps nginx_p50 nginx_p99 < <(load "http://127.0.0.1:$NGINX_PORT/story.html")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
verdict() { if awk -v ok="$1" 'BEGIN { exit !(ok) }'; then echo "met"; else echo "NOT MET"; fi; }

echo
printf '%-30s %10s %9s %9s %9s\n' "page" "req/s" "p50 ms" "p99 ms" "vs nginx"
printf '%-30s %10s %9s %9s %9s\n' "nginx static (story bytes)" "$nginx_rps" "$nginx_p50" "$nginx_p99" "100%"
printf '%-30s %10s %9s %9s %9s\n' "masthead story page" "$story_rps" "$story_p50" "$story_p99" "$(ratio "$story_rps" "$nginx_rps")"
printf '%-30s %10s %9s %9s %9s\n' "masthead home page" "$home_rps" "$home_p50" "$home_p99" "$(ratio "$home_rps" "$nginx_rps")"
printf '%-30s %10s %9s %9s %9s\n' "masthead section page" "$section_rps" "$section_p50" "$section_p99" "$(ratio "$section_rps" "$nginx_rps")"
if [ -n "$churn_rps" ]; then
  printf '%-30s %10s %9s %9s %9s\n' "story page, content changing/s" "$churn_rps" "$churn_p50" "$churn_p99" "$(ratio "$churn_rps" "$nginx_rps")"
else
  echo "(install sqlite3 or psql to also measure the story page while content changes every second)"
fi
echo
echo "database: ${DATABASE_URL:-SQLite in the data directory}"
awk -v n="$STORIES" -v a="$seed_start" -v b="$seed_end" 'BEGIN { printf "stories: %s (seeded in %.1f s)\n", n, b - a }'
echo "server memory: $((rss_kb / 1024)) MB now, $((peak_kb / 1024)) MB peak"
echo "start-up (spawn to first /healthz answer): ${startup_ms} ms"
echo "first, uncached render: story ${story_cold} ms, home ${home_cold} ms, section ${section_cold} ms"
echo
echo "targets:"
echo "  story page >= 50% of nginx req/s: $(verdict "$story_rps >= 0.5 * $nginx_rps")"
echo "  story page p99 < 10 ms at $CONNECTIONS connections: $(verdict "$story_p99 < 10")"
echo "  memory < 100 MB with $STORIES stories: $(verdict "$peak_kb < 100 * 1024")"
echo "  start-up < 1 s: $(verdict "$startup_ms < 1000")"
