#!/usr/bin/env bash
# Deep listing pages against the first page of the same listing: page 1,000
# of Latest (and the last pages of a section and an author) rendered
# uncached just after a content change, against page 1 rendered the same
# way. The first deep page after a change also reads where each page ends
# (one walk of the listing's keys); that one is reported apart.
#
#   bench/listing.sh                  # SQLite, 13,000 stories (1,084 pages of Latest)
#   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_listing bench/listing.sh
#                                     # PostgreSQL (an empty, existing database)
#
# Needs curl, and sqlite3 or psql. Target: every deep page within 20% of page 1.
set -euo pipefail
cd "$(dirname "$0")/.."

STORIES=${STORIES:-13000}
ROUNDS=${ROUNDS:-15}
PORT=${PORT:-18090}
work=$(mktemp -d /tmp/masthead-listing.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the release binary"
cargo build --release --quiet
bin=target/release/masthead
sql() {
  if [ -n "${DATABASE_URL:-}" ]; then psql -qAt "$DATABASE_URL" -c "$1"; else sqlite3 "$work/data/masthead.db" "$1"; fi
}
bump() {
  if [ -n "${DATABASE_URL:-}" ]; then
    sql "WITH v AS (UPDATE content_version SET version = version + 1 WHERE id = 1 RETURNING version, changed_at, schedule)
         SELECT pg_notify('masthead_content', version || ' ' || changed_at || ' ' || schedule) FROM v" >/dev/null
  else
    sql "UPDATE content_version SET version = version + 1 WHERE id = 1"
  fi
  sleep 0.4 # SQLite: the server polls every 250 ms
}

echo "== filling a database with $STORIES stories"
"$bin" seed --stories "$STORIES" --data-dir "$work/data" ${DATABASE_URL:+--database-url "$DATABASE_URL"} >/dev/null
MASTHEAD_LOG=warn "$bin" serve --data-dir "$work/data" ${DATABASE_URL:+--database-url "$DATABASE_URL"} \
  --listen "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$PORT"
until curl -sf "$base/healthz" >/dev/null; do sleep 0.05; done

# The last page of a listing: follows rel="next" links no further than asked.
pages_of() { # COUNT PER_PAGE
  echo $(( ($1 + 11) / 12 ))
}
section_id=$(sql "SELECT id FROM sections WHERE slug = 'europe'")
section_n=$(sql "SELECT COUNT(*) FROM stories WHERE section_id = '$section_id' AND status = 'published'")
author_id=$(sql "SELECT id FROM authors WHERE slug = 'ines-marlow'")
author_n=$(sql "SELECT COUNT(*) FROM story_authors a JOIN stories s ON s.id = a.story_id WHERE a.author_id = '$author_id' AND s.status = 'published'")
latest_n=$(sql "SELECT COUNT(*) FROM stories WHERE status = 'published'")
latest_deep=1000
[ "$(pages_of "$latest_n")" -ge 1000 ] || latest_deep=$(pages_of "$latest_n")
section_deep=$(pages_of "$section_n")
author_deep=$(pages_of "$author_n")

ms() { curl -s -o /dev/null -w '%{time_total}' "$base$1" | awk '{ printf "%.3f", $1 * 1000 }'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }

declare -A times
for _ in $(seq 1 "$ROUNDS"); do
  bump
  curl -s -o /dev/null "$base/newsletter/" # the per-change site context
  times[first_deep]+=" $(ms "/latest/page/$((latest_deep - 1))/")"
  curl -s -o /dev/null "$base/section/europe/page/2/"
  curl -s -o /dev/null "$base/author/ines-marlow/page/2/"
  curl -s -o /dev/null "$base/section/europe/page/$((section_deep - 1))/"
  curl -s -o /dev/null "$base/author/ines-marlow/page/$((author_deep - 1))/"
  times[latest_1]+=" $(ms /latest/)"
  times[latest_deep]+=" $(ms "/latest/page/$latest_deep/")"
  times[section_1]+=" $(ms /section/europe/)"
  times[section_deep]+=" $(ms "/section/europe/page/$section_deep/")"
  times[author_1]+=" $(ms /author/ines-marlow/)"
  times[author_deep]+=" $(ms "/author/ines-marlow/page/$author_deep/")"
done

echo
echo "Uncached renders just after a change, median of $ROUNDS (ms), $latest_n stories:"
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { r = b / a; printf "%.2fx %s", r, (r <= 1.2 ? "PASS" : "FAIL") }'; }
for listing in latest section author; do
  first=$(echo "${times[${listing}_1]}" | median)
  deep=$(echo "${times[${listing}_deep]}" | median)
  case $listing in latest) n=$latest_deep ;; section) n=$section_deep ;; author) n=$author_deep ;; esac
  echo "  $listing: page 1 $first, page $n $deep ($(verdict "$first" "$deep") against page 1, target <= 1.2x)"
done
echo "  the first deep page after a change (reads every page's end once): $(echo "${times[first_deep]}" | median)"
