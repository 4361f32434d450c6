//! Independent readers for what the server emits: our own reader, atom_syndication (a
//! stand-in for ordinary feed readers) and `xmllint --noout` when installed.

use std::io::Write;
use std::process::{Command, Stdio};

use rolie_model::xml::Limits;
use rolie_model::{
    Entry, EntryMode, Feed, ServiceDocument, read_entry, read_feed, read_service_document,
};

fn xmllint(xml: &[u8]) {
    let Ok(mut child) = Command::new("xmllint")
        .args(["--noout", "--nonet", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(xml);
    }
    let out = child.wait_with_output().expect("xmllint ran");
    assert!(
        out.status.success(),
        "xmllint refused the document: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(xml)
    );
}

/// Parses a feed in every reader; returns ours.
#[track_caller]
pub fn feed(xml: &[u8]) -> Feed {
    xmllint(xml);
    let theirs = atom_syndication::Feed::read_from(xml).unwrap_or_else(|e| {
        panic!(
            "atom_syndication refused the feed: {e}\n{}",
            String::from_utf8_lossy(xml)
        )
    });
    let ours = read_feed(xml, &Limits::default())
        .unwrap_or_else(|e| panic!("our reader refused the feed: {e}"));
    assert_eq!(
        theirs.entries().len(),
        ours.entries.len(),
        "readers disagree on the entry count"
    );
    assert_eq!(theirs.id(), ours.id);
    ours
}

/// Parses an entry document in every reader; returns ours.
#[track_caller]
pub fn entry(xml: &[u8]) -> Entry {
    xmllint(xml);
    let theirs = atom_syndication::Entry::read_from(xml).unwrap_or_else(|e| {
        panic!(
            "atom_syndication refused the entry: {e}\n{}",
            String::from_utf8_lossy(xml)
        )
    });
    let ours = read_entry(xml, EntryMode::Document, &Limits::default())
        .unwrap_or_else(|e| panic!("our reader refused the entry: {e}"));
    assert_eq!(theirs.id(), ours.id);
    ours
}

/// Parses a service document (AtomPub is beyond atom_syndication: xmllint and ours).
#[track_caller]
pub fn service_document(xml: &[u8]) -> ServiceDocument {
    xmllint(xml);
    read_service_document(xml, &Limits::default())
        .unwrap_or_else(|e| panic!("our reader refused the service document: {e}"))
}

/// The collection names a service document lists (the last segment of each href).
#[track_caller]
pub fn collection_names(xml: &[u8]) -> Vec<String> {
    service_document(xml)
        .workspaces
        .iter()
        .flat_map(|w| w.collections.iter())
        .map(|c| c.href.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}
