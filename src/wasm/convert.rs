//! Conversions shared by every export: bodies in, JSON out, errors thrown.

use crate::json::ToJson;
use crate::problem::Problem;
use js_sys::{ArrayBuffer, Uint8Array};
use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// What an export throws: a `CohortSyncError` (the package's class, which `api.js`
/// registers with [`set_error_class`]), or before that an `Error` with the same `name`,
/// `code` and `problems`. Never a string.
pub struct BindingError {
    pub code: &'static str,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl BindingError {
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        BindingError { code: "invalid_argument", message: message.into(), problems: Vec::new() }
    }

    pub fn with_problem(mut self, problem: Problem) -> Self {
        self.problems.push(problem);
        self
    }
}

thread_local! {
    /// The class errors are made of (`new Class(code, message, problems)`).
    static ERROR_CLASS: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
}

/// Registers the class thrown errors are instances of: `CohortSyncError`, so that what the
/// wasm throws is what users catch, with no mapping on the way.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = setErrorClass)]
pub fn set_error_class(class: js_sys::Function) {
    ERROR_CLASS.with(|slot| *slot.borrow_mut() = Some(class));
}

impl From<BindingError> for JsValue {
    fn from(error: BindingError) -> JsValue {
        // Problems cross as JSON text: fixed keys, parsed into plain objects.
        let problems = js_sys::JSON::parse(&error.problems.to_json()).unwrap_or_else(|_| js_sys::Array::new().into());
        let code = JsValue::from_str(error.code);
        let message = JsValue::from_str(&error.message);
        let class = ERROR_CLASS.with(|slot| slot.borrow().clone());
        if let Some(class) = class {
            if let Ok(made) = js_sys::Reflect::construct(&class, &js_sys::Array::of3(&code, &message, &problems)) {
                return made;
            }
        }
        let plain = js_sys::Error::new(&error.message);
        plain.set_name("CohortSyncError");
        let _ = js_sys::Reflect::set(&plain, &JsValue::from_str("code"), &code);
        let _ = js_sys::Reflect::set(&plain, &JsValue::from_str("problems"), &problems);
        plain.into()
    }
}

pub type Exported = Result<String, JsValue>;

/// `invalid_argument` with `message`, as thrown.
pub fn invalid(message: impl Into<String>) -> JsValue {
    BindingError::invalid_argument(message).into()
}

/// Snapshot bytes: a typed array, DataView or ArrayBuffer (never a string: text is no
/// snapshot), else `invalid_argument` naming `what`.
pub fn snapshot_bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, BindingError> {
    match value.as_string().is_none().then(|| body_bytes(value)).flatten() {
        Some(bytes) => Ok(bytes),
        None => Err(BindingError::invalid_argument(format!("{what} must be a Uint8Array, got {}", type_name(value)))),
    }
}

/// A problem in one argument (a list, a page object): `invalid_argument` naming it.
pub fn argument_problem(what: &str, problem: Problem) -> JsValue {
    let message = format!("{what}: {} at \"{}\"", problem.message, problem.path);
    BindingError { code: "invalid_argument", message, problems: vec![problem] }.into()
}

impl From<crate::payload::PayloadError> for BindingError {
    /// `invalid_payload`, with the report's errors as `problems`.
    fn from(error: crate::payload::PayloadError) -> Self {
        let code = error.code();
        let message = error.to_string();
        let crate::payload::PayloadError::InvalidPayload(problems) = error;
        BindingError { code, message, problems }
    }
}

/// The JSON text of a result, for `api.js` to `JSON.parse`: what large results cross as
/// (member lists, ids, request bodies, reports with a problem per member), since one
/// `JSON.parse` builds them faster than a crossing per string or field would.
pub fn json<T: ToJson + ?Sized>(value: &T) -> Exported {
    Ok(value.to_json())
}

/// A small result (a reply, a decision, a few fields) as the plain object its JSON would
/// parse to: `None` is `null`, maps are objects. Keys are set by assignment, so none may
/// be `__proto__`: they are field names, or `In <name>` (audience properties).
pub fn value<T: Serialize + ?Sized>(result: &T) -> Result<JsValue, JsValue> {
    const PLAIN: serde_wasm_bindgen::Serializer = serde_wasm_bindgen::Serializer::json_compatible();
    result.serialize(&PLAIN).map_err(JsValue::from)
}

