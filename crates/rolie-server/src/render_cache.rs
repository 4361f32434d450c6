//! Rendered representations kept under their validator, each content coding produced once.
//!
//! A validator (the ETag's opaque tag) is a hash of everything that shapes a representation:
//! for a feed page the caller's visible change counters, its view and the query; for an entry
//! the entry's stored ETag. So two requests with the same tag get the same bytes, and a cache
//! keyed by the tag never needs invalidating: a write changes the tag, and the old bytes age
//! out of the bounded cache. Correctness rests on the validators alone, as it did before.
//! Pollers that do not revalidate, and every caller after the first of a shared entry, get
//! the stored bytes, compressed at most once per coding instead of once per request.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::HeaderValue;

use crate::encode::{self, Effort, MIN_COMPRESSED_BYTES};
use crate::negotiate::Coding;

/// One rendered representation and its codings, made on first use.
pub struct Rendered {
    /// `Content-Type`.
    pub content_type: HeaderValue,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    deflate: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Rendered {
    /// A representation of `identity` bytes.
    pub fn new(content_type: HeaderValue, identity: Bytes) -> Self {
        Rendered {
            content_type,
            identity,
            gzip: OnceLock::new(),
            deflate: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body in `coding`, and the coding actually applied (identity for small bodies
    /// and when an encoder fails, which a `Vec` sink never makes it do).
    pub fn body(&self, coding: Coding) -> (Bytes, Coding) {
        if self.identity.len() < MIN_COMPRESSED_BYTES {
            return (self.identity.clone(), Coding::Identity);
        }
        let slot = match coding {
            Coding::Identity => return (self.identity.clone(), Coding::Identity),
            Coding::Gzip => &self.gzip,
            Coding::Deflate => &self.deflate,
            Coding::Brotli => &self.brotli,
        };
        let body =
            slot.get_or_init(
                || match encode::encode(coding, &self.identity, Effort::Kept) {
                    Ok(bytes) => Bytes::from(bytes.unwrap_or_default()),
                    Err(e) => {
                        tracing::error!("compressing a representation failed: {e}");
                        Bytes::new()
                    }
                },
            );
        if body.is_empty() {
            (self.identity.clone(), Coding::Identity)
        } else {
            (body.clone(), coding)
        }
    }

    /// Bytes held, for the cache's bound (identity plus the codings made so far, or an
    /// estimate of them).
    fn weight(&self) -> u64 {
        // Codings are made after insertion; count them as half the identity size each,
        // about what XML compresses to at worst.
        let len = self.identity.len() as u64;
        len + len / 2 * 3 + 256
    }
}

/// An item's weight: its bytes, but never less than the byte bound shared out evenly over
/// the most items allowed, so that the one byte bound also bounds the count.
#[derive(Clone)]
struct Weight {
    floor: u64,
}

impl quick_cache::Weighter<String, Arc<Rendered>> for Weight {
    fn weight(&self, key: &String, value: &Arc<Rendered>) -> u64 {
        (key.len() as u64 + value.weight()).max(self.floor)
    }
}

/// The cache: bounded by bytes and by count, shared by all handlers.
pub struct RenderCache {
    cache: quick_cache::sync::Cache<String, Arc<Rendered>, Weight>,
    hits: prometheus_client::metrics::counter::Counter,
    misses: prometheus_client::metrics::counter::Counter,
}

impl RenderCache {
    /// A cache holding at most about `max_bytes` and at most `max_items` representations
    /// (either 0 turns caching off).
    pub fn new(max_bytes: u64, max_items: u64) -> Self {
        let (max_bytes, floor) = match max_bytes.checked_div(max_items) {
            Some(share) => (max_bytes, share.max(1)),
            None => (0, 1),
        };
        // The item estimate only sizes the hash table; the weights are what bound.
        let items = usize::try_from((max_bytes / 16_384).min(max_items))
            .unwrap_or(usize::MAX)
            .max(16);
        RenderCache {
            cache: quick_cache::sync::Cache::with_weighter(items, max_bytes, Weight { floor }),
            hits: prometheus_client::metrics::counter::Counter::default(),
            misses: prometheus_client::metrics::counter::Counter::default(),
        }
    }

    /// The representation held under `tag` (a validator's opaque tag, which names the
    /// kind of resource by its prefix).
    pub fn get(&self, tag: &str) -> Option<Arc<Rendered>> {
        let found = self.cache.get(tag);
        if found.is_some() {
            self.hits.inc();
        } else {
            self.misses.inc();
        }
        found
    }

    /// Counts hits and misses into `hits` and `misses` (the server's metrics).
    #[must_use]
    pub fn counting(
        mut self,
        hits: prometheus_client::metrics::counter::Counter,
        misses: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        self.hits = hits;
        self.misses = misses;
        self
    }

    /// Keeps `body` under `tag` and returns it.
    pub fn insert(&self, tag: &str, content_type: HeaderValue, body: Bytes) -> Arc<Rendered> {
        let rendered = Arc::new(Rendered::new(content_type, body));
        self.cache.insert(tag.to_owned(), rendered.clone());
        rendered
    }

    /// Representations held.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn xml() -> HeaderValue {
        HeaderValue::from_static("application/atom+xml")
    }

    #[test]
    fn each_coding_decodes_to_the_identity_bytes() {
        let identity = Bytes::from("<feed>".to_owned() + &"<entry/>".repeat(500) + "</feed>");
        let rendered = Rendered::new(xml(), identity.clone());
        let (gz, coding) = rendered.body(Coding::Gzip);
        assert_eq!(coding, Coding::Gzip);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, identity);
        let (z, _) = rendered.body(Coding::Deflate);
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&z[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, identity);
        let (br, _) = rendered.body(Coding::Brotli);
        let mut out = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, identity);
        assert!(br.len() < identity.len() / 4);
    }

    #[test]
    fn small_bodies_stay_uncompressed() {
        let rendered = Rendered::new(xml(), Bytes::from_static(b"<a/>"));
        assert_eq!(rendered.body(Coding::Brotli).1, Coding::Identity);
    }

    #[test]
    fn a_tag_is_held_and_the_byte_bound_holds() {
        let cache = RenderCache::new(64 * 1024, 10_000);
        assert!(cache.get("f1").is_none());
        cache.insert("f1", xml(), Bytes::from(vec![b'x'; 1000]));
        assert!(cache.get("f1").is_some());
        for i in 0..200 {
            cache.insert(&format!("f{i}"), xml(), Bytes::from(vec![b'x'; 1000]));
        }
        assert!(cache.len() < 200, "bounded: {}", cache.len());
    }

    #[test]
    fn the_count_bound_holds_for_small_representations() {
        let cache = RenderCache::new(64 * 1024 * 1024, 50);
        for i in 0..500 {
            cache.insert(&format!("e{i}"), xml(), Bytes::from(vec![b'x'; 100]));
        }
        assert!(cache.len() <= 50, "at most 50 held: {}", cache.len());
        assert!(!cache.is_empty());
    }
}
