//! Small text helpers shared by the renderers.

use serde_json::Value;

/// `1234567` -> `1,234,567`: counts people read.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A field value as one line: JSON, so strings are quoted and escaped and a value can never
/// break the line it sits on.
pub fn value(v: &Value) -> String {
    v.to_string()
}

/// Long or multi-line strings get a word or line diff instead of `old -> new`.
pub const LONG_TEXT: usize = 60;

/// Both sides are strings and at least one is too long or too tall to read as `old -> new`.
pub fn wants_text_diff<'a>(
    before: Option<&'a Value>,
    after: Option<&'a Value>,
) -> Option<(&'a str, &'a str)> {
    let (Some(Value::String(b)), Some(Value::String(a))) = (before, after) else {
        return None;
    };
    let long = |s: &str| s.chars().count() > LONG_TEXT || s.contains('\n');
    (long(b) || long(a)).then_some((b.as_str(), a.as_str()))
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("Müller", 10), "Müller");
        assert_eq!(truncate("Müllerstraße", 5), "Müll…");
    }
}
