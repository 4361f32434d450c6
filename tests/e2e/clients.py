"""What Python clients see of a running rolie server: requests (which asks for gzip and
decodes it, and raises on a body that is not what Content-Encoding says) and feedparser.

Run by tests/e2e/clients.rs with ROLIE_BASE, ROLIE_TOKEN (administrator), ROLIE_READER
(read-only token), ROLIE_ENTRY and ROLIE_CONTENT (URLs of a published entry) in the
environment. Prints one line per check and exits non-zero when any fails.
"""

import os
import sys

import feedparser
import requests

BASE = os.environ["ROLIE_BASE"]
ADMIN = {"Authorization": "Bearer " + os.environ["ROLIE_TOKEN"]}
READER = {"Authorization": "Bearer " + os.environ["ROLIE_READER"]}
ENTRY = os.environ["ROLIE_ENTRY"]
CONTENT = os.environ["ROLIE_CONTENT"]
INCIDENT = open(os.environ["ROLIE_INCIDENT_FILE"], "rb").read()

failures = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else ": " + detail))
    if not condition:
        failures.append(name)


def fetch(name, method, url, status, headers=None, data=None, problem=True):
    """One request; the body must decode (requests raises ContentDecodingError otherwise)."""
    try:
        response = requests.request(method, url, headers=headers or {}, data=data, timeout=10)
        body = response.content
    except requests.exceptions.ContentDecodingError as error:
        check(name, False, "body is not what Content-Encoding says: %s" % error)
        return None
    check(name + " status", response.status_code == status,
          "got %s: %r" % (response.status_code, body[:200]))
    if problem:
        check(name + " problem document",
              response.headers.get("Content-Type", "").startswith("application/problem+json")
              and response.json().get("status") == status,
              "%s %r" % (response.headers.get("Content-Type"), body[:200]))
    return response


# Every request here asks for compression, as requests always does.
check("requests asks for gzip", "gzip" in requests.utils.default_headers()["Accept-Encoding"])

service = fetch("service document", "GET", BASE + "/rolie/servicedocument", 200, ADMIN,
                problem=False)
check("service document is XML", service is not None and service.text.lstrip().startswith("<"))
check("service document came compressed",
      service is not None and service.headers.get("Content-Encoding") in ("gzip", "br", "deflate"),
      str(service.headers if service is not None else None))

feed = fetch("feed", "GET", BASE + "/rolie/feeds/incidents", 200, ADMIN, problem=False)
if feed is not None:
    parsed = feedparser.parse(feed.content)
    check("feedparser reads the feed without complaint (bozo == 0)", parsed.bozo == 0,
          repr(parsed.get("bozo_exception")))
    check("feedparser sees the entry", len(parsed.entries) >= 1, str(len(parsed.entries)))
    # feedparser fetching by itself, the way feed readers do (it asks for gzip and deflate).
    direct = feedparser.parse(BASE + "/rolie/feeds/incidents", request_headers=ADMIN)
    check("feedparser fetching the feed itself: bozo == 0", direct.bozo == 0,
          repr(direct.get("bozo_exception")))
    check("feedparser fetching the feed itself: status 200", direct.get("status") == 200,
          str(direct.get("status")))

entry = fetch("entry", "GET", ENTRY, 200, ADMIN, problem=False)
check("entry is an Atom entry", entry is not None and b"<entry" in entry.content)
content = fetch("content", "GET", CONTENT, 200, ADMIN, problem=False)
check("content is the IODEF document byte for byte", content is not None
      and content.content == INCIDENT)

xml = dict(ADMIN, **{"Content-Type": "application/xml"})
fetch("400 malformed XML", "POST", BASE + "/rolie/feeds/incidents", 400, xml, b"<IODEF-Document")
fetch("401 without credentials", "GET", BASE + "/rolie/feeds/incidents", 401)
fetch("403 a reader posting", "POST", BASE + "/rolie/feeds/incidents", 403,
      dict(READER, **{"Content-Type": "application/xml"}), INCIDENT)
fetch("404 unknown path", "GET", BASE + "/nothing/here", 404, ADMIN)
fetch("405 wrong method", "PATCH", BASE + "/rolie/servicedocument", 405, ADMIN)
fetch("406 Atom excluded", "GET", BASE + "/rolie/feeds/incidents", 406,
      dict(ADMIN, Accept="application/atom+xml;q=0"))
fetch("409 the same incident again", "POST", BASE + "/rolie/feeds/incidents", 409, xml, INCIDENT)
fetch("412 stale If-Match", "DELETE", ENTRY, 412, dict(ADMIN, **{"If-Match": '"stale"'}))
fetch("413 body over the limit", "POST", BASE + "/rolie/feeds/incidents", 413, xml,
      b" " * (128 * 1024))
fetch("415 unsupported media type", "POST", BASE + "/rolie/feeds/incidents", 415,
      dict(ADMIN, **{"Content-Type": "text/plain"}), b"hello")
fetch("422 not IODEF", "POST", BASE + "/rolie/feeds/incidents", 422, xml,
      b"<note>not an incident</note>")
# golie, a Go ROLIE client, sends only Accept: application/json.
golie = fetch("golie's Accept gets the feed", "GET", BASE + "/rolie/feeds/incidents", 200,
              dict(ADMIN, Accept="application/json"), problem=False)
check("golie's Accept gets Atom", golie is not None
      and golie.headers.get("Content-Type", "").startswith("application/atom+xml"))

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
