#!/usr/bin/env python3
"""Deterministic IODEF v2 (RFC 7970) documents for the benchmarks.

    bench/iodef_gen.py --out DIR --count N [--start I] [--seed S] [--prefix P]
    bench/iodef_gen.py --template --size BYTES [--seed S]

The first form writes N files DIR/<prefix>-<seed>-<index>.xml (indexes from I) whose sizes
spread from a few hundred bytes to about 20 KB: most are a few KB (one or two incidents with
contacts, event data and indicators), some are a bare minimal incident, some carry several
incidents with many flows and indicators. Restrictions vary over green, amber and red, with the occasional contact
stricter than its incident. Document i depends only on (seed, prefix, i), so a run with more
entries extends a run with fewer.

The second form prints one document of about BYTES bytes whose incident ids contain the
placeholder @ID@, for load drivers that substitute a fresh id per request.

Standard library only: the benchmark installs nothing.
"""

import argparse
import os
import random
import sys
from datetime import datetime, timedelta, timezone

NS = "urn:ietf:params:xml:ns:iodef-2.0"
MAX_BYTES = 20_000

WORDS = (
    "credential phishing campaign targeting webmail users observed from rented infrastructure "
    "scanning ssh brute force against partner network botnet command control beacon traffic "
    "malware dropper delivered through macro documents exfiltration over dns tunnel ransomware "
    "staging lateral movement via remote desktop compromised vpn appliance exploited known "
    "vulnerability sinkholed domain resolved by infected hosts blocked at perimeter firewall"
).split()
NON_LATIN = (
    "ウェブメール利用者を狙ったフィッシング",
    "Сканирование SSH из сети партнёра",
    "فحص منافذ SSH من شبكة شريكة",
    "Überprüfung verdächtiger Anmeldungen",
)
ORGS = ("csirt.example.com", "cert.example.org", "soc.example.net", "partner.example.org")
PEOPLE = ("Jane Analyst", "Omar Haddad", "Li Wei", "Ana Souza", "Ivan Petrov", "Kim Lee")
PURPOSES = ("reporting", "mitigation", "watch", "traceback", "other")
STATUSES = ("new", "in-progress", "forwarded", "resolved")
RESTRICTIONS = ("green", "green", "amber", "amber", "red")
ROLES = ("creator", "reporter", "tech", "irt", "victim", "cc")
SEVERITIES = ("low", "medium", "high")
IMPACTS = ("breach-privacy", "breach-proprietary", "availability-system", "takeover-account",
           "takeover-system", "integrity-data")
ACTIONS = ("block-host", "block-network", "block-port", "remediate-other", "investigate",
           "contact-source-site", "nothing")
NODE_ROLES = ("mail", "www", "name", "remote-access", "client", "server-internal", "c2-server",
              "phishing-site")
BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Doc:
    """Builds one document from its own random generator."""

    def __init__(self, rng, index):
        self.rng = rng
        self.when = BASE_TIME + timedelta(minutes=7 * index + rng.randrange(7))

    def sentence(self, lo=6, hi=18):
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(lo, hi))]
        text = " ".join(words).capitalize()
        if self.rng.random() < 0.15:
            text += " & <details> in the attached report"
        return esc(text)

    def ipv4(self):
        prefix = self.rng.choice(("192.0.2", "198.51.100", "203.0.113"))
        return f"{prefix}.{self.rng.randrange(1, 255)}"

    def domain(self):
        return f"{self.rng.choice(WORDS)}-{self.rng.randrange(1000)}.example.net"

    def contact(self, indent, nested=True):
        rng = self.rng
        person = rng.random() < 0.4
        name = rng.choice(PEOPLE) if person else f"{rng.choice(ORGS)} CSIRT"
        restriction = ' restriction="red"' if rng.random() < 0.08 else ""
        pad = " " * indent
        lines = [
            f'{pad}<Contact role="{rng.choice(ROLES)}" type="{"person" if person else "organization"}"{restriction}>',
            f"{pad}  <ContactName>{esc(name)}</ContactName>",
        ]
        if rng.random() < 0.5:
            lines.append(f"{pad}  <Description>{self.sentence(4, 10)}</Description>")
        mailbox = name.split()[0].lower() if person else rng.choice(("csirt", "soc", "abuse"))
        lines.append(f"{pad}  <Email><EmailTo>{mailbox}@{rng.choice(ORGS)}</EmailTo></Email>")
        if rng.random() < 0.5:
            lines.append(
                f'{pad}  <Telephone type="{rng.choice(("wired", "mobile"))}">'
                f"<TelephoneNumber>+1-555-{rng.randrange(10000):04d}</TelephoneNumber></Telephone>"
            )
        if nested and rng.random() < 0.3:
            lines.append(self.contact(indent + 2, nested=False))
        lines.append(f"{pad}</Contact>")
        return "\n".join(lines)

    def system(self, category):
        rng = self.rng
        if rng.random() < 0.7:
            node = f'<Address category="ipv4-addr">{self.ipv4()}</Address>'
        else:
            node = f"<DomainData><Name>{self.domain()}</Name></DomainData>"
        lines = [
            f'        <System category="{category}">',
            f"          <Node>{node}</Node>",
            f'          <NodeRole category="{rng.choice(NODE_ROLES)}"/>',
        ]
        if rng.random() < 0.5:
            lines.append(
                f'          <Service ip-protocol="6"><Port>{rng.choice((22, 25, 80, 443, 3389))}</Port></Service>'
            )
        if rng.random() < 0.3:
            lines.append(f"          <Description>{self.sentence(4, 12)}</Description>")
        lines.append("        </System>")
        return "\n".join(lines)

    def event_data(self):
        rng = self.rng
        lines = ["    <EventData>", f"      <Description>{self.sentence()}</Description>"]
        lines.append(f"      <DetectTime>{when(self.when - timedelta(hours=rng.randrange(1, 48)))}</DetectTime>")
        lines.append("      <Flow>")
        lines.append(self.system("source"))
        for _ in range(rng.randrange(1, 4)):
            lines.append(self.system("target"))
        lines.append("      </Flow>")
        lines.append(f'      <Expectation action="{rng.choice(ACTIONS)}"/>')
        lines.append("    </EventData>")
        return "\n".join(lines)

    def indicator(self, incident_id, k):
        rng = self.rng
        if rng.random() < 0.6:
            observable = f'<Address category="ipv4-addr">{self.ipv4()}</Address>'
        else:
            observable = f"<DomainData><Name>{self.domain()}</Name></DomainData>"
        lines = [
            "      <Indicator>",
            f'        <IndicatorID name="{ORGS[0]}" version="1">{incident_id}-ind-{k}</IndicatorID>',
        ]
        if rng.random() < 0.6:
            lines.append(f"        <Description>{self.sentence(4, 12)}</Description>")
        lines.append(f"        <Observable>{observable}</Observable>")
        lines.append("      </Indicator>")
        return "\n".join(lines)

    def incident(self, incident_id, minimal=False):
        rng = self.rng
        restriction = rng.choice(RESTRICTIONS)
        head = [
            f'  <Incident purpose="{rng.choice(PURPOSES)}" status="{rng.choice(STATUSES)}" restriction="{restriction}">',
            f'    <IncidentID name="{rng.choice(ORGS)}">{incident_id}</IncidentID>',
            f"    <ReportTime>{when(self.when - timedelta(minutes=30))}</ReportTime>",
            f"    <GenerationTime>{when(self.when)}</GenerationTime>",
        ]
        if minimal:
            return Incident(head, [f"    <Description>{self.sentence(3, 8)}</Description>"],
                            [self.contact(4, nested=False)], [], [], [])
        descriptions = [f"    <Description>{self.sentence()}</Description>"]
        if rng.random() < 0.2:
            lang = rng.choice(("ja", "ru", "ar", "de"))
            descriptions.append(f'    <Description xml:lang="{lang}">{rng.choice(NON_LATIN)}</Description>')
        descriptions.append(
            f'    <Assessment occurrence="actual">\n'
            f'      <SystemImpact severity="{rng.choice(SEVERITIES)}" type="{rng.choice(IMPACTS)}">\n'
            f"        <Description>{self.sentence(4, 10)}</Description>\n"
            f"      </SystemImpact>\n"
            f"    </Assessment>"
        )
        contacts = [self.contact(4) for _ in range(rng.randint(1, 3))]
        events = [self.event_data() for _ in range(rng.randint(1, 2))]
        indicators = [self.indicator(incident_id, k) for k in range(rng.randint(0, 3))]
        history = [
            f'    <History>\n      <HistoryItem action="{rng.choice(ACTIONS)}">\n'
            f"        <DateTime>{when(self.when + timedelta(minutes=15))}</DateTime>\n"
            f"        <Description>{self.sentence(4, 10)}</Description>\n"
            f"      </HistoryItem>\n    </History>"
        ] if rng.random() < 0.5 else []
        return Incident(head, descriptions, contacts, events, indicators, history)