/// A webhook body as given: its own bytes (`as_sent`), or JSON text made here from the
/// webhook object a framework had already parsed (`req.body`, `await request.json()`).
/// Problems in made text keep their pointers but lose line and column: that text is not
/// what was sent.
pub struct WebhookBody {
    pub bytes: Vec<u8>,
    pub as_sent: bool,
}

impl WebhookBody {
    /// `None` for a value that is neither bytes, text nor an object; `Err` (a sentence)
    /// for an object `JSON.stringify` cannot write (a cycle, a BigInt, a throwing getter).
    pub fn read(value: &JsValue) -> Result<Option<WebhookBody>, String> {
        if let Some(bytes) = body_bytes(value) {
            return Ok(Some(WebhookBody { bytes, as_sent: true }));
        }
        // Buffers that could not be read (a detached view) are no webhook object.
        if !value.is_object() || ArrayBuffer::is_view(value) || value.is_instance_of::<ArrayBuffer>() {
            return Ok(None);
        }
        match js_sys::JSON::stringify(value).map(|text| text.as_string()) {
            Ok(Some(text)) => Ok(Some(WebhookBody { bytes: text.into_bytes(), as_sent: false })),
            Ok(None) => Err("the body object cannot be turned into JSON".into()),
            Err(thrown) => {
                let why = js_sys::Reflect::get(&thrown, &JsValue::from_str("message")).ok().and_then(|m| m.as_string());
                Err(format!("the body object cannot be turned into JSON: {}", why.unwrap_or_else(|| "it threw".into())))
            }
        }
    }

    /// `problems` as the caller can use them: without positions in made text.
    pub fn place<'p>(&self, problems: impl IntoIterator<Item = &'p mut Problem>) {
        if !self.as_sent {
            for problem in problems {
                problem.line = None;
                problem.column = None;
                problem.offset = None;
            }
        }
    }
}

/// The bytes of a body: a string (as UTF-8), any typed array or DataView (its bytes),
/// or an ArrayBuffer. One copy into wasm memory; `None` for anything else.
///
/// Every JavaScript step that hostile values can make throw (a detached buffer, a
/// DataView whose `byteLength` getter throws, a Proxy) goes through a caught import: an
/// exception unwinding through a wasm method would leave its handle borrowed for good.
/// A detached buffer reads as empty, as JavaScript itself sees it (`byteLength` 0).
pub fn body_bytes(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(text) = value.as_string() {
        return Some(string_bytes(value, text));
    }
    let get = |key: &str| js_sys::Reflect::get(value, &JsValue::from_str(key)).ok();
    let (buffer, offset, length) = if ArrayBuffer::is_view(value) {
        // Typed arrays and DataView all have buffer/byteOffset/byteLength.
        (get("buffer")?, get("byteOffset")?.as_f64()?, get("byteLength")?.as_f64()?)
    } else if value.is_instance_of::<ArrayBuffer>() {
        (value.clone(), 0.0, get("byteLength")?.as_f64()?)
    } else {
        return None;
    };
    if length == 0.0 {
        return Some(Vec::new());
    }
    let bytes: Uint8Array = ByteView::new(&buffer, offset, length).ok()?.unchecked_into();
    Some(bytes.to_vec())
}

/// A string body's UTF-8 bytes. `as_string` turns each lone surrogate (a UTF-16 unit
/// with no UTF-8 form) into U+FFFD, which would make the body quietly valid with other
/// ids than were sent; such a string is re-encoded with its lone surrogates as WTF-8
/// (`ED A0..BF ..`), which the reader refuses as `invalid_utf8` at their offset. Only
/// strings holding U+FFFD are looked at twice.
fn string_bytes(value: &JsValue, text: String) -> Vec<u8> {
    if !crate::text::has_replacement_char(&text) {
        return text.into_bytes();
    }
    let units = value.unchecked_ref::<js_sys::JsString>().iter();
    let mut out = Vec::with_capacity(text.len());
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            Err(lone) => {
                let u = lone.unpaired_surrogate();
                out.extend_from_slice(&[0xE0 | (u >> 12) as u8, 0x80 | (u >> 6 & 0x3F) as u8, 0x80 | (u & 0x3F) as u8]);
            }
        }
    }
    out
}

