//! JSON over raw bytes: a validating pull reader, JSON Pointers, and line/column lookup.

pub mod pointer;
pub mod position;
pub mod reader;
mod scan;

pub use reader::{JsonStr, Kind, Reader, SyntaxError, MAX_DEPTH};
