//! API list bodies through the production page decoding (`jcform::jumpcloud::check_list_body`):
//! page shape, total, row ids, row decoding and checks. Any panic is a bug.
//!
//! Input layout: byte 0 picks the list kind; if byte 1 has its high bit set, its low 7 bits are
//! the length of an `x-total-count` header value taken from the following bytes; the rest is
//! the body.
#![no_main]

use jcform::jumpcloud::error::ErrorBody;
use jcform::jumpcloud::{check_list_body, ListKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let kind = ListKind::ALL[usize::from(selector) % ListKind::ALL.len()];
    let (header, body) = match rest.split_first() {
        Some((&n, tail)) if n & 0x80 != 0 => {
            let len = usize::from(n & 0x7f).min(tail.len());
            (Some(&tail[..len]), &tail[len..])
        }
        Some((_, tail)) => (None, tail),
        None => (None, rest),
    };
    let first = check_list_body(kind, body, header);
    assert_eq!(first, check_list_body(kind, body, header), "deterministic");
    let _ = ErrorBody::parse(&String::from_utf8_lossy(body));
});
