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

/// Reads an options object into `T` (unknown keys refused, so typos are caught).
pub fn options<T: serde::de::DeserializeOwned + Default>(value: &JsValue, what: &str) -> Result<T, BindingError> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(BindingError::invalid_argument(format!("{what} must be an object, got {}", type_name(value))));
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| BindingError::invalid_argument(format!("{what}: {e}")))
}
