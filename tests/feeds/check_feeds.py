"""Reads each feed URL given with an independent parser and fails on any
problem. RSS and Atom go through Python's feedparser: no warning ("bozo"),
and every entry has a title, link, id and readable date. JSON Feed (which
the Debian feedparser does not read) is checked against the JSON Feed 1.1
rules with Python's own json and datetime. Prints "ok URL (N entries)" per
feed."""
import datetime
import json
import sys
import urllib.request

import feedparser


def rss_or_atom(body, headers):
    feed = feedparser.parse(body, response_headers=headers)
    problems = []
    if feed.bozo:
        problems.append(f"not well formed: {feed.bozo_exception!r}")
    if not feed.feed.get("title"):
        problems.append("the feed has no title")
    for entry in feed.entries:
        for key in ("title", "link", "id"):
            if not entry.get(key):
                problems.append(f"an entry has no {key}: {entry.get('title')!r}")
        if not (entry.get("published_parsed") or entry.get("updated_parsed")):
            problems.append(f"an entry has no readable date: {entry.get('title')!r}")
    return problems, len(feed.entries)


def json_feed(body):
    feed = json.loads(body)
    problems = []
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append(f"version is {feed.get('version')!r}")
    if not feed.get("title"):
        problems.append("the feed has no title")
    items = feed.get("items", [])
    for item in items:
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"an item has no id: {item.get('title')!r}")
        if "content_html" not in item and "content_text" not in item:
            problems.append(f"an item has no content: {item.get('title')!r}")
        for key in ("date_published", "date_modified"):
            try:
                datetime.datetime.fromisoformat(item[key].replace("Z", "+00:00"))
            except (KeyError, ValueError) as e:
                problems.append(f"{key} of {item.get('title')!r} is not RFC 3339: {e}")
    return problems, len(items)


failed = False
for url in sys.argv[1:]:
    with urllib.request.urlopen(url) as response:
        body = response.read()
        content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        problems, count = json_feed(body)
    else:
        problems, count = rss_or_atom(body, {"content-type": content_type})
    if count == 0:
        problems.append("no entries")
    if problems:
        failed = True
        print(f"FAILED {url}: " + "; ".join(problems))
    else:
        print(f"ok {url} ({count} entries)")
sys.exit(1 if failed else 0)
