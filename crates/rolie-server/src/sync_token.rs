//! The `since` token of incremental sync (`docs/sync.md`): a window of the change log and a
//! position in it, bound to one collection and one caller's view.
//!
//! The token is 32 bytes in hex: `since`, `upto` and `after` as big-endian integers and a
//! check over them, the collection and the caller's view. A token edited, truncated, or
//! presented for another collection or by a caller with another view fails the check and
//! is a 400. The check is not a secret: numbers chosen by hand can only move the window
//! within the change log as the caller sees it, which the store filters by the caller's
//! clearance whatever the token says.

use sha2::{Digest, Sha256};

/// A position in incremental sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncToken {
    /// The window starts after this change sequence number.
    pub since: i64,
    /// The window ends with this one.
    pub upto: i64,
    /// Entries whose last change in the window is after this one are still to come.
    pub after: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token at all.
    #[error("the since token is not one this server issued")]
    Malformed,
    /// A token, but for another collection or another caller's view.
    #[error(
        "the since token belongs to another collection or to a caller with other access; start again from the feed's sync link"
    )]
    Foreign,
}

const BYTES: usize = 32;

impl SyncToken {
    /// The token that starts the next window after `seq`: nothing before it is pending.
    pub fn at(seq: i64) -> Self {
        SyncToken {
            since: seq,
            upto: seq,
            after: seq,
        }
    }

    /// Whether every entry of the window has been served.
    pub fn is_complete(&self) -> bool {
        self.after >= self.upto
    }

    /// The token's text for `collection` and the caller's `view`.
    pub fn encode(&self, collection: &str, view: &str) -> String {
        let mut bytes = [0u8; BYTES];
        bytes[..8].copy_from_slice(&self.since.to_be_bytes());
        bytes[8..16].copy_from_slice(&self.upto.to_be_bytes());
        bytes[16..24].copy_from_slice(&self.after.to_be_bytes());
        let sum = check(&bytes[..24], collection, view);
        bytes[24..].copy_from_slice(&sum);
        hex::encode(bytes)
    }

    /// Reads a token presented for `collection` by a caller with `view`.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] for text that is not a token, [`TokenError::Foreign`] for
    /// one whose check does not hold here.
    pub fn decode(text: &str, collection: &str, view: &str) -> Result<Self, TokenError> {
        let mut bytes = [0u8; BYTES];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| TokenError::Malformed)?;
        if bytes[24..] != check(&bytes[..24], collection, view) {
            return Err(TokenError::Foreign);
        }
        let number = |range: std::ops::Range<usize>| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[range]);
            i64::from_be_bytes(word)
        };
        let token = SyncToken {
            since: number(0..8),
            upto: number(8..16),
            after: number(16..24),
        };
        if token.since < 0
            || token.upto < token.since
            || token.after < token.since
            || token.after > token.upto
        {
            return Err(TokenError::Malformed);
        }
        Ok(token)
    }
}

fn check(numbers: &[u8], collection: &str, view: &str) -> [u8; 8] {
    let mut hasher = Sha256::new();
    hasher.update(b"rolie sync token v1\0");
    hasher.update(collection.as_bytes());
    hasher.update([0]);
    hasher.update(view.as_bytes());
    hasher.update([0]);
    hasher.update(numbers);
    let digest = hasher.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_for_its_collection_and_view_only() {
        let token = SyncToken {
            since: 7,
            upto: 42,
            after: 19,
        };
        let text = token.encode("incidents", "alice|rolie:read|2|false");
        assert_eq!(
            SyncToken::decode(&text, "incidents", "alice|rolie:read|2|false"),
            Ok(token)
        );
        assert_eq!(
            SyncToken::decode(&text, "indicators", "alice|rolie:read|2|false"),
            Err(TokenError::Foreign)
        );
        assert_eq!(
            SyncToken::decode(&text, "incidents", "bob|rolie:read|1|false"),
            Err(TokenError::Foreign)
        );
        let mut edited = text.clone().into_bytes();
        edited[15] = if edited[15] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            SyncToken::decode(
                &String::from_utf8(edited).unwrap(),
                "incidents",
                "alice|rolie:read|2|false"
            ),
            Err(TokenError::Foreign)
        );
        for garbage in ["", "zz", &text[..20]] {
            assert_eq!(
                SyncToken::decode(garbage, "incidents", "alice|rolie:read|2|false"),
                Err(TokenError::Malformed)
            );
        }
    }
}
