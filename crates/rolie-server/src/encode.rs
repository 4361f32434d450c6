//! Whole-body compressors for the content codings we offer (RFC 9110 §8.4.1).
//!
//! Every body this server sends is whole in memory before it is sent, so a coding is one call
//! over a byte slice: no streaming encoder, no per-chunk state.

use std::io::Write;

use crate::negotiate::Coding;

/// How hard to compress: harder for bytes kept and sent many times, lighter for bytes sent
/// once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Rendered representations held in the render cache.
    Kept,
    /// A body made for one response (a problem document, an admin listing).
    Once,
}

/// The brotli window for a body of `len` bytes: just large enough to hold it, between
/// brotli's bounds of 2^10 and 2^22 (RFC 7932 §9.1). A larger window finds nothing more in
/// a body that fits, and the encoder sizes its ring buffer and hash tables by the window,
/// so a 4 MiB window for a 7 KB page only cost memory on every compression.
fn window_bits(len: usize) -> u32 {
    let needed = usize::BITS - len.saturating_sub(1).leading_zeros();
    needed.clamp(10, 22)
}

/// Bodies below this size go uncompressed: the coding's framing would outweigh the gain.
pub const MIN_COMPRESSED_BYTES: usize = 32;

/// `bytes` in `coding`; `None` for identity. A `Vec` sink never makes an encoder fail, but
/// the error is passed on rather than assumed away.
///
/// # Errors
/// An error of the encoder.
pub fn encode(coding: Coding, bytes: &[u8], effort: Effort) -> std::io::Result<Option<Vec<u8>>> {
    let level = flate2::Compression::new(6);
    Ok(Some(match coding {
        Coding::Identity => return Ok(None),
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
            encoder.write_all(bytes)?;
            encoder.finish()?
        }
        Coding::Deflate => {
            let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), level);
            encoder.write_all(bytes)?;
            encoder.finish()?
        }
        Coding::Brotli => {
            // Quality 9 for bytes compressed once and sent many times; 4 (what tower-http
            // uses by default) where the compression is paid for by one response.
            let quality = match effort {
                Effort::Kept => 9,
                Effort::Once => 4,
            };
            let mut out = Vec::new();
            {
                let mut encoder = brotli::CompressorWriter::new(
                    &mut out,
                    4096,
                    quality,
                    window_bits(bytes.len()),
                );
                encoder.write_all(bytes)?;
                encoder.flush()?;
            }
            out
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brotli_window_fits_the_body() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1024), 10);
        assert_eq!(window_bits(1025), 11);
        assert_eq!(window_bits(140_000), 18);
        assert_eq!(window_bits(64 << 20), 22);
    }

    #[test]
    fn every_coding_round_trips_a_page() {
        let page: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("<entry n=\"{i}\"/>").into_bytes())
            .take(150_000)
            .collect();
        let compressed = encode(Coding::Brotli, &page, Effort::Kept)
            .expect("encode")
            .expect("a body");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut compressed.as_slice(), &mut decoded).expect("decode");
        assert_eq!(decoded, page);
    }
}
