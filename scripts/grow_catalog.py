#!/usr/bin/env python3
"""Grows the demo catalog to N available artworks through the admin API (keep-alive).

A painting goes on sale with a photo: each is made a draft, given one of the demo's photos
(the same small picture, so stored once), and then made available, as a coordinator would.

usage: grow_catalog.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD N
"""
import http.client
import json
import struct
import sys
import urllib.parse
import zlib

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


def upload(path, photo, token):
    boundary = "hunar-grow-catalog"
    body = (
        f"--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n"
        "content-type: image/png\r\n\r\n"
    ).encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "authorization": f"Bearer {token}",
    }
    conn.request("POST", path, body, headers)
    res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        sys.exit(f"POST {path}: {res.status} {data[:300]!r}")


def a_photo():
    """A 160×120 PNG drawn here (a gradient), so the script needs no photo of its own."""
    w, h = 160, 120
    rows = b"".join(b"\x00" + bytes(v for x in range(w) for v in (x, y * 2, 90)) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


token = call("POST", "/api/v1/admin/login", {"email": email, "password": password})["token"]
works = call("GET", "/api/v1/admin/artworks?per_page=100", token=token)
have = works["total"]
templates = works["items"]
photo = a_photo()
for i in range(have, target):
    t = templates[i % len(templates)]
    made = call("POST", "/api/v1/admin/artworks", {
        "artist_id": t["artist_id"], "title": f"{t['title']} #{i}",
        "description": t["description"], "medium": t["medium"],
        "width_cm": t["width_cm"], "height_cm": t["height_cm"], "year": t["year"],
        "size_tier_id": t["size_tier_id"], "status": "draft",
    }, token=token)
    upload(f"/api/v1/admin/artworks/{made['id']}/images", photo, token)
    call("PATCH", f"/api/v1/admin/artworks/{made['id']}", {"status": "available"}, token=token)
print(f"catalog has {target} artworks")