/// A JS string as Rust text (`None` when it is not a string), refusing one that holds
/// a lone surrogate: `as_string` would turn it into U+FFFD, so that two different ids
/// (`"\uD800"`, `"\uDFFF"`) became one, where the same id inside a list is refused
/// (`lone_surrogate`).
pub fn exact_string(value: &JsValue, name: &str) -> Result<Option<String>, BindingError> {
    let Some(text) = value.as_string() else { return Ok(None) };
    if crate::text::has_replacement_char(&text) && !value.unchecked_ref::<js_sys::JsString>().is_valid_utf16() {
        return Err(BindingError::invalid_argument(format!(
            "{name} holds a lone surrogate (a UTF-16 unit without its pair): not valid Unicode"
        )));
    }
    Ok(Some(text))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Uint8Array`, constructed through a caught import (a detached buffer throws).
    #[wasm_bindgen(js_name = Uint8Array)]
    type ByteView;
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn new(buffer: &JsValue, byte_offset: f64, length: f64) -> Result<ByteView, JsValue>;

    /// `Array.isArray`, `Array.from` and `Object.keys`, caught: a (revoked) Proxy can
    /// make each throw.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn array_from(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
}

/// `Array.isArray`, false when it throws (a revoked Proxy).
pub fn is_array(value: &JsValue) -> bool {
    array_is_array(value).unwrap_or(false)
}

/// The items of an array (`Array.from`), or an `invalid_argument` naming it when
/// reading it throws.
pub fn array_items(value: &JsValue, name: &str) -> Result<js_sys::Array, BindingError> {
    array_from(value).map_err(|_| BindingError::invalid_argument(format!("{name} could not be read")))
}

/// A short description of a JS value's type, for messages.
pub fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
    }
}

/// An optional whole number option: absent (`undefined`/`null`) is `None`.
pub fn whole_number(value: Option<f64>, name: &str, min: f64, max: f64) -> Result<Option<f64>, BindingError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= min && v <= max => Ok(Some(v)),
        // Printed as integers: formatting floats would pull ~15 KB of code into the wasm
        // for one error message.
        Some(v) => {
            let got = if v.is_finite() && v.fract() == 0.0 {
                (v as i64).to_string()
            } else {
                "a fraction, NaN or infinity".into()
            };
            Err(BindingError::invalid_argument(format!(
                "{name} must be a whole number from {} to {}, got {got}",
                min as u64, max as u64
            )))
        }
    }
}

/// An option's value as the caller gave it (`undefined` when absent), checked by the
/// export that reads it: serde's own type errors would not name the option, and numbers
/// keep their range checks ([`whole_number`]).
///
/// Option structs mark each `Raw` field `#[serde(default)]` rather than the whole struct:
/// the struct-wide default builds a default struct on every read, which is more code.
#[derive(Default)]
pub struct Raw(JsValue);

/// The newtype name under which [`Value`] hands a `Raw` its JavaScript value.
const RAW: &str = "cohort_sync::Raw";

thread_local! {
    /// The value [`Value`] is handing to the `Raw` being read: serde's data model has no
    /// JavaScript values, so the handle goes around it (one thread, one read at a time).
    static HANDED: Cell<JsValue> = const { Cell::new(JsValue::UNDEFINED) };
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_newtype_struct(RAW, RawVisitor)
    }
}

struct RawVisitor;

impl<'de> de::Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an option's value")
    }

    /// [`Value`] has put the value aside: take it.
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw(HANDED.with(Cell::take)))
    }
}

impl Raw {
    /// The value, `undefined` when the option is absent.
    pub fn value(&self) -> &JsValue {
        &self.0
    }

    /// The value unless it is `undefined` or `null` (both mean the default).
    fn given(&self) -> Option<&JsValue> {
        (!self.0.is_undefined() && !self.0.is_null()).then_some(&self.0)
    }

    /// A boolean option named `name`.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, BindingError> {
        let Some(value) = self.given() else { return Ok(None) };
        match value.as_bool() {
            Some(flag) => Ok(Some(flag)),
            None => {
                Err(BindingError::invalid_argument(format!("{name} must be true or false, got {}", type_name(value))))
            }
        }
    }

    /// A number option named `name` (its range is the caller's: [`whole_number`]).
    pub fn number(&self, name: &str) -> Result<Option<f64>, BindingError> {
        let Some(value) = self.given() else { return Ok(None) };
        match value.as_f64() {
            Some(number) => Ok(Some(number)),
            None => Err(BindingError::invalid_argument(format!("{name} must be a number, got {}", type_name(value)))),
        }
    }

    /// A string option named `name`, refused when it holds a lone surrogate ([`exact_string`]).
    pub fn string(&self, name: &str) -> Result<Option<String>, BindingError> {
        let Some(value) = self.given() else { return Ok(None) };
        match exact_string(value, name)? {
            Some(text) => Ok(Some(text)),
            None => Err(BindingError::invalid_argument(format!("{name} must be a string, got {}", type_name(value)))),
        }
    }
}

