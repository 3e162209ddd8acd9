//! Conversions shared by every export: bodies in, JSON out, errors thrown.

use crate::json::ToJson;
use crate::problem::Problem;
use js_sys::{ArrayBuffer, Uint8Array};
use serde::Serialize;
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
/// export that reads it, so that messages name the option (`options.maxMembers must be
/// a number, got string`) and numbers keep their range checks ([`whole_number`]).
pub struct Raw(JsValue);

impl Raw {
    /// An option the caller did not give.
    const ABSENT: Raw = Raw(JsValue::UNDEFINED);

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

/// An options argument named `what`, read as the values of the keys `names`, in that
/// order:
///
/// ```ignore
/// let [max_members, max_bytes] = options(value, "options", ["maxMembers", "maxBytes"])?;
/// ```
///
/// `undefined` and `null` mean every default; anything else must be an object, and a key
/// not in `names` is refused, so that a typo such as `maxMember` is an error rather than
/// silently ignored. A nested options object (`rule.braze`) is read by calling this again
/// on its value.
pub fn options<const N: usize>(value: &JsValue, what: &str, names: [&str; N]) -> Result<[Raw; N], BindingError> {
    let mut values = [Raw::ABSENT; N];
    read_options(value, what, &names, &mut values)?;
    Ok(values)
}

/// [`options`]' one body for every options type: `values[i]` gets the value of `names[i]`.
///
/// The object is read only through caught imports (`Object.keys`, `Reflect.get`): a
/// throwing getter or a (revoked) Proxy unwinding through a wasm method would leave its
/// handle borrowed for good. Its values are not looked into here; the exports read them
/// through typeof checks and caught imports ([`Raw`], [`array_items`]).
fn read_options(value: &JsValue, what: &str, names: &[&str], values: &mut [Raw]) -> Result<(), BindingError> {
    if value.is_undefined() || value.is_null() {
        return Ok(());
    }
    if !value.is_object() || is_array(value) {
        return Err(BindingError::invalid_argument(format!("{what} must be an object, got {}", type_name(value))));
    }
    // Every value is read before an unknown key is refused, so that an object that
    // cannot be read says so whatever the order of its keys.
    let mut unknown = None;
    for key in object_keys(value).map_err(|_| unreadable(what))?.iter() {
        let item = js_sys::Reflect::get(value, &key).map_err(|_| unreadable(what))?;
        let key = key.as_string().unwrap_or_default();
        match names.iter().position(|name| *name == key) {
            Some(at) => values[at] = Raw(item),
            None => {
                unknown.get_or_insert(key);
            }
        }
    }
    match unknown {
        Some(key) => Err(unknown_option(what, &key, names)),
        None => Ok(()),
    }
}

#[cold]
fn unreadable(what: &str) -> BindingError {
    BindingError::invalid_argument(format!("{what} could not be read"))
}

/// The refusal of an unknown key, in serde's words for an unknown field (its
/// `deny_unknown_fields`), which users see and may match on:
/// ``options: unknown field `maxMember`, expected `maxMembers` or `maxBytes` ``, and
/// `one of` before more than two names.
#[cold]
fn unknown_option(what: &str, key: &str, names: &[&str]) -> BindingError {
    let mut message = format!("{what}: unknown field `{key}`, expected ");
    if names.len() > 2 {
        message.push_str("one of ");
    }
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            message.push_str(if names.len() == 2 { " or " } else { ", " });
        }
        message.push('`');
        message.push_str(name);
        message.push('`');
    }
    BindingError::invalid_argument(message)
}
