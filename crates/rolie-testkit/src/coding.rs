//! Undoing HTTP content codings with decoders independent of the server's encoders, so a
//! test can tell whether a body is what its `Content-Encoding` says.

use std::io::Read;

/// Decodes `body` as `content_encoding` says (`None` or `identity`: as it is).
///
/// # Errors
/// A message when the bytes are not in that coding, or the coding is not one we know.
pub fn decode(content_encoding: Option<&str>, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match content_encoding.map(str::trim) {
        None | Some("identity") => return Ok(body.to_vec()),
        Some("gzip" | "x-gzip") => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .map_err(|e| format!("not gzip: {e}"))?,
        // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2).
        Some("deflate") => flate2::read::ZlibDecoder::new(body)
            .read_to_end(&mut out)
            .map_err(|e| format!("not zlib deflate: {e}"))?,
        Some("br") => brotli_decompressor::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .map_err(|e| format!("not brotli: {e}"))?,
        Some(other) => return Err(format!("unknown content coding {other:?}")),
    };
    Ok(out)
}
