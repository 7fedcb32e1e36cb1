#!/usr/bin/env bash
# Imports a generated WordPress export of N posts (default 100,000) into an
# empty SQLite database and prints the time and the peak memory, against
# the issue's target (under 60 s, memory flat: the peak should not grow
# with N; run with N=20000 to compare).
#   bench/import.sh [N]          (DATABASE_URL=postgres://… for PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q
python3 - "$N" > "$work/site.xml" <<'PY'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
w('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
  'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
  'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><title>Bench</title><link>https://bench.example</link>\n')
w('<wp:author><wp:author_login>ed</wp:author_login><wp:author_display_name><![CDATA[Ed Itor]]></wp:author_display_name></wp:author>\n')
for c in range(20):
    w(f'<wp:category><wp:term_id>{c}</wp:term_id><wp:category_nicename>desk-{c}</wp:category_nicename>'
      f'<wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[Desk {c}]]></wp:cat_name></wp:category>\n')
import datetime
start = datetime.datetime(2004, 1, 1)
# An archive in the order WordPress exports it: oldest first, a few a day.
def stamp(i):
    return (start + datetime.timedelta(hours=2 * i)).strftime("%Y-%m-%d %H:%M:%S")
words = "harbour council budget river election transit museum school market grain energy port".split()
for i in range(1, n + 1):
    body = "\n\n".join(" ".join(words[(i + k + j) % len(words)] for j in range(60)) for k in range(5))
    w(f'<item><title>Story number {i}</title><link>https://bench.example/2020/01/story-{i}/</link>'
      f'<dc:creator>ed</dc:creator><content:encoded><![CDATA[<!-- wp:paragraph -->{body}<!-- /wp:paragraph -->]]></content:encoded>'
      f'<excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>{i}</wp:post_id>'
      f'<wp:post_date_gmt>{stamp(i)}</wp:post_date_gmt><wp:post_name>story-{i}</wp:post_name>'
      f'<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>'
      f'<category domain="category" nicename="desk-{i % 20}"><![CDATA[Desk {i % 20}]]></category>'
      f'<category domain="post_tag" nicename="topic-{i % 300}"><![CDATA[Topic {i % 300}]]></category></item>\n')
w('</channel></rss>\n')
PY
size=$(du -m "$work/site.xml" | cut -f1)
echo "generated $N posts ($size MB)"
# Into an empty SQLite database, or the empty PostgreSQL one DATABASE_URL names.
where=(--data-dir "$work/data")
[ -n "${DATABASE_URL:-}" ] && where=(--data-dir "$work/data" --database-url "$DATABASE_URL")
/usr/bin/time -f "%e s elapsed, peak memory %M KB" \
  target/release/masthead import wordpress "${where[@]}" "$work/site.xml" 2>&1 | grep -v "^read " | tail -6
echo "target: under 60 s for 100,000 posts, peak memory flat in N"
