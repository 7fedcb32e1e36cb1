#!/usr/bin/env bash
# Discovery figures against issue 8's targets. Builds the release binary,
# the load generator (bench/loadgen.rs) and the related-stories timer
# (bench/related.rs), fills a fresh database with 100,000 stories, and
# measures:
#
#   reindex   `masthead search reindex` over every story         (< 60 s)
#   search    typical two-word queries, each a different query,
#             16 connections (search pages are never cached):
#               headline  two words of one story's headline
#               name      a place name and a headline word        (p99 < 20 ms)
#   feed      a section's RSS feed: one render just after a content
#             change (median of 9), and from the page cache with
#             wrk at 16 connections                               (p50 < 2 ms)
#   related   working out one story's related stories, spread
#             over the archive (a job after each save)            (< 5 ms)
#
#   bench/discovery.sh                 # SQLite, 100,000 stories
#   STORIES=20000 bench/discovery.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_discovery bench/discovery.sh
#                                      # on PostgreSQL (an empty, existing database)
#
# Needs wrk and curl (Debian packages), and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${STORIES:-100000}
QUERIES=${QUERIES:-2000}
PORT=${PORT:-18090}

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk curl)"; exit 1; }
done
if [ -n "${DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { echo "bench: psql is missing (apt-get install postgresql-client)"; exit 1; }
else
  command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is missing (apt-get install sqlite3)"; exit 1; }
fi

work=$(mktemp -d /tmp/masthead-discovery.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the release binary, the load generator and the related-stories timer"
cargo build --release --quiet
bin=target/release/masthead
bench_bin() {
  cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
    grep -o "\"executable\":\"[^\"]*/$1-[^\"]*\"" | cut -d'"' -f4 | tail -n 1
}
loadgen=$(bench_bin loadgen)
related=$(bench_bin related)
[ -x "$loadgen" ] && [ -x "$related" ] || { echo "bench: the benchmark tools did not build"; exit 1; }

data="$work/data"
db_url=${DATABASE_URL:-sqlite://$data/masthead.db}
sql() {
  if [ -n "${DATABASE_URL:-}" ]; then psql -qAt "$DATABASE_URL" -c "$1"; else sqlite3 "$data/masthead.db" "$1"; fi
}
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== filling a fresh database with $STORIES stories"
start=$(date +%s.%N)
"$bin" seed --stories "$STORIES" --data-dir "$data" ${DATABASE_URL:+--database-url "$DATABASE_URL"} >"$work/seed.log"
echo "seeded in $(seconds_since "$start") s (each story indexed as it is saved)"

echo "== reindex"
# An index lost behind Masthead's back (the documents deleted), rebuilt
# whole; then a second run, where every document is already up to date.
sql "DELETE FROM search_documents" >/dev/null
reindex() {
  local start
  start=$(date +%s.%N)
  "$bin" search reindex --data-dir "$data" ${DATABASE_URL:+--database-url "$DATABASE_URL"} >"$work/reindex.log"
  seconds_since "$start"
}
reindex_s=$(reindex)
indexed=$(sql "SELECT count(*) FROM search_documents")
refresh_s=$(reindex)

echo "== serving"
MASTHEAD_LOG=warn "$bin" serve --data-dir "$data" ${DATABASE_URL:+--database-url "$DATABASE_URL"} \
  --listen "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
server_pid=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.05
done
base="http://127.0.0.1:$PORT"

# Query lists: QUERIES different two-word searches of each kind, drawn
# (reproducibly) from the archive's own headlines.
words='{ n = 0; for (i = 1; i <= NF; i++) { w = tolower($i); gsub(/[^a-z]/, "", w); if (length(w) >= 4 && w !~ /^(that|this|with|from|their|after|into|what|when|than|they|have|were|will|its)$/) k[++n] = w } }'
sql "SELECT headline FROM stories WHERE status = 'published' ORDER BY id" >"$work/headlines.txt"
awk -v want="$QUERIES" 'BEGIN { srand(11) } { line[NR] = $0 } END {
  made = 0
  while (made < want) {
    h = line[int(rand() * NR) + 1]; split(h, part, ":")
    $0 = (h ~ /^[A-Z][a-z]+: /) ? substr(h, length(part[1]) + 3) : h
    '"$words"'
    if (n < 2) continue
    a = int(rand() * n) + 1; b = int(rand() * n) + 1; if (a == b) continue
    print "/search/?q=" k[a] "+" k[b]; made++
  } }' "$work/headlines.txt" >"$work/headline-queries.txt"
awk -v want="$QUERIES" 'BEGIN { srand(13) } /^[A-Z][a-z]+: / { line[++m] = $0 } END {
  made = 0
  while (made < want && m > 0) {
    h = line[int(rand() * m) + 1]; split(h, part, ":"); name = tolower(part[1])
    $0 = substr(h, length(part[1]) + 3)
    '"$words"'
    if (n < 1) continue
    print "/search/?q=" name "+" k[int(rand() * n) + 1]; made++
  } }' "$work/headlines.txt" >"$work/name-queries.txt"

# warm: SQLite's page cache and the per-change site context, as a running site has
head -n 50 "$work/headline-queries.txt" >"$work/warm.txt"
"$loadgen" distinct "$base" "$work/warm.txt" 4 >/dev/null

echo "== search ($QUERIES different queries of each kind, 16 connections)"
search_line() {
  "$loadgen" distinct "$base" "$1" 16 | awk -v kind="$2" '{ printf "%-9s %6d %7.0f %8.2f %8.2f %6d\n", kind, $2, $3, $4, $5, $6 }'
}
printf "%-9s %6s %7s %8s %8s %6s\n" kind n rps p50_ms p99_ms errors
search_line "$work/headline-queries.txt" headline | tee "$work/search.txt"
search_line "$work/name-queries.txt" name | tee -a "$work/search.txt"
matches() {
  local q; q=$(sed -n "$2p" "$1" | sed 's/.*q=//; s/+/ /')
  curl -s "$base/search/?q=${q// /+}" | grep -c 'class="search-result"' || true
}
echo "(results on the first page of three sample queries: $(matches "$work/headline-queries.txt" 1), $(matches "$work/headline-queries.txt" 2), $(matches "$work/name-queries.txt" 1))"

echo "== section feed"
bump() {
  if [ -n "${DATABASE_URL:-}" ]; then
    sql "WITH v AS (UPDATE content_version SET version = version + 1 WHERE id = 1 RETURNING version, changed_at, schedule)
         SELECT pg_notify('masthead_content', version || ' ' || changed_at || ' ' || schedule) FROM v" >/dev/null
  else
    sql "UPDATE content_version SET version = version + 1 WHERE id = 1"
  fi
  sleep 0.5
}
feed=/section/europe/feed.xml
times=""
for _ in 1 2 3 4 5 6 7 8 9; do
  bump
  curl -s -o /dev/null "$base/newsletter/"
  times="$times $(curl -s -o /dev/null -w '%{time_total}' "$base$feed")"
done
feed_cold=$(echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[5] * 1000 }')
wrk -t2 -c16 -d5s --latency "$base$feed" >"$work/wrk.txt"
feed_warm=$(awk '
  function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
  /Requests\/sec/ { rps = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
  END { printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms", rps, p50, p99 }' "$work/wrk.txt")
echo "first render after a change: ${feed_cold} ms; cached: $feed_warm"

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

echo "== related stories"
"$related" "$db_url" 300 | tee "$work/related.txt"

echo
echo "== discovery, $(sql "SELECT count(*) FROM stories") stories on ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite}"
awk -v r="$reindex_s" -v f="$refresh_s" -v n="$indexed" 'BEGIN { printf "reindex          %6.1f s for %d documents into an empty index (%.1f s when up to date)   target < 60 s   %s\n", r, n, f, (r < 60 ? "ok" : "SLOW") }'
awk '{ printf "search %-9s p99 %6.2f ms (p50 %.2f, %d req/s)   target p99 < 20 ms   %s\n", $1, $5, $4, $3, ($5 < 20 ? "ok" : "SLOW") }' "$work/search.txt"
awk -v c="$feed_cold" -v w="$feed_warm" 'BEGIN { split(w, f, "p50 "); p = f[2] + 0; printf "section feed     cached %s; uncached %.2f ms   target p50 < 2 ms   %s\n", w, c, (p < 2 ? "ok" : "SLOW") }'
awk '{ printf "related          p50 %.2f ms, p99 %.2f ms a story   target < 5 ms   %s\n", $3, $4, $7 }' "$work/related.txt"
