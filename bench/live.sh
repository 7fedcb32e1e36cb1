#!/usr/bin/env bash
# Live coverage benchmark (issue 23): one instance, a live story, 10,000
# readers with its page open (Server-Sent Events streams opened by
# bench/live.rs), the server's memory before and after, then one update
# posted through the desk and the time it takes to reach every reader.
#
#   bench/live.sh
#   CONNECTIONS=2000 bench/live.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_bench bench/live.sh
#                                   # on PostgreSQL (an empty, existing database)
#
# Each connection takes a file descriptor on both sides: the script raises
# its limit (ulimit -n) to CONNECTIONS + 1000 and stops if it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-10000}
PORT=${PORT:-18095}

ulimit -n $((CONNECTIONS + 1000)) 2>/dev/null ||
  { echo "bench: cannot raise the open-file limit to $((CONNECTIONS + 1000)) (ulimit -n); try fewer CONNECTIONS"; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is missing (apt-get install curl)"; exit 1; }

work=$(mktemp -d /tmp/masthead-live.XXXXXX)
server_pid=""; base=""; cookie=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the release binary and the readers' load generator"
cargo build --release --quiet
bin=target/release/masthead
readers=$(cargo bench --bench live --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*/live-[^"]*"' | cut -d'"' -f4 | tail -n 1)
[ -x "$readers" ] || { echo "bench: the load generator did not build"; exit 1; }
db_args=(--data-dir "$work/data" ${DATABASE_URL:+--database-url "$DATABASE_URL"})

"$bin" seed "${db_args[@]}" >/dev/null
# An editor, signed in, and the story made live.
source bench/serve_signed_in.sh
serve_signed_in editor
story=/stories/kaldmarks-coalition-bets-its-future-on-a-single-railway/
story_id=$(curl -s -b "$cookie" "$base/desk/stories?q=railway" | grep -o '/desk/stories/[0-9a-f]\{32\}' | head -n 1 | cut -d/ -f4)
[ -n "$story_id" ] || { echo "bench: the story was not found in the desk"; exit 1; }
csrf=$(curl -s -b "$cookie" "$base/desk/stories/$story_id/live" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | cut -d'"' -f4)
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" --data-urlencode "csrf=$csrf" -d action=start "$base/desk/stories/$story_id/live")
[ "$code" = 303 ] || { echo "bench: live coverage did not start ($code)"; exit 1; }

echo "== $CONNECTIONS readers with the live page open, then one update"
"$readers" "$base" "$story" "$CONNECTIONS" "$server_pid" "/desk/stories/$story_id/updates" "$cookie" "$csrf"
