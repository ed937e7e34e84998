"""A feed reader's polls, by python3-feedparser (Debian's), for the tests
of feed/serve: for each URL, a first fetch, then one with the ETag it got,
then one with its Last-Modified alone. One JSON line per URL on stdout.

    /usr/bin/python3 reader.py URL...
"""
import json
import sys

import feedparser


def poll(url):
    first = feedparser.parse(url)
    out = {
        "url": url,
        "status": first.get("status"),
        "version": first.get("version"),
        "bozo": bool(first.get("bozo")),
        "bozo_exception": str(first.get("bozo_exception", "")),
        "entries": len(first.entries),
        "titles": [e.get("title", "") for e in first.entries],
        "etag": first.get("etag"),
        "modified": first.get("modified"),
        "encoding": first.get("headers", {}).get("content-encoding"),
    }
    if out["etag"]:
        out["status_etag"] = feedparser.parse(url, etag=out["etag"]).get("status")
    if out["modified"]:
        out["status_modified"] = feedparser.parse(url, modified=out["modified"]).get("status")
    return out


for u in sys.argv[1:]:
    print(json.dumps(poll(u), ensure_ascii=False))
