//! Mutated documents for the fast readers' differential tests (`yaml/differential.rs`,
//! `kdl/differential.rs`): a generated document with one to three edits at character
//! boundaries, each inserting, deleting or replacing one character with a token significant to
//! the format. One edit machinery, each format its own tokens.

use proptest::prelude::*;

/// `document`s with 1-3 edits, each inserting a token from `tokens` before a character,
/// deleting a character, or replacing one with a token.
pub fn mutated(
    document: impl Strategy<Value = String>,
    tokens: &'static [&'static str],
) -> impl Strategy<Value = String> {
    let edit = (
        any::<proptest::sample::Index>(),
        0..3u8,
        proptest::sample::select(tokens),
    );
    (document, proptest::collection::vec(edit, 1..4)).prop_map(|(mut text, edits)| {
        for (at, op, token) in edits {
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let at = bounds[at.index(bounds.len())];
            let next = bounds.iter().copied().find(|&b| b > at);
            match (op, next) {
                (0, _) | (_, None) => text.insert_str(at, token),
                (1, Some(next)) => text.replace_range(at..next, ""),
                (_, Some(next)) => text.replace_range(at..next, token),
            }
        }
        text
    })
}
