//! JSON over raw bytes: a validating pull reader, JSON Pointers, and line/column lookup.

pub mod pointer;
pub mod position;
pub mod reader;
pub(crate) mod scan;
pub mod writer;

pub use reader::{JsonStr, Kind, Reader, SyntaxError, MAX_DEPTH};
pub use writer::{JsonWriter, ToJson};
