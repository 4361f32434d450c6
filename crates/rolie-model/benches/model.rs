//! Writing a 100-entry feed page and reading a submitted entry.
//!
//! Run with `cargo bench -p rolie-model`; compare against the baseline printed in the same run.

use criterion::{Criterion, criterion_group, criterion_main};
use rolie_model::vocabulary::{media_type, rel, scheme};
use rolie_model::xml::Limits;
use rolie_model::{
    Category, Content, Entry, EntryMode, Feed, Link, Person, RolieProperty, Text, read_entry,
};
use time::macros::datetime;

fn entry(i: usize) -> Entry {
    let mut e = Entry::new(
        format!("urn:uuid:00000000-0000-7000-8000-{i:012}"),
        Text::plain(format!(
            "Phishing wave against webmail, report CSIRT-2024-{i:04}"
        )),
        datetime!(2024-03-05 09:30:12 UTC),
    );
    e.published = Some(datetime!(2024-03-04 21:58:40 UTC));
    e.edited = e.published;
    e.authors.push(Person::named("Example Net CSIRT"));
    e.summary = Some(Text::plain(
        "IODEF v2 report: look-alike login pages; mitigation requested.",
    ));
    e.categories
        .push(Category::new(scheme::INFORMATION_TYPE, "incident"));
    e.categories
        .push(Category::new(scheme::IODEF_PURPOSE, "mitigation"));
    let base = format!("https://csirt.example.net/rolie/entries/{i}");
    e.links.push(Link::new(rel::EDIT, base.clone()));
    e.links
        .push(Link::new(rel::EDIT_MEDIA, format!("{base}/content")).with_type(media_type::XML));
    e.links.push(Link::new(
        rel::COLLECTION,
        "https://csirt.example.net/rolie/feeds/incidents",
    ));
    e.properties.push(RolieProperty::new(
        rolie_model::vocabulary::property::CONTENT_ID,
        format!("CSIRT-2024-{i:04}"),
    ));
    e.content = Some(Content::out_of_line(
        media_type::XML,
        format!("{base}/content"),
    ));
    e
}

fn bench(c: &mut Criterion) {
    let mut feed = Feed::new(
        "urn:uuid:4f9b0c1e-2d7a-4c3e-9a51-0c6de3b8a001",
        Text::plain("Incidents"),
        datetime!(2024-03-05 09:30:12 UTC),
    );
    feed.entries = (0..100).map(entry).collect();
    c.bench_function("write feed of 100 entries", |b| b.iter(|| feed.to_xml()));
    let one = entry(1).to_xml();
    c.bench_function("read one submitted entry", |b| {
        b.iter(|| {
            read_entry(&one, EntryMode::Submission, &Limits::default()).map(|e| e.links.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
