//! A validating pull reader over JSON bytes.
//!
//! Why not serde_json: validating a 1000-member webhook page must cost well under what
//! `JSON.parse` costs in V8, and building values nobody asked for is exactly that cost
//! (serde_json into borrowed structs measured 1.33× `JSON.parse` in wasm). This reader
//! checks the full RFC 8259 grammar and UTF-8, but hands out strings as borrowed byte
//! ranges, skips string bodies eight bytes at a time, and never recurses (nesting is
//! tracked on a small explicit stack), so hostile input cannot overflow the stack.

use super::scan::{find_string_special, utf8_sequence_len};
use crate::problem::ProblemCode;
use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted: the same bound serde_json uses, so
/// every value we accept can also be read back by serde_json.
pub const MAX_DEPTH: usize = 128;

/// A fatal problem: the bytes are not JSON, so reading stops here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub code: ProblemCode,
    pub message: String,
    pub offset: usize,
}

pub type Result<T> = std::result::Result<T, SyntaxError>;

/// The kind of the next value, known from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

impl Kind {
    /// "an object", "a string"… for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::True | Kind::False => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// A string token: the bytes between its quotes, already checked to be valid UTF-8 with
/// valid escapes.
#[derive(Debug, Clone, Copy)]
pub struct JsonStr<'a> {
    pub raw: &'a [u8],
    pub escaped: bool,
    /// Offset of the opening quote.
    pub start: usize,
}

impl<'a> JsonStr<'a> {
    /// The string's value as UTF-8 bytes, borrowed when it has no escapes.
    pub fn decode_bytes(&self) -> Cow<'a, [u8]> {
        if self.escaped {
            Cow::Owned(unescape(self.raw).into_bytes())
        } else {
            Cow::Borrowed(self.raw)
        }
    }

    /// The string's value. Borrowed when it has no escapes (the common case).
    pub fn decode(&self) -> Cow<'a, str> {
        if !self.escaped {
            // The reader validated these bytes as UTF-8; a failure here would be our bug,
            // so fall back to a lossy copy rather than trust it blindly.
            return match std::str::from_utf8(self.raw) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(String::from_utf8_lossy(self.raw).into_owned()),
            };
        }
        Cow::Owned(unescape(self.raw))
    }

    /// Whether the decoded value equals `text` (which has no characters needing escapes).
    #[inline]
    pub fn is(&self, text: &str) -> bool {
        if self.escaped {
            self.decode() == text
        } else {
            self.raw == text.as_bytes()
        }
    }
}

pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Nesting opened by the caller through `begin_object`/`begin_array`.
    depth: usize,
    /// `true` for an object, `false` for an array: the levels `skip_value` has open.
    skip_stack: Vec<bool>,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], start: usize) -> Self {
        Reader { bytes, pos: start, depth: 0, skip_stack: Vec::new() }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    #[inline(always)]
    pub fn skip_ws(&mut self) {
        // Compact JSON has no whitespace: one comparison answers the common case.
        if self.bytes.get(self.pos).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b' ' || b == b'\n' || b == b'\r' || b == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.bytes.len()
    }

    #[cold]
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { code: ProblemCode::InvalidJson, message: message.into(), offset: self.pos }
    }

    /// The body stops before its JSON does: most often a body cut short in transit or
    /// when copied, so say that, at the end of the body, where it stops (not at the
    /// string or container left open, which is whole as far as it goes).
    #[cold]
    #[inline(never)]
    fn cut_off(&self, inside: &str) -> SyntaxError {
        SyntaxError {
            code: ProblemCode::InvalidJson,
            message: format!("the body ends early, {inside}: it looks cut off"),
            offset: self.bytes.len(),
        }
    }

    /// An error for the byte at the current position, telling apart bad UTF-8 from a
    /// character that simply does not belong here.
    #[cold]
    #[inline(never)]
    fn unexpected(&self, expected: &str) -> SyntaxError {
        match self.bytes.get(self.pos) {
            None => self.cut_off(&format!("where {expected} should follow")),
            Some(&b) if b >= 0x80 => {
                if utf8_sequence_len(self.bytes, self.pos).is_none() {
                    SyntaxError {
                        code: ProblemCode::InvalidUtf8,
                        message: format!("invalid UTF-8 byte 0x{b:02x}"),
                        offset: self.pos,
                    }
                } else {
                    self.error(format!("unexpected character, expected {expected}"))
                }
            }
            Some(&b) if b.is_ascii_graphic() => {
                self.error(format!("unexpected character '{}', expected {expected}", b as char))
            }
            Some(&b) => self.error(format!("unexpected byte 0x{b:02x}, expected {expected}")),
        }
    }

    /// The kind of the next value (after whitespace), without consuming it.
    #[inline]
    pub fn peek_kind(&mut self) -> Result<Kind> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b'"') => Ok(Kind::String),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b't') => Ok(Kind::True),
            Some(b'f') => Ok(Kind::False),
            Some(b'n') => Ok(Kind::Null),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn expect_byte(&mut self, byte: u8, expected: &str) -> Result<()> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn enter(&mut self) -> Result<()> {
        if self.depth + self.skip_stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                code: ProblemCode::NestingTooDeep,
                message: format!("arrays and objects are nested more than {MAX_DEPTH} deep"),
                offset: self.pos,
            });
        }
        Ok(())
    }

    /// Consumes `{`. Then call [`Reader::next_key`] until it returns `None`.
    pub fn begin_object(&mut self) -> Result<()> {
        self.enter()?;
        self.expect_byte(b'{', "'{'")?;
        self.depth += 1;
        Ok(())
    }

    /// Moves to the opening quote of the object's next key (true), or consumes its
    /// closing `}` (false).
    #[inline(always)]
    fn to_next_key(&mut self, first: bool) -> Result<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            Some(b',') if !first => {
                self.pos += 1;
                self.skip_ws();
            }
            _ if first => {}
            _ => return Err(self.unexpected("',' or '}'")),
        }
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.unexpected("a string key"));
        }
        Ok(true)
    }

    /// The next key of the object being read (consuming the `:` after it), or `None`
    /// once its closing `}` is consumed. `first` is true on the first call for an object.
    pub fn next_key(&mut self, first: bool) -> Result<Option<JsonStr<'a>>> {
        if !self.to_next_key(first)? {
            return Ok(None);
        }
        let key = self.read_string()?;
        self.expect_byte(b':', "':'")?;
        Ok(Some(key))
    }

    /// Like [`Reader::next_key`], also telling which of `names` the key is (by index).
    /// A key that is one of `names`, written without escapes, is recognised by comparing
    /// its bytes in place, without scanning it as a string: most keys of a webhook page
    /// are the same few names, so this skips a third of its string scans.
    #[inline]
    pub fn next_key_among(&mut self, first: bool, names: &[&str]) -> Result<Option<(Option<usize>, JsonStr<'a>)>> {
        if !self.to_next_key(first)? {
            return Ok(None);
        }
        let start = self.pos;
        let rest = &self.bytes[start + 1..];
        for (slot, name) in names.iter().enumerate() {
            let name = name.as_bytes();
            if rest.len() > name.len() && rest[name.len()] == b'"' && rest.starts_with(name) {
                self.pos = start + name.len() + 2;
                self.expect_byte(b':', "':'")?;
                return Ok(Some((Some(slot), JsonStr { raw: &rest[..name.len()], escaped: false, start })));
            }
        }
        let key = self.read_string()?;
        self.expect_byte(b':', "':'")?;
        let slot = if key.escaped {
            let decoded = key.decode();
            names.iter().position(|name| *name == decoded)
        } else {
            names.iter().position(|name| name.as_bytes() == key.raw)
        };
        Ok(Some((slot, key)))
    }

    /// Consumes `[`. Then call [`Reader::next_element`] until it returns false.
    pub fn begin_array(&mut self) -> Result<()> {
        self.enter()?;
        self.expect_byte(b'[', "'['")?;
        self.depth += 1;
        Ok(())
    }

    /// True when another element follows (positioned at it), false once `]` is consumed.
    pub fn next_element(&mut self, first: bool) -> Result<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(self.unexpected("',' or ']'")),
        }
    }

    /// Reads a string token starting at the current position (which must be `"`: call
    /// after [`Reader::peek_kind`], which skips whitespace).
    #[inline]
    pub fn read_string(&mut self) -> Result<JsonStr<'a>> {
        let start = self.pos;
        if self.bytes.get(start) != Some(&b'"') {
            return Err(self.unexpected("a string"));
        }
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            i = find_string_special(self.bytes, i);
            let Some(&b) = self.bytes.get(i) else {
                return Err(self.cut_off("inside a string"));
            };
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(JsonStr { raw: &self.bytes[start + 1..i], escaped, start });
                }
                b'\\' => {
                    escaped = true;
                    i = self.check_escape(i)?;
                }
                0x80..=0xFF => match utf8_sequence_len(self.bytes, i) {
                    Some(n) => i += n,
                    None => {
                        return Err(SyntaxError {
                            code: ProblemCode::InvalidUtf8,
                            message: format!("invalid UTF-8 byte 0x{b:02x} in a string"),
                            offset: i,
                        })
                    }
                },
                _ => {
                    self.pos = i;
                    return Err(self.error(format!("control character 0x{b:02x} in a string must be escaped")));
                }
            }
        }
    }

    /// Checks the escape at `i` (a backslash) and returns the offset after it.
    fn check_escape(&mut self, i: usize) -> Result<usize> {
        if self.bytes.len() <= i + 1 {
            return Err(self.cut_off("inside a string"));
        }
        match self.bytes.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => {
                let unit = self.hex4(i + 2)?;
                match unit {
                    0xD800..=0xDBFF => {
                        if matches!(&self.bytes[i + 6..], b"" | b"\\") {
                            return Err(self.cut_off("inside a string"));
                        }
                        let low = if self.bytes.get(i + 6) == Some(&b'\\') && self.bytes.get(i + 7) == Some(&b'u') {
                            Some(self.hex4(i + 8)?)
                        } else {
                            None
                        };
                        match low {
                            Some(0xDC00..=0xDFFF) => Ok(i + 12),
                            _ => Err(lone_surrogate(i, unit)),
                        }
                    }
                    0xDC00..=0xDFFF => Err(lone_surrogate(i, unit)),
                    _ => Ok(i + 6),
                }
            }
            _ => {
                self.pos = i;
                Err(self.error("invalid escape in a string"))
            }
        }
    }

    fn hex4(&mut self, at: usize) -> Result<u32> {
        let mut value = 0u32;
        for k in 0..4 {
            let digit = self.bytes.get(at + k).and_then(|&b| (b as char).to_digit(16));
            match digit {
                Some(d) => value = value * 16 + d,
                None if at + k >= self.bytes.len() => return Err(self.cut_off("inside a string")),
                None => {
                    self.pos = at.saturating_sub(2);
                    return Err(self.error("invalid \\u escape: expected four hex digits"));
                }
            }
        }
        Ok(value)
    }

    /// Reads a number token (after [`Reader::peek_kind`]) and returns its text.
    pub fn read_number(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = skip_digits(b, i + 1),
            _ => {
                self.pos = i;
                return Err(self.unexpected("a digit"));
            }
        }
        if b.get(i) == Some(&b'.') {
            if !matches!(b.get(i + 1), Some(b'0'..=b'9')) {
                self.pos = i + 1;
                return Err(self.unexpected("a digit after '.'"));
            }
            i = skip_digits(b, i + 1);
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                return Err(self.unexpected("a digit in the exponent"));
            }
            i = skip_digits(b, i);
        }
        self.pos = i;
        // Only ASCII digits, signs, '.', 'e' were accepted above.
        Ok(std::str::from_utf8(&b[start..i]).unwrap_or("0"))
    }

    fn read_literal(&mut self, word: &'static str) -> Result<()> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else if self.bytes.get(self.pos..).is_some_and(|rest| word.as_bytes().starts_with(rest)) {
            // "tru" and nothing after it.
            Err(self.cut_off("inside true, false or null"))
        } else {
            Err(self.unexpected(word))
        }
    }

    /// Reads `null` if it is next; true when it was.
    pub fn read_null(&mut self) -> Result<bool> {
        if self.peek_kind()? == Kind::Null {
            self.read_literal("null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Skips one whole value, validating it; returns the byte range it spans.
    pub fn skip_value(&mut self) -> Result<(usize, usize)> {
        self.skip_ws();
        let start = self.pos;
        self.skip_stack.clear();
        loop {
            // A value is expected here.
            match self.peek_kind()? {
                Kind::Object => {
                    self.enter()?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.bytes.get(self.pos) == Some(&b'}') {
                        self.pos += 1;
                    } else {
                        self.skip_stack.push(true);
                        self.read_member_key()?;
                        continue;
                    }
                }
                Kind::Array => {
                    self.enter()?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.bytes.get(self.pos) == Some(&b']') {
                        self.pos += 1;
                    } else {
                        self.skip_stack.push(false);
                        continue;
                    }
                }
                Kind::String => {
                    self.read_string()?;
                }
                Kind::Number => {
                    self.read_number()?;
                }
                Kind::True => self.read_literal("true")?,
                Kind::False => self.read_literal("false")?,
                Kind::Null => self.read_literal("null")?,
            }
            // After a value: close containers until one wants another value.
            loop {
                let Some(&in_object) = self.skip_stack.last() else {
                    return Ok((start, self.pos));
                };
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        if in_object {
                            self.skip_ws();
                            self.read_member_key()?;
                        }
                        break;
                    }
                    Some(b'}') if in_object => {
                        self.pos += 1;
                        self.skip_stack.pop();
                    }
                    Some(b']') if !in_object => {
                        self.pos += 1;
                        self.skip_stack.pop();
                    }
                    _ => return Err(self.unexpected(if in_object { "',' or '}'" } else { "',' or ']'" })),
                }
            }
        }
    }

    fn read_member_key(&mut self) -> Result<()> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.unexpected("a string key"));
        }
        self.read_string()?;
        self.expect_byte(b':', "':'")
    }
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    i
}

