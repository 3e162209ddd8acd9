//! Cutting text at ASCII bytes without `str`'s panic path.
//!
//! Indexing a `str` (`&s[a..b]`), `split_once(char)`, `split(char)` and `contains(&str)`
//! keep a path for cuts inside a character that formats chars with `Debug` and links
//! Unicode tables: ~4.5 KB of the gzipped wasm (docs/design-notes.md, "Wasm size").
//! Cuts next to an ASCII byte are always character boundaries, so these never need it.

/// `&text[from..to]` where both ends sit next to ASCII bytes (or at the ends); `""` if
/// they do not (which callers rule out), never a panic.
#[inline]
pub fn cut(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or_default()
}

/// `text.split_once(sep)` for an ASCII `sep`.
pub fn split_once(text: &str, sep: u8) -> Option<(&str, &str)> {
    debug_assert!(sep.is_ascii());
    let at = text.bytes().position(|b| b == sep)?;
    Some((cut(text, 0, at), cut(text, at + 1, text.len())))
}

/// `text.split(sep)` for an ASCII `sep`.
pub fn split(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let now = rest?;
        match split_once(now, sep) {
            Some((part, after)) => {
                rest = Some(after);
                Some(part)
            }
            None => {
                rest = None;
                Some(now)
            }
        }
    })
}

/// Whether `text` holds U+FFFD (bytes EF BF BD), found by its last byte: a byte scan,
/// where `str::contains` would keep the panic path above. Used by the wasm binding layer.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn has_replacement_char(text: &str) -> bool {
    let b = text.as_bytes();
    (2..b.len()).any(|i| b[i] == 0xBD && b[i - 1] == 0xBF && b[i - 2] == 0xEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_str() {
        for text in ["", ",", "a", "a,b", ",a,,b,", "é,ü", "'1','2'", "1.5", ".", "x."] {
            assert_eq!(split(text, b',').collect::<Vec<_>>(), text.split(',').collect::<Vec<_>>(), "{text:?}");
            assert_eq!(split_once(text, b'.'), text.split_once('.'), "{text:?}");
        }
        assert_eq!(cut("héllo", 0, 2), "", "inside a character: empty, not a panic");
        assert_eq!(cut("héllo", 3, 5), "ll");
        for text in ["", "\u{FFFD}", "a\u{FFFD}", "\u{FFFD}b", "\u{FFFC}\u{FFFE}", "é½", "abc"] {
            assert_eq!(has_replacement_char(text), text.contains('\u{FFFD}'), "{text:?}");
        }
    }
}

/// The UTF-16 offsets (what JavaScript strings index by) of ascending byte `offsets` into
/// valid UTF-8 `text`, each at a character boundary: a character of four bytes is two
/// UTF-16 units, every other character one.
pub fn utf16_offsets(text: &[u8], offsets: &[usize]) -> Vec<usize> {
    if text.is_ascii() {
        return offsets.to_vec();
    }
    let mut units = 0;
    let mut at = 0;
    offsets
        .iter()
        .map(|&offset| {
            let offset = offset.min(text.len()).max(at);
            for &byte in &text[at..offset] {
                units += usize::from(byte & 0xC0 != 0x80) + usize::from(byte >= 0xF0);
            }
            at = offset;
            units
        })
        .collect()
}