/// An options argument named `what` read into `T`, a `#[derive(Deserialize)]` struct
/// of [`Raw`] fields that refuses unknown keys (so a typo such as `maxMember` is an
/// error rather than silently ignored). `undefined` and `null` mean every default;
/// anything else must be an object.
///
/// serde never reads the caller's object: a getter or Proxy throwing through a wasm
/// method would leave its handle borrowed for good. It reads a copy instead
/// ([`option_entries`]), each value a handle that serde does not look into ([`Value`]).
pub fn options<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, BindingError> {
    let entries = option_entries(value, what)?;
    T::deserialize(Entries { entries: entries.into_iter(), value: JsValue::UNDEFINED })
        .map_err(|error| serde_error(error, what))
}

/// An options argument's own enumerable string keys with their values, read through
/// caught imports: an inert copy of it. The values are not copied: they are read later
/// only through typeof checks and caught imports ([`Raw`], [`array_items`]), or, a nested
/// object, by [`options`] again.
fn option_entries(value: &JsValue, what: &str) -> Result<Vec<(String, JsValue)>, BindingError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !value.is_object() || is_array(value) {
        return Err(BindingError::invalid_argument(format!("{what} must be an object, got {}", type_name(value))));
    }
    let mut entries = Vec::new();
    for key in object_keys(value).map_err(|_| unreadable(what))?.iter() {
        let item = js_sys::Reflect::get(value, &key).map_err(|_| unreadable(what))?;
        entries.push((key.as_string().unwrap_or_default(), item));
    }
    Ok(entries)
}

#[cold]
fn unreadable(what: &str) -> BindingError {
    BindingError::invalid_argument(format!("{what} could not be read"))
}

/// What serde found wrong (an unknown key), as `invalid_argument` naming the argument.
#[cold]
fn serde_error(error: OptionsError, what: &str) -> BindingError {
    BindingError::invalid_argument(format!("{what}: {}", error.0))
}

/// What serde reports about an options object. Only an unknown key can happen (every
/// field is a defaulted [`Raw`], every key a string), and serde's own message for it
/// names the key and the known ones. Type errors do not describe the value found:
/// formatting serde's `Unexpected` (floats, escaped strings) links ~14 KB gzipped of
/// code, which the default methods would do for messages no caller can get.
pub struct OptionsError(String);

impl de::Error for OptionsError {
    #[cold]
    fn custom<T: fmt::Display>(message: T) -> Self {
        OptionsError(message.to_string())
    }

    #[cold]
    fn invalid_type(_: de::Unexpected, expected: &dyn de::Expected) -> Self {
        OptionsError(format!("invalid type, expected {expected}"))
    }

    #[cold]
    fn invalid_value(_: de::Unexpected, expected: &dyn de::Expected) -> Self {
        OptionsError(format!("invalid value, expected {expected}"))
    }

    #[cold]
    fn invalid_length(_: usize, expected: &dyn de::Expected) -> Self {
        OptionsError(format!("invalid length, expected {expected}"))
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The message as it is (a derived `Debug` would escape it, linking `str`'s `Debug`).
impl fmt::Debug for OptionsError {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

/// An options object as serde reads it: every key, so that `deny_unknown_fields` sees
/// the unknown ones, each value as a [`Value`].
struct Entries {
    entries: std::vec::IntoIter<(String, JsValue)>,
    value: JsValue,
}

impl<'de> de::Deserializer<'de> for Entries {
    type Error = OptionsError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl Entries {
    /// The next key, its value kept for `next_value_seed`: one body for every options type.
    #[inline(never)]
    fn next_key(&mut self) -> Option<String> {
        let (key, value) = self.entries.next()?;
        self.value = value;
        Some(key)
    }
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = OptionsError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        match self.next_key() {
            Some(key) => seed.deserialize(de::value::StringDeserializer::new(key)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        seed.deserialize(Value(std::mem::take(&mut self.value)))
    }
}

/// One option's value as serde reads it: only as a [`Raw`], which it hands the value
/// (through [`HANDED`]) without serde looking into it.
struct Value(JsValue);

impl<'de> de::Deserializer<'de> for Value {
    type Error = OptionsError;

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        if name != RAW {
            return self.deserialize_any(visitor);
        }
        HANDED.with(|slot| slot.set(self.0));
        visitor.visit_unit()
    }

    #[cold]
    fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(OptionsError("an option is read only as a Raw value".into()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}
