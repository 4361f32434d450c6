"""Every XML document a running rolie server emits, validated against the RELAX NG
schemas of RFC 4287 (Atom) and RFC 5023 (AtomPub) vendored in schemas/: the service
document, category documents, every page of every feed (paged small), every entry on its
own, a sync page holding a tombstone, and the 201 answer to a POST.

Run by tests/e2e/schemas.rs with ROLIE_BASE, ROLIE_TOKEN (administrator), ROLIE_SCHEMAS
(the schemas directory) and ROLIE_CORPUS (tests/corpus) in the environment. Prints one
line per document and exits non-zero when any is invalid.
"""

import glob
import os
import sys
import uuid

import requests
import rnc2rng
from lxml import etree

BASE = os.environ["ROLIE_BASE"]
AUTH = {"Authorization": "Bearer " + os.environ["ROLIE_TOKEN"]}
SCHEMAS = os.environ["ROLIE_SCHEMAS"]
CORPUS = os.environ["ROLIE_CORPUS"]
ATOM_NS = "http://www.w3.org/2005/Atom"
APP_NS = "http://www.w3.org/2007/app"
SYNC = "https://github.com/rolie-server/rolie/blob/main/docs/sync.md#rel-sync"


def schema(name):
    """A compact-syntax schema as lxml's RelaxNG. rnc2rng declares the empty namespace
    of `local:*` as a prefix, which XML forbids; the declaration is unused (the pattern
    itself is written nsName ns=""), so it is dropped."""
    rng = rnc2rng.dumps(rnc2rng.loads(open(os.path.join(SCHEMAS, name)).read()))
    rng = rng.replace('xmlns:local=""', "")
    return etree.RelaxNG(etree.fromstring(rng.encode()))


ATOM = schema("atom.rnc")
APP = schema("app.rnc")
failures = []
validated = []

# rolie check applies the XML-syntax copies (schemas/*.rng, compiled into the binary):
# they must be exactly what the compact schemas convert to.
for name in ("atom", "app"):
    converted = rnc2rng.dumps(rnc2rng.loads(open(os.path.join(SCHEMAS, name + ".rnc")).read()))
    converted = converted.replace('xmlns:local=""', "")
    kept = open(os.path.join(SCHEMAS, name + ".rng")).read()
    kept = "\n".join(line for line in kept.splitlines() if not line.startswith("<!-- Generated"))
    if kept.strip() != converted.strip():
        print("FAIL schemas/%s.rng is not the conversion of schemas/%s.rnc" % (name, name))
        failures.append(name + ".rng")


def fail(name, detail=""):
    print("FAIL " + name + (": " + detail if detail else ""))
    failures.append(name)


def validate(name, rng, body):
    document = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    valid = rng.validate(document)
    validated.append(name)
    print(("ok   " if valid else "FAIL ") + name
          + ("" if valid else ": " + str(rng.error_log.last_error)))
    if not valid:
        failures.append(name)
    return document


def get(url, accept):
    response = requests.get(url, headers=dict(AUTH, Accept=accept), timeout=10)
    response.raise_for_status()
    return response.content


def links(element, rel):
    return [l.get("href") for l in element.findall("{%s}link" % ATOM_NS) if l.get("rel") == rel]


# Documents of every format the server takes, in both collections where they fit.
published = 0
for path in sorted(glob.glob(os.path.join(CORPUS, "iodef", "v2", "*.xml"))[:4]
                   + glob.glob(os.path.join(CORPUS, "iodef", "v1", "*.xml"))[:2]
                   + glob.glob(os.path.join(CORPUS, "iodef", "json", "*.json"))[:2]
                   + glob.glob(os.path.join(CORPUS, "stix", "*.json"))
                   + glob.glob(os.path.join(CORPUS, "misp", "*.json"))):
    media = "application/xml" if path.endswith(".xml") else "application/json"
    for collection in ("incidents", "indicators"):
        response = requests.post(BASE + "/rolie/feeds/" + collection, data=open(path, "rb").read(),
                                 headers=dict(AUTH, **{"Content-Type": media}), timeout=10)
        if response.status_code == 201:
            published += 1
            validate("201 answer to POST of %s" % os.path.basename(path), ATOM, response.content)
            break
print("published %d documents" % published)
if published < 6:
    fail("publishing the corpus", "only %d documents were taken" % published)

service = validate("service document", APP, get(BASE + "/rolie/servicedocument",
                                                "application/atomsvc+xml"))
feeds = []
for collection in service.iter("{%s}collection" % APP_NS):
    feeds.append(collection.get("href"))
    for categories in collection.findall("{%s}categories" % APP_NS):
        if categories.get("href"):
            validate("category document " + categories.get("href"), APP,
                     get(categories.get("href"), "application/atomcat+xml"))

entries = set()
for href in feeds:
    url = href + ("&" if "?" in href else "?") + "limit=2"
    pages = 0
    while url and pages < 50:
        pages += 1
        feed = validate("feed page " + url, ATOM, get(url, "application/atom+xml"))
        for entry in feed.findall("{%s}entry" % ATOM_NS):
            entries.update(links(entry, "edit"))
        url = (links(feed, "next") or [None])[0]
for href in sorted(entries):
    validate("entry " + href, ATOM, get(href, "application/atom+xml;type=entry"))

# A deletion seen through sync: an entry the poller saw at its token, deleted since. The
# page holding the tombstone is valid Atom too.
incident = ("""<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting" restriction="green">
    <IncidentID name="csirt.example.test">SCHEMA-%s</IncidentID>
    <GenerationTime>2024-03-05T09:30:12Z</GenerationTime>
    <Description>Published to be deleted</Description>
    <Contact type="organization" role="creator"><ContactName>Example</ContactName></Contact>
  </Incident>
</IODEF-Document>
""" % uuid.uuid4()).encode()
created = requests.post(BASE + "/rolie/feeds/incidents", data=incident,
                        headers=dict(AUTH, **{"Content-Type": "application/xml"}), timeout=10)
location = created.headers["Location"]
head = etree.fromstring(get(BASE + "/rolie/feeds/incidents", "application/atom+xml"))
sync = (links(head, SYNC) or [None])[0]
if sync is None:
    fail("the feed has no sync link")
else:
    etag = requests.get(location, headers=AUTH, timeout=10).headers.get("ETag", "*")
    deleted = requests.delete(location, headers=dict(AUTH, **{"If-Match": etag}), timeout=10)
    if deleted.status_code not in (200, 204):
        fail("deleting the probe", "%s %r" % (deleted.status_code, deleted.content[:200]))
    body = get(sync, "application/atom+xml")
    validate("sync page with a tombstone", ATOM, body)
    if b"deleted-entry" not in body:
        fail("the sync page holds no tombstone", body[-600:].decode(errors="replace"))
    validate("feed head after a deletion", ATOM,
             get(BASE + "/rolie/feeds/incidents", "application/atom+xml"))

print("%d documents validated, %d failed" % (len(validated), len(failures)))
sys.exit(1 if failures else 0)
