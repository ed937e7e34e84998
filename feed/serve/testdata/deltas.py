"""A feed reader's poll, by python3-feedparser (Debian's), for the deltas
test of feed/serve: feedparser sends A-IM: feed with every request. One
JSON line on stdout: the status, the ETag, what the answer says of
instance manipulations and codings, and the id of every entry.

    /usr/bin/python3 deltas.py URL [ETAG]
"""
import json
import sys

import feedparser

url = sys.argv[1]
etag = sys.argv[2] if len(sys.argv) > 2 else None
d = feedparser.parse(url, etag=etag)
headers = d.get("headers", {})
print(json.dumps({
    "status": d.get("status"),
    "etag": d.get("etag"),
    "bozo": bool(d.get("bozo")),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.get("version"),
    "im": headers.get("im"),
    "encoding": headers.get("content-encoding"),
    "ids": [e.get("id", "") for e in d.entries],
    "titles": [e.get("title", "") for e in d.entries],
}, ensure_ascii=False))