class Incident:
    """An incident's parts in schema order (RFC 7970 §3.2), so blocks can still be added."""

    def __init__(self, head, descriptions, contacts, events, indicators, history):
        self.head, self.descriptions, self.contacts = head, descriptions, contacts
        self.events, self.indicators, self.history = events, indicators, history

    def xml(self):
        parts = self.head + self.descriptions + self.contacts + self.events
        if self.indicators:
            parts += ["    <IndicatorData>"] + self.indicators + ["    </IndicatorData>"]
        parts += self.history + ["  </Incident>"]
        return "\n".join(parts)


def document(incidents):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<IODEF-Document version="2.00" xml:lang="en" xmlns="{NS}">\n'
        + "\n".join(i.xml() for i in incidents)
        + "\n</IODEF-Document>\n"
    )


def size(incidents):
    return len(document(incidents).encode("utf-8"))


def build(rng, index, id_of, target):
    """Incidents until about `target` bytes (never past MAX_BYTES): whole incidents first,
    then event data and indicators added to the last one."""
    doc = Doc(rng, index)
    if target < 1200:
        return document([doc.incident(id_of(0), minimal=True)])
    incidents = [doc.incident(id_of(0))]
    while size(incidents) < target * 0.6 and len(incidents) < 6:
        incidents.append(doc.incident(id_of(len(incidents))))
    last = incidents[-1]
    while True:
        before = (list(last.events), list(last.indicators))
        if rng.random() < 0.5:
            last.events.append(doc.event_data())
        else:
            last.indicators.append(doc.indicator(id_of(len(incidents) - 1), len(last.indicators)))
        total = size(incidents)
        if total > MAX_BYTES:
            last.events, last.indicators = before
            break
        if total >= target:
            break
    return document(incidents)


def target_size(rng):
    """Mostly a few KB, some minimal, a tail up to ~20 KB."""
    roll = rng.random()
    if roll < 0.15:
        return rng.randint(300, 1100)
    if roll < 0.80:
        return rng.randint(2_000, 8_000)
    return rng.randint(8_000, 19_500)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="directory to write N documents into")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="index of the first document")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prefix", default="BENCH")
    parser.add_argument("--template", action="store_true",
                        help="print one document with @ID@ placeholders instead")
    parser.add_argument("--size", type=int, default=5120, help="template size in bytes")
    args = parser.parse_args()

    if args.template:
        rng = random.Random(f"{args.seed}/template")
        sys.stdout.write(build(rng, 0, lambda k: "@ID@" if k == 0 else f"@ID@-{k}", args.size))
        return
    if not args.out or args.count < 1:
        parser.error("--out DIR and --count N (or --template)")
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.start, args.start + args.count):
        rng = random.Random(f"{args.seed}/{args.prefix}/{i}")
        name = f"{args.prefix}-{args.seed}-{i:07d}"
        text = build(rng, i, lambda k, n=name: n if k == 0 else f"{n}-{k}", target_size(rng))
        with open(os.path.join(args.out, f"{name}.xml"), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