fn lone_surrogate(offset: usize, unit: u32) -> SyntaxError {
    SyntaxError {
        code: ProblemCode::LoneSurrogate,
        message: format!("\\u{unit:04X} is half of a surrogate pair with no other half; it is not valid Unicode"),
        offset,
    }
}

/// Decodes the escapes of a string body the reader has already validated.
fn unescape(raw: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = raw.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let ch = match esc {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex_at(raw, i);
                i += 4;
                let code = if (0xD800..=0xDBFF).contains(&hi) {
                    let lo = hex_at(raw, i + 2);
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    hi
                };
                char::from_u32(code).unwrap_or('\u{FFFD}')
            }
            other => other as char, // '"', '\\', '/'
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex_at(raw: &[u8], at: usize) -> u32 {
    (0..4).fold(0, |acc, k| acc * 16 + raw.get(at + k).and_then(|&b| (b as char).to_digit(16)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(text: &str) -> Result<(usize, usize)> {
        let mut r = Reader::new(text.as_bytes(), 0);
        let span = r.skip_value()?;
        if !r.at_end() {
            return Err(r.error("trailing"));
        }
        Ok(span)
    }

    #[test]
    fn accepts_what_json_accepts() {
        for ok in [
            "0",
            "-0",
            "1.5e10",
            "-12.25E-3",
            "true",
            "false",
            "null",
            "\"\"",
            "\"a\\u00e9\\n\"",
            "[]",
            "{}",
            "[1,[2,{\"a\":[]}]]",
            " { \"k\" : [ null , \"\\ud83d\\ude00\" ] } ",
            "\"h\u{e9}llo \u{1F600}\"",
        ] {
            assert!(skip(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_json_refuses() {
        for bad in [
            "",
            "01",
            "1.",
            ".5",
            "1e",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{,}",
            "[,1]",
            "{'a':1}",
            "\"abc",
            "\"a\tb\"",
            "\"\\x\"",
            "\"\\u12G4\"",
            "tru",
            "nul",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "[",
            "{",
            "NaN",
            "Infinity",
        ] {
            assert!(skip(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_body_that_stops_early_is_said_to_be_cut_off_where_it_ends() {
        for cut in [
            "{\"a\":\"abc",
            "{\"a\":\"ab\\",
            "{\"a\":\"\\u00",
            "{\"a\":\"\\ud83d",
            "{\"a\":\"\\ud83d\\",
            "{\"a\":tr",
            "{\"a\":1",
            "{\"a\":1.",
            "{\"a\":-",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":[1,",
            "{",
            "[\n  {\"k\": \"v\"},\n  ",
        ] {
            let err = skip(cut).unwrap_err();
            assert_eq!(err.code, ProblemCode::InvalidJson, "{cut:?}");
            assert_eq!(err.offset, cut.len(), "{cut:?}: {}", err.message);
            assert!(
                err.message.starts_with("the body ends early") && err.message.ends_with("it looks cut off"),
                "{cut:?}: {}",
                err.message
            );
        }
        // Closed, but wrong: not cut off.
        for bad in ["\"\\ud800\"", "{\"a\":trux}", "{\"a\" 1}"] {
            let err = skip(bad).unwrap_err();
            assert!(!err.message.contains("cut off"), "{bad:?}: {}", err.message);
        }
    }

    #[test]
    fn lone_surrogates_are_their_own_problem() {
        for bad in ["\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\""] {
            assert_eq!(skip(bad).unwrap_err().code, ProblemCode::LoneSurrogate, "{bad}");
        }
    }

    #[test]
    fn invalid_utf8_is_reported_as_such() {
        let mut bytes = b"\"ab".to_vec();
        bytes.extend([0xC3, 0x28, b'"']);
        let err = Reader::new(&bytes, 0).skip_value().unwrap_err();
        assert_eq!(err.code, ProblemCode::InvalidUtf8);
        assert_eq!(err.offset, 3);
        let err = Reader::new(&[0xFF], 0).skip_value().unwrap_err();
        assert_eq!(err.code, ProblemCode::InvalidUtf8);
    }

    #[test]
    fn deep_nesting_is_bounded_not_recursive() {
        let deep = "[".repeat(100_000);
        assert_eq!(skip(&deep).unwrap_err().code, ProblemCode::NestingTooDeep);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(skip(&ok).is_ok());
        let too = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(skip(&too).unwrap_err().code, ProblemCode::NestingTooDeep);
    }

    #[test]
    fn decodes_escapes() {
        let text = r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#;
        let mut r = Reader::new(text.as_bytes(), 0);
        let s = r.read_string().unwrap();
        assert!(s.escaped);
        assert_eq!(s.decode(), "a\"b\\c/d\u{8}\u{c}\n\r\t\u{e9}\u{1F600}");
    }

    #[test]
    fn agrees_with_serde_json_on_strings() {
        let samples = ["plain", "tab\there", "quote\"", "\u{0}\u{1f}", "\u{7f}\u{80}\u{10FFFF}", "é✓😀"];
        for s in samples {
            let text = serde_json::to_string(s).unwrap();
            let mut r = Reader::new(text.as_bytes(), 0);
            assert_eq!(r.read_string().unwrap().decode(), s);
        }
    }
}
