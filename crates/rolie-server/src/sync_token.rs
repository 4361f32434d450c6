//! The `since` token of incremental sync (`docs/sync.md`): a window of the change log and a
//! position in it, sealed for one collection and one caller's view.
//!
//! The numbers inside are positions in the collection's change log, which counts every
//! write, hidden ones included; in clear they would tell a caller how much it cannot see.
//! So the token is sealed with ChaCha20-Poly1305 under a key kept in the database (every
//! replica and every restart shares it), with the collection and the caller's view as
//! associated data: edited, truncated, foreign and other callers' tokens fail to open and
//! are a 400. The nonce is derived from the sealed contents (HMAC-SHA-256 under a second
//! key), so the same position always gives the same token: a page rendered twice under one
//! strong ETag stays byte for byte the same, and a nonce is never reused for other numbers.

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The name of the key in the database's `server_keys`.
pub const KEY_NAME: &str = "sync-token-v1";

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

/// A token that does not open here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the since token was not issued for this collection and these credentials (or was altered); start again from the feed's sync link"
)]
pub struct TokenError;

/// The keys that seal tokens, from the server's secret.
pub struct SyncKey {
    seal: LessSafeKey,
    nonce: hmac::Key,
}

impl std::fmt::Debug for SyncKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncKey(..)")
    }
}

impl SyncKey {
    /// Both keys, derived from `secret` (32 random bytes kept in the database).
    pub fn from_secret(secret: &[u8]) -> Self {
        let derive = |purpose: &[u8]| {
            let mut hasher = Sha256::new();
            hasher.update(b"rolie sync token\0");
            hasher.update(purpose);
            hasher.update(secret);
            hasher.finalize()
        };
        let seal = UnboundKey::new(&CHACHA20_POLY1305, &derive(b"seal"))
            .expect("a 32-byte key is what ChaCha20-Poly1305 takes");
        SyncKey {
            seal: LessSafeKey::new(seal),
            nonce: hmac::Key::new(hmac::HMAC_SHA256, &derive(b"nonce")),
        }
    }

    /// A fresh secret for [`SyncKey::from_secret`], offered to the database.
    pub fn candidate_secret() -> [u8; 32] {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).expect("the system random source works");
        secret
    }
}

const PLAIN: usize = 24;
const TAG: usize = 16;

fn associated(collection: &str, view: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(collection.len() + view.len() + 1);
    aad.extend_from_slice(collection.as_bytes());
    aad.push(0);
    aad.extend_from_slice(view.as_bytes());
    aad
}

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

    /// The sealed token for `collection` and the caller's `view`.
    pub fn encode(&self, key: &SyncKey, collection: &str, view: &str) -> String {
        let mut plain = Vec::with_capacity(PLAIN + TAG);
        plain.extend_from_slice(&self.since.to_be_bytes());
        plain.extend_from_slice(&self.upto.to_be_bytes());
        plain.extend_from_slice(&self.after.to_be_bytes());
        let aad = associated(collection, view);
        let mut context = hmac::Context::with_key(&key.nonce);
        context.update(&aad);
        context.update(&plain);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&context.sign().as_ref()[..NONCE_LEN]);
        key.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut plain,
            )
            .expect("sealing a short buffer cannot fail");
        let mut token = nonce.to_vec();
        token.extend_from_slice(&plain);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Opens a token presented for `collection` by a caller with `view`.
    ///
    /// # Errors
    /// [`TokenError`] for anything that is not a token sealed for them.
    pub fn decode(
        text: &str,
        key: &SyncKey,
        collection: &str,
        view: &str,
    ) -> Result<Self, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| TokenError)?;
        if bytes.len() != NONCE_LEN + PLAIN + TAG {
            return Err(TokenError);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[..NONCE_LEN]);
        let mut sealed = bytes[NONCE_LEN..].to_vec();
        let plain = key
            .seal
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated(collection, view)),
                &mut sealed,
            )
            .map_err(|_| TokenError)?;
        let number = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&plain[at..at + 8]);
            i64::from_be_bytes(word)
        };
        let token = SyncToken {
            since: number(0),
            upto: number(8),
            after: number(16),
        };
        let ordered = 0 <= token.since && token.since <= token.after && token.after <= token.upto;
        if !ordered {
            return Err(TokenError);
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEW: &str = "alice|rolie:read|2|false";

    #[test]
    fn a_token_opens_for_its_collection_and_view_only() {
        let key = SyncKey::from_secret(&[7; 32]);
        let token = SyncToken {
            since: 7,
            upto: 42,
            after: 19,
        };
        let text = token.encode(&key, "incidents", VIEW);
        assert_eq!(text, token.encode(&key, "incidents", VIEW), "deterministic");
        assert_eq!(SyncToken::decode(&text, &key, "incidents", VIEW), Ok(token));
        assert_eq!(
            SyncToken::decode(&text, &key, "indicators", VIEW),
            Err(TokenError)
        );
        assert_eq!(
            SyncToken::decode(&text, &key, "incidents", "bob|rolie:read|1|false"),
            Err(TokenError)
        );
        let other_key = SyncKey::from_secret(&[8; 32]);
        assert_eq!(
            SyncToken::decode(&text, &other_key, "incidents", VIEW),
            Err(TokenError)
        );
        let mut edited = text.clone().into_bytes();
        edited[20] = if edited[20] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(edited).unwrap();
        assert_eq!(
            SyncToken::decode(&edited, &key, "incidents", VIEW),
            Err(TokenError)
        );
        for garbage in ["", "zz", &text[..20]] {
            assert_eq!(
                SyncToken::decode(garbage, &key, "incidents", VIEW),
                Err(TokenError)
            );
        }
    }

    #[test]
    fn the_numbers_are_not_readable_in_the_token() {
        let key = SyncKey::from_secret(&[7; 32]);
        let a = SyncToken::at(1000).encode(&key, "incidents", VIEW);
        let b = SyncToken::at(1001).encode(&key, "incidents", VIEW);
        let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        assert!(common < 4, "{a} and {b} share a prefix of {common}");
    }
}
