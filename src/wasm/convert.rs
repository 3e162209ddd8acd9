//! Conversions shared by every export: bodies in, JSON out, errors thrown.

use crate::json::{JsonWriter, ToJson};
use crate::problem::Problem;
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// What an export throws: serialised to JSON text, which `api.js` maps to
/// `CohortSyncError` (the one place errors are mapped).
pub struct BindingError {
    pub code: &'static str,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl BindingError {
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        BindingError { code: "invalid_argument", message: message.into(), problems: Vec::new() }
    }
}

impl ToJson for BindingError {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object().field("code", self.code).field("message", &self.message).field("problems", &self.problems);
        w.end_object();
    }
}

impl From<BindingError> for JsValue {
    fn from(error: BindingError) -> JsValue {
        JsValue::from_str(&error.to_json())
    }
}

pub type Exported = Result<String, JsValue>;

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

/// The JSON text of a result.
pub fn json<T: ToJson + ?Sized>(value: &T) -> Exported {
    Ok(value.to_json())
}

/// The bytes of a body: a string (as UTF-8), any typed array or DataView (its bytes),
/// or an ArrayBuffer. One copy into wasm memory; `None` for anything else.
pub fn body_bytes(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(text) = value.as_string() {
        return Some(text.into_bytes());
    }
    if ArrayBuffer::is_view(value) {
        // Typed arrays and DataView all have buffer/byteOffset/byteLength.
        let view: &Uint8Array = value.unchecked_ref();
        let bytes = Uint8Array::new_with_byte_offset_and_length(&view.buffer(), view.byte_offset(), view.byte_length());
        return Some(bytes.to_vec());
    }
    if value.is_instance_of::<ArrayBuffer>() {
        return Some(Uint8Array::new(value).to_vec());
    }
    None
}

/// A short description of a JS value's type, for messages.
pub fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if Array_is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
    }
}

#[allow(non_snake_case)]
fn Array_is_array(value: &JsValue) -> bool {
    js_sys::Array::is_array(value)
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

/// An options object, read field by field. Unknown keys are refused, so a typo such as
/// `maxMember` is an error rather than silently ignored.
///
/// Hand-written rather than serde-wasm-bindgen: serde's deserialisation (and the float
/// formatting its error messages pull in) cost ~10 KB of gzipped wasm for three option
/// objects.
pub struct Fields {
    object: Option<js_sys::Object>,
    what: &'static str,
}

impl Fields {
    pub fn read(value: &JsValue, what: &'static str, allowed: &[&str]) -> Result<Fields, BindingError> {
        if value.is_undefined() || value.is_null() {
            return Ok(Fields { object: None, what });
        }
        if !value.is_object() || js_sys::Array::is_array(value) {
            return Err(BindingError::invalid_argument(format!("{what} must be an object, got {}", type_name(value))));
        }
        let object: js_sys::Object = value.clone().unchecked_into();
        for key in js_sys::Object::keys(&object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                return Err(BindingError::invalid_argument(format!(
                    "{what}: unknown option \"{key}\" (expected {})",
                    allowed.join(", ")
                )));
            }
        }
        Ok(Fields { object: Some(object), what })
    }

    fn get(&self, key: &str) -> Result<JsValue, BindingError> {
        let Some(object) = &self.object else { return Ok(JsValue::UNDEFINED) };
        js_sys::Reflect::get(object, &JsValue::from_str(key))
            .map_err(|_| BindingError::invalid_argument(format!("{}.{key} could not be read", self.what)))
    }

    /// A field's raw value (`undefined` when absent).
    pub fn value(&self, key: &str) -> Result<JsValue, BindingError> {
        self.get(key)
    }

    /// A boolean field; absent (`undefined`/`null`) is `None`.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, BindingError> {
        let value = self.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        value.as_bool().map(Some).ok_or_else(|| {
            BindingError::invalid_argument(format!(
                "{}.{key} must be true or false, got {}",
                self.what,
                type_name(&value)
            ))
        })
    }

    /// A number field; absent (`undefined`/`null`) is `None`.
    pub fn number(&self, key: &str) -> Result<Option<f64>, BindingError> {
        let value = self.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        value.as_f64().map(Some).ok_or_else(|| {
            BindingError::invalid_argument(format!("{}.{key} must be a number, got {}", self.what, type_name(&value)))
        })
    }

    /// A string field; absent (`undefined`/`null`) is `None`.
    pub fn string(&self, key: &str) -> Result<Option<String>, BindingError> {
        let value = self.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        value.as_string().map(Some).ok_or_else(|| {
            BindingError::invalid_argument(format!("{}.{key} must be a string, got {}", self.what, type_name(&value)))
        })
    }
}
