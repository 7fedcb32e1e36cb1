#!/usr/bin/env bash
# Readership benchmark (issue 23). Builds the release binary, seeds 10,000
# stories and 10 million generated views over the past year
# (`masthead seed --views`), starts the server and measures:
#
#   summary   the desk's readership page for each period (7 days to 12
#             months) and its CSV export, signed in as an owner: the time of
#             each answer, median and slowest of 21 (target: under 200 ms)
#   cached    the cached story page with wrk, readers not counted against
#             counted (the page then asks browsers to report themselves),
#             ROUNDS times each, alternating, same run (target: counted
#             keeps 95%)
#   reports   the report endpoint itself (POST /_/view), and a story page
#             with its report after it, as a browser makes them
#
#   bench/readership.sh
#   VIEWS=1000000 bench/readership.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_bench bench/readership.sh
#                                   # on PostgreSQL (an empty, existing database)
#
# Needs wrk and curl (Debian packages), and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${STORIES:-10000}
VIEWS=${VIEWS:-10000000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
# Rounds of the cached page, counted and not (runs of one binary vary by
# 10% on a shared machine: alternating rounds spread that over both).
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18090}
FIREFOX="Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk curl)"; exit 1; }
done
if [ -n "${DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { echo "bench: psql is missing (apt-get install postgresql-client)"; exit 1; }
else
  command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is missing (apt-get install sqlite3)"; exit 1; }
fi

work=$(mktemp -d /tmp/masthead-readership.XXXXXX)
server_pid=""; base=""; cookie=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the release binary"
cargo build --release --quiet
bin=target/release/masthead
data="$work/data"
db_args=(--data-dir "$data" ${DATABASE_URL:+--database-url "$DATABASE_URL"})

sql() {
  if [ -n "${DATABASE_URL:-}" ]; then psql -qAt "$DATABASE_URL" -c "$1"; else sqlite3 "$data/masthead.db" "$1"; fi
}

# counting on|off: the site setting, as the desk's settings page saves it
# (the version moves, so every instance reads the settings again).
counting() {
  local value=true
  [ "$1" = off ] && value=false
  if [ -n "${DATABASE_URL:-}" ]; then
    sql "UPDATE settings SET value = jsonb_set(value::jsonb, '{count_readers}', '$value')::text WHERE key = 'site'"
    sql "WITH v AS (UPDATE content_version SET version = version + 1 WHERE id = 1 RETURNING version, changed_at, schedule)
         SELECT pg_notify('masthead_content', version || ' ' || changed_at || ' ' || schedule) FROM v" >/dev/null
  else
    sql "UPDATE settings SET value = json_set(value, '\$.count_readers', json('$value')) WHERE key = 'site'"
    sql "UPDATE content_version SET version = version + 1 WHERE id = 1"
  fi
  sleep 0.5
}

echo "== seeding $STORIES stories and $VIEWS views over the past year"
"$bin" seed --stories "$STORIES" --views "$VIEWS" "${db_args[@]}" | grep -v '^generated' | tail -n 2

source bench/serve_signed_in.sh
serve_signed_in owner

# timed PATH: 21 answers (after one untimed), "median slowest" in ms.
timed() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" "$base$1")
  [ "$code" = 200 ] || { echo "bench: $1 answered $code" >&2; exit 1; }
  for _ in $(seq 1 21); do
    curl -s -o /dev/null -w '%{time_total}\n' -b "$cookie" "$base$1"
  done | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f %.1f\n", a[11] * 1000, a[NR] * 1000 }'
}

views_year=$(curl -s -b "$cookie" "$base/desk/readership?period=12m" |
  grep -o '<dt>Views</dt><dd>[^<]*' | head -n 1 | sed 's/.*<dd>//')
echo "== the desk's readership page ($views_year views in the last 12 months)"
printf "%-34s %10s %10s\n" "" "median ms" "slowest ms"
for period in 7d 30d 90d 12m; do
  read -r median slowest < <(timed "/desk/readership?period=$period")
  printf "%-34s %10s %10s\n" "readership page, $period" "$median" "$slowest"
done
read -r median slowest < <(timed "/desk/readership.csv?period=12m")
printf "%-34s %10s %10s\n" "CSV export, 12 months" "$median" "$slowest"
story_id=$(sql "SELECT id FROM stories WHERE slug = 'kaldmarks-coalition-bets-its-future-on-a-single-railway'")
read -r median slowest < <(timed "/desk/stories/$story_id")
printf "%-34s %10s %10s\n" "story editor with its panel" "$median" "$slowest"

# load URL [SCRIPT]: wrk, printing "rps p99_ms".
load() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency ${2:+-s "$2"} -H "User-Agent: $FIREFOX" "$1" >"$work/wrk.txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad) { print "non-2xx answers: " bad > "/dev/stderr" } printf "%.0f %.2f\n", rps, p99 }
  ' "$work/wrk.txt"
}

story=/stories/kaldmarks-coalition-bets-its-future-on-a-single-railway/
echo "== the cached story page, readers not counted and counted (alternating)"
declare -A total=([off]=0 [on]=0)
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    counting "$mode"
    curl -s -o /dev/null "$base$story"
    grep -q 'data-count' <(curl -s "$base$story") && asks=yes || asks=no
    read -r rps p99 < <(load "$base$story")
    printf "round %s, counting %-3s  %8s req/s  p99 %6s ms  (page asks for a report: %s)\n" "$round" "$mode" "$rps" "$p99" "$asks"
    total[$mode]=$(( ${total[$mode]} + rps ))
  done
done
awk -v on="${total[on]}" -v off="${total[off]}" 'BEGIN { printf "counted / not counted: %.1f%% (target: at least 95%%)\n", 100 * on / off }'

echo "== reports of pages read"
cat >"$work/report.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.body = '{"path": "$story", "referrer": "https://news.example.com/"}'
LUA
cat >"$work/page-and-report.lua" <<LUA
-- As a browser: the page, then its report.
local n = 0
request = function()
  n = n + 1
  if n % 2 == 1 then return wrk.format("GET", "$story") end
  return wrk.format("POST", "/_/view", { ["Content-Type"] = "text/plain;charset=UTF-8" },
    '{"path": "$story", "referrer": "https://news.example.com/"}')
end
LUA
before=$(sql "SELECT COALESCE(SUM(views), 0) FROM readership_totals WHERE grain = 'day' AND dimension = 'site'")
read -r rps p99 < <(load "$base/_/view" "$work/report.lua")
printf "%-34s %8s req/s  p99 %6s ms\n" "reports alone" "$rps" "$p99"
read -r rps p99 < <(load "$base$story" "$work/page-and-report.lua")
printf "%-34s %8s req/s  p99 %6s ms  (%s page views a second)\n" "story page, then its report" "$rps" "$p99" "$(( rps / 2 ))"
sleep 3 # the next flush
after=$(sql "SELECT COALESCE(SUM(views), 0) FROM readership_totals WHERE grain = 'day' AND dimension = 'site'")
echo "views counted during the two runs: $(( after - before ))"
echo "server memory after: $(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$server_pid/status")"
