//! Parsing and validating IODEF documents: a typical 5 KB v2 report, a 1 MB v2 document
//! (one Incident with many EventData blocks, the shape of the largest corpus documents),
//! and the same two sizes in JSON.
//!
//! Run with `cargo bench -p rolie-iodef`; add `-- --warm-up-time 1 --measurement-time 3`
//! for a quick pass.

use std::hint::black_box;
use std::path::Path;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rolie_iodef::Syntax;
use rolie_model::RestrictionPolicy;

fn fixture(name: &str) -> Bytes {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Bytes::from(std::fs::read(path).expect("fixtures ship with the crate"))
}

/// A deterministic v2 document of at least `size` bytes: one Incident whose EventData
/// blocks differ only by their counter.
fn large_xml(size: usize) -> Bytes {
    let mut text = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting" restriction="amber">
    <IncidentID name="csirt.example.com">BENCH-1</IncidentID>
    <ReportTime>2024-03-01T10:00:00+01:00</ReportTime>
    <GenerationTime>2024-03-01T11:00:00+01:00</GenerationTime>
    <Description>Scanning activity seen by the sensor network</Description>
    <Contact role="creator" type="organization"><ContactName>Example CSIRT</ContactName></Contact>
"#,
    );
    let mut i = 0u32;
    while text.len() < size {
        let (a, b) = (i / 250 % 250, i % 250);
        text.push_str(&format!(
            r#"    <EventData restriction="amber">
      <Description>Probe {i} against SSH &amp; Telnet</Description>
      <DetectTime>2024-03-01T09:{:02}:{:02}+01:00</DetectTime>
      <Flow>
        <System category="source"><Node><Address category="ipv4-addr">198.51.{a}.{b}</Address></Node></System>
        <System category="target"><Node><Address category="ipv4-addr">203.0.113.7</Address></Node>
          <Service ip-protocol="6"><Port>22</Port></Service></System>
      </Flow>
      <Expectation action="block-host"/>
    </EventData>
"#,
            i / 60 % 60,
            i % 60
        ));
        i += 1;
    }
    text.push_str("  </Incident>\n</IODEF-Document>\n");
    Bytes::from(text)
}

/// The JSON counterpart of [`large_xml`].
fn large_json(size: usize) -> Bytes {
    let mut text = String::from(
        r#"{"version": "2.0", "lang": "en", "Incident": [{
  "purpose": "reporting", "restriction": "amber",
  "IncidentID": {"id": "BENCH-1", "name": "csirt.example.com"},
  "ReportTime": "2024-03-01T10:00:00+01:00",
  "GenerationTime": "2024-03-01T11:00:00+01:00",
  "Description": ["Scanning activity seen by the sensor network"],
  "Contact": [{"role": "creator", "type": "organization", "ContactName": ["Example CSIRT"]}],
  "EventData": [
"#,
    );
    let mut i = 0u32;
    while text.len() < size {
        if i > 0 {
            text.push_str(",\n");
        }
        let (a, b) = (i / 250 % 250, i % 250);
        text.push_str(&format!(
            r#"    {{"restriction": "amber", "Description": ["Probe {i} against SSH & Telnet"],
     "DetectTime": "2024-03-01T09:{:02}:{:02}+01:00",
     "System": [{{"category": "source", "Node": {{"Address": [{{"category": "ipv4-addr", "value": "198.51.{a}.{b}"}}]}}}},
                {{"category": "target", "Node": {{"Address": [{{"category": "ipv4-addr", "value": "203.0.113.7"}}]}},
                 "Service": [{{"ip-protocol": 6, "Port": 22}}]}}],
     "Expectation": [{{"action": "block-host"}}]}}"#,
            i / 60 % 60,
            i % 60
        ));
        i += 1;
    }
    text.push_str("\n  ]\n}]}\n");
    Bytes::from(text)
}

fn parse(c: &mut Criterion) {
    let policy = RestrictionPolicy::default();
    let cases = [
        (
            "parse typical 5 KB IODEF v2",
            fixture("rich-v2.xml"),
            Syntax::Xml,
        ),
        ("parse 1 MB IODEF v2", large_xml(1 << 20), Syntax::Xml),
        (
            "parse typical JSON IODEF",
            fixture("incidents.json"),
            Syntax::Json,
        ),
        ("parse 1 MB JSON IODEF", large_json(1 << 20), Syntax::Json),
    ];
    let mut group = c.benchmark_group("iodef");
    for (name, bytes, syntax) in cases {
        // A benchmark of a refused document would measure the wrong path.
        rolie_iodef::parse(bytes.clone(), syntax, &policy).expect("bench inputs are valid");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| rolie_iodef::parse(black_box(bytes.clone()), syntax, &policy))
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
