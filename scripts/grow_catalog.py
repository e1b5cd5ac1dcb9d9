#!/usr/bin/env python3
"""Grows the demo catalog to N available artworks through the admin API (keep-alive).

usage: grow_catalog.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD N
"""
import http.client
import json
import sys
import urllib.parse

base, email, password, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port)


def call(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        sys.exit(f"{method} {path}: {res.status} {data[:300]!r}")
    return json.loads(data) if data else None


token = call("POST", "/api/v1/admin/login", {"email": email, "password": password})["token"]
works = call("GET", "/api/v1/admin/artworks?per_page=100", token=token)
have = works["total"]
templates = works["items"]
for i in range(have, target):
    t = templates[i % len(templates)]
    call("POST", "/api/v1/admin/artworks", {
        "artist_id": t["artist_id"], "title": f"{t['title']} #{i}",
        "description": t["description"], "medium": t["medium"],
        "width_cm": t["width_cm"], "height_cm": t["height_cm"], "year": t["year"],
        "size_tier_id": t["size_tier_id"], "status": "available",
    }, token=token)
print(f"catalog has {target} artworks")
