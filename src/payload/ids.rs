//! What an id may hold: one rule for the webhook's fields and for ids named in a path,
//! so every store gives the same answer for the same text.
//!
//! Ids are kept as text by every store, and PostgreSQL's text cannot hold U+0000 (NUL):
//! a page that names one would be answered 200 and then fail to apply on one store and
//! not on another. No id Mixpanel hands out contains NUL, so NUL is refused everywhere
//! with `forbidden_character` (400: the sender stops, and says why). Every other
//! character is kept as sent, U+FFFF and the other control characters included; lone
//! surrogates never get this far (the JSON reader refuses them with `lone_surrogate`).

use crate::problem::ProblemCode;

/// The longest distinct id and cohort name accepted, in characters: four times the 255
/// characters Mixpanel keeps of a string, so no real sender comes near it. Past it the
/// page is refused with `too_long` (400, so the sender stops), because a store that cannot
/// keep the value would fail the page with 5xx for ever.
pub const MAX_ID_CHARS: usize = 1024;
/// The longest project, cohort, session or integration id accepted (in characters):
/// Mixpanel's are decimal numbers and UUIDs, 36 characters at most.
pub const MAX_KEY_CHARS: usize = 255;

/// Which id a text is, for the bound it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A member's distinct id (or the `$distinct_id` standing in for it).
    DistinctId,
    /// The cohort's name: stored, so bounded like an id.
    CohortName,
    /// The project, cohort, session or integration id.
    Key,
}

impl IdKind {
    /// The longest text of this kind accepted, in characters.
    pub fn max_chars(self) -> usize {
        match self {
            IdKind::DistinctId | IdKind::CohortName => MAX_ID_CHARS,
            IdKind::Key => MAX_KEY_CHARS,
        }
    }

    /// The kind of an id named by a path or an argument: `"member"`, `"cohort"`,
    /// `"session"` or `"project"`.
    pub fn parse(name: &str) -> Option<IdKind> {
        match name {
            "member" => Some(IdKind::DistinctId),
            "cohort" | "session" | "project" => Some(IdKind::Key),
            _ => None,
        }
    }
}

/// What is wrong with an id's (decoded) text, if anything: `(code, why)`, the reason
/// worded to follow the field's name ("… is 300 characters long; …").
pub fn id_problem(text: &[u8], kind: IdKind) -> Option<(ProblemCode, String)> {
    let max = kind.max_chars();
    if let Some(chars) = chars_over(text, max) {
        return Some((ProblemCode::TooLong, format!("is {chars} characters long; at most {max} are accepted")));
    }
    if let Some(at) = nul_at(text) {
        let message = format!(
            "holds U+0000 (NUL) at character {}; no store keeps it in text and no Mixpanel id contains it",
            at + 1
        );
        return Some((ProblemCode::ForbiddenCharacter, message));
    }
    None
}

/// The length of `text` in characters when it is over `max` characters.
pub fn chars_over(text: &[u8], max: usize) -> Option<usize> {
    if text.len() <= max {
        return None;
    }
    let chars = char_count(text);
    (chars > max).then_some(chars)
}

/// Where the first NUL is, in characters (0-based).
fn nul_at(text: &[u8]) -> Option<usize> {
    let byte = text.iter().position(|&b| b == 0)?;
    Some(char_count(&text[..byte]))
}

/// Characters, not bytes: the bytes that start a UTF-8 sequence.
fn char_count(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_wherever_it_is() {
        for text in ["\0", "a\0b", "ab\0", "é\0"] {
            let (code, message) = id_problem(text.as_bytes(), IdKind::DistinctId).expect(text);
            assert_eq!(code, ProblemCode::ForbiddenCharacter, "{text:?}");
            assert!(message.contains("U+0000"), "{message}");
        }
        assert!(id_problem("é\0".as_bytes(), IdKind::Key).unwrap().1.contains("character 2"));
    }

    #[test]
    fn every_other_character_is_kept() {
        let controls: String =
            (1u8..0x20).map(char::from).chain(['\u{7f}', '\u{ffff}', '\u{fffe}', '\u{10ffff}']).collect();
        assert_eq!(id_problem(controls.as_bytes(), IdKind::DistinctId), None);
    }

    #[test]
    fn bounds_count_characters() {
        assert_eq!(id_problem("é".repeat(255).as_bytes(), IdKind::Key), None);
        let (code, message) = id_problem("é".repeat(256).as_bytes(), IdKind::Key).unwrap();
        assert_eq!(code, ProblemCode::TooLong);
        assert!(message.contains("256"), "{message}");
        assert_eq!(id_problem("a".repeat(1024).as_bytes(), IdKind::DistinctId), None);
        assert_eq!(id_problem("a".repeat(1025).as_bytes(), IdKind::DistinctId).unwrap().0, ProblemCode::TooLong);
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(IdKind::parse("member"), Some(IdKind::DistinctId));
        assert_eq!(IdKind::parse("cohort"), Some(IdKind::Key));
        assert_eq!(IdKind::parse("name"), None);
    }
}
