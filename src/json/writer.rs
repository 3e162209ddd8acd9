//! Writing JSON text: what large results (member lists, reports, request bodies) cross the
//! wasm boundary as; small ones cross as plain objects through serde-wasm-bindgen.
//!
//! Hand-written rather than serde_json's serializer: with the reader already ours, it
//! keeps serde_json out of the wasm (about 12 KB gzipped), and a member's exported
//! properties can be copied through as the raw JSON text they arrived as instead of
//! being re-parsed (docs/design-notes.md, "Wasm size" and "Validation speed").

use super::scan::find_string_special;
use crate::problem::Problem;

/// Appends JSON to a string. Commas are placed automatically: call `begin_*`, then
/// `key`/value pairs (objects) or values (arrays), then `end_*`.
#[derive(Default)]
pub struct JsonWriter {
    out: String,
    /// Whether the innermost open container already holds a value (so the next needs a
    /// comma). `true` at the top level stops a second top-level value from being glued on.
    needs_comma: Vec<bool>,
    after_key: bool,
}

impl JsonWriter {
    pub fn new() -> Self {
        JsonWriter::default()
    }

    pub fn with_capacity(bytes: usize) -> Self {
        JsonWriter { out: String::with_capacity(bytes), ..JsonWriter::default() }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(needs) = self.needs_comma.last_mut() {
            if *needs {
                self.out.push(',');
            }
            *needs = true;
        }
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.before_value();
        self.out.push('{');
        self.needs_comma.push(false);
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.needs_comma.pop();
        self.out.push('}');
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.before_value();
        self.out.push('[');
        self.needs_comma.push(false);
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.needs_comma.pop();
        self.out.push(']');
        self
    }

    pub fn key(&mut self, key: &str) -> &mut Self {
        self.before_value();
        write_escaped(&mut self.out, key);
        self.out.push(':');
        self.after_key = true;
        self
    }

    pub fn string(&mut self, value: &str) -> &mut Self {
        self.before_value();
        write_escaped(&mut self.out, value);
        self
    }

    pub fn opt_string(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(text) => self.string(text),
            None => self.null(),
        }
    }

    pub fn null(&mut self) -> &mut Self {
        self.before_value();
        self.out.push_str("null");
        self
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.before_value();
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn uint(&mut self, value: u64) -> &mut Self {
        self.before_value();
        let mut digits = [0u8; 20];
        // Only ASCII digits are written.
        self.out.push_str(std::str::from_utf8(decimal_digits(value, &mut digits)).unwrap_or("0"));
        self
    }

    /// A value that is already JSON text (checked by the reader when it came in).
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.before_value();
        self.out.push_str(json);
        self
    }

    /// Writes `value` with its own [`ToJson`].
    pub fn value<T: ToJson + ?Sized>(&mut self, value: &T) -> &mut Self {
        value.write_json(self);
        self
    }

    /// `key` then `value`.
    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        self.key(key);
        value.write_json(self);
        self
    }
}

/// The decimal digits of `value`, written at the end of `buffer` (no float or `fmt`
/// machinery: this is all the wasm needs of number formatting).
pub fn decimal_digits(value: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    let mut rest = value;
    loop {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    &buffer[at..]
}

/// Types that write themselves as JSON.
pub trait ToJson {
    fn write_json(&self, w: &mut JsonWriter);

    fn to_json(&self) -> String {
        let mut w = JsonWriter::new();
        self.write_json(&mut w);
        w.finish()
    }
}

impl ToJson for str {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, w: &mut JsonWriter) {
        (**self).write_json(w);
    }
}

impl ToJson for String {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl ToJson for std::borrow::Cow<'_, str> {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl ToJson for bool {
    fn write_json(&self, w: &mut JsonWriter) {
        w.bool(*self);
    }
}

impl ToJson for u64 {
    fn write_json(&self, w: &mut JsonWriter) {
        w.uint(*self);
    }
}

impl ToJson for u32 {
    fn write_json(&self, w: &mut JsonWriter) {
        w.uint(*self as u64);
    }
}

impl ToJson for u16 {
    fn write_json(&self, w: &mut JsonWriter) {
        w.uint(*self as u64);
    }
}

impl ToJson for usize {
    fn write_json(&self, w: &mut JsonWriter) {
        w.uint(*self as u64);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, w: &mut JsonWriter) {
        match self {
            Some(value) => value.write_json(w),
            None => {
                w.null();
            }
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_array();
        for item in self {
            item.write_json(w);
        }
        w.end_array();
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, w: &mut JsonWriter) {
        self.as_slice().write_json(w);
    }
}

impl<T: ToJson, const N: usize> ToJson for [T; N] {
    fn write_json(&self, w: &mut JsonWriter) {
        self.as_slice().write_json(w);
    }
}

/// Here rather than beside `Problem`: the reader reports in problem codes, so `problem`
/// sits below `json` and imports nothing from it.
impl ToJson for Problem {
    /// `{code, path, message}` plus `line`, `column` and `offset` where known.
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object().field("code", self.code.as_str()).field("path", &self.path).field("message", &self.message);
        if let Some(line) = self.line {
            w.field("line", &line);
        }
        if let Some(column) = self.column {
            w.field("column", &column);
        }
        if let Some(offset) = self.offset {
            w.field("offset", &offset);
        }
        w.end_object();
    }
}

/// Writes `text` as a JSON string: `"` and `\` escaped, control characters as `\n`,
/// `\t`… or `\u00XX`, everything else (non-ASCII included) as is. Runs of plain bytes
/// are copied whole.
pub fn write_escaped(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let (mut run_start, mut at) = (0, 0);
    loop {
        // The reader's scan finds quotes, backslashes and control characters 16 bytes at
        // a time; it also stops at non-ASCII, which needs no escape and is stepped over.
        at = find_string_special(bytes, at);
        let Some(&b) = bytes.get(at) else { break };
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            0x00..=0x1F => "",
            _ => {
                at += 1;
                continue;
            }
        };
        out.push_str(crate::text::cut(text, run_start, at));
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xF) as usize] as char);
        } else {
            out.push_str(escape);
        }
        at += 1;
        run_start = at;
    }
    out.push_str(crate::text::cut(text, run_start, text.len()));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_and_nesting() {
        let mut w = JsonWriter::new();
        w.begin_object().field("a", &1u64).key("b").begin_array().uint(1).null().bool(true).end_array();
        w.field("c", &Some("x".to_string())).field("d", &None::<String>).key("e").raw("{\"k\":[1]}").end_object();
        assert_eq!(w.finish(), r#"{"a":1,"b":[1,null,true],"c":"x","d":null,"e":{"k":[1]}}"#);
        assert_eq!(vec![1u64, 2].to_json(), "[1,2]");
        assert_eq!(Vec::<u64>::new().to_json(), "[]");
        assert_eq!(u64::MAX.to_json(), "18446744073709551615");
        assert_eq!(0u64.to_json(), "0");
    }

    proptest::proptest! {
        #[test]
        fn any_string_escapes_as_serde_json_does(text in "\\PC*|[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(text.to_json(), serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        for text in ["", "plain", "q\"b\\s/", "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}", "é😀\u{2028}", "\u{10FFFF}"] {
            assert_eq!(text.to_json(), serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }
}
