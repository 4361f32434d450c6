//! Paging cursors from the `?cursor=` query parameter: `PagePosition::decode(&str)`.
//!
//! Checks: no panic on any string; every cursor that decodes encodes back to itself
//! (cursors are canonical) and `decode(encode(x)) == x`. Inputs of 25 bytes or more are also
//! read as a position (direction byte, 8-byte micros, 16-byte id) to check
//! `decode(encode(x)) == x` for positions the decoder would never produce from garbage.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolie_store::{PageKey, PagePosition};

fn round_trip(position: PagePosition) {
    let Some(cursor) = position.encode() else {
        assert_eq!(
            position,
            PagePosition::First,
            "only the first page has no cursor"
        );
        return;
    };
    assert_eq!(
        PagePosition::decode(&cursor),
        Ok(position),
        "decode(encode(x)) != x for cursor {cursor:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(position) = PagePosition::decode(text)
    {
        assert_ne!(
            position,
            PagePosition::First,
            "a cursor decoded to the first page"
        );
        assert_eq!(
            position.encode().as_deref(),
            Some(text),
            "two spellings of one cursor"
        );
        round_trip(position);
    }

    if let [direction, rest @ ..] = data
        && let (Some(micros), Some(id)) = (rest.get(..8), rest.get(8..24))
    {
        let edited_micros = i64::from_be_bytes(micros.try_into().expect("8 bytes"));
        let id = uuid::Uuid::from_bytes(id.try_into().expect("16 bytes"));
        let key = PageKey { edited_micros, id };
        let position = match direction % 4 {
            0 => PagePosition::First,
            1 => PagePosition::After(key),
            2 => PagePosition::Before(key),
            _ => PagePosition::Last,
        };
        round_trip(position);
    }
});
