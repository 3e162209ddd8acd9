//! Exports for "Membership" (docs/api.md): diffMembers, planSync and the CohortState class.
//!
//! Lists arrive as JSON text (api.js turns JS iterables into it with one
//! `JSON.stringify`); ids are read with the core's argument readers.

use super::convert::{
    argument_problem, array_items, exact_string, is_array, json, options, snapshot_bytes, type_name, value,
    whole_number, BindingError, Exported,
};
use super::payload::{page_argument, validate_options, PageArgument};
use crate::args::{read_member_list, read_string_list};
use crate::plan::{plan_sync, PlanOptions, DEFAULT_BATCH_SIZE};
use crate::state::{CohortState, PagePlace, SyncTracker};
use wasm_bindgen::prelude::*;

fn seed(hi: u32, lo: u32) -> u64 {
    (hi as u64) << 32 | lo as u64
}

#[wasm_bindgen(js_name = diffMembers)]
pub fn diff_members(previous: &[u8], current: &[u8], seed_hi: u32, seed_lo: u32) -> Exported {
    let previous = read_string_list(previous).map_err(|p| argument_problem("previous", p))?;
    let current = read_string_list(current).map_err(|p| argument_problem("current", p))?;
    let diff = crate::diff::diff_members(
        previous.iter().map(|id| &**id),
        current.iter().map(|id| &**id),
        seed(seed_hi, seed_lo),
    );
    json(&diff)
}

/// `planSync`'s options.
fn read_plan_options(value: &JsValue) -> Result<PlanOptions, BindingError> {
    let [project_id, cohort_id, cohort_name, cohort_description, session_id, batch_size, snapshot_age_ms] = options(
        value,
        "options",
        ["projectId", "cohortId", "cohortName", "cohortDescription", "sessionId", "batchSize", "snapshotAgeMs"],
    )?;
    let batch_size = whole_number(batch_size.number("options.batchSize")?, "options.batchSize", 1.0, 1e9)?;
    let snapshot_age_ms = snapshot_age_ms.number("options.snapshotAgeMs")?;
    Ok(PlanOptions {
        project_id: project_id.string("options.projectId")?.unwrap_or_default(),
        cohort_id: cohort_id.string("options.cohortId")?.unwrap_or_default(),
        cohort_name: cohort_name.string("options.cohortName")?,
        cohort_description: cohort_description.string("options.cohortDescription")?,
        session_id: session_id.string("options.sessionId")?.unwrap_or_default(),
        batch_size: batch_size.map_or(DEFAULT_BATCH_SIZE, |v| v as usize),
        snapshot_age_ms: whole_number(snapshot_age_ms, "options.snapshotAgeMs", 0.0, 2f64.powi(53))?.map(|v| v as u64),
    })
}

/// `previous`: JSON of the last snapshot's ids, or `None`; `current`: JSON of members
/// (both as UTF-8 bytes).
#[wasm_bindgen(js_name = planSync)]
pub fn plan_sync_export(previous: Option<Vec<u8>>, current: &[u8], plan_options: JsValue) -> Exported {
    let plan = read_plan_options(&plan_options)?;
    let previous = match previous {
        Some(text) => Some(
            read_string_list(&text)
                .map_err(|p| argument_problem("previous", p))?
                .into_iter()
                .map(|id| id.into_owned())
                .collect::<Vec<String>>(),
        ),
        None => None,
    };
    let current = read_member_list(current).map_err(|p| argument_problem("current", p))?;
    let bodies = plan_sync(previous.as_deref(), &current, &plan).map_err(|e| BindingError {
        code: e.code(),
        message: e.to_string(),
        problems: Vec::new(),
    })?;
    json(&bodies)
}

fn snapshot_error(error: crate::state::SnapshotError) -> JsValue {
    BindingError { code: error.code(), message: error.to_string(), problems: Vec::new() }.into()
}

/// One cohort's membership. Wrapped by `CohortState` in api.js.
#[wasm_bindgen]
pub struct CohortStateHandle {
    inner: CohortState,
}

#[wasm_bindgen]
impl CohortStateHandle {
    #[wasm_bindgen(constructor)]
    pub fn new(seed_hi: u32, seed_lo: u32) -> CohortStateHandle {
        CohortStateHandle { inner: CohortState::with_seed(seed(seed_hi, seed_lo)) }
    }

    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: JsValue, seed_hi: u32, seed_lo: u32) -> Result<CohortStateHandle, JsValue> {
        let bytes = snapshot_bytes(&bytes, "bytes")?;
        let inner = CohortState::from_bytes(&bytes, seed(seed_hi, seed_lo)).map_err(snapshot_error)?;
        Ok(CohortStateHandle { inner })
    }

    /// `chunks`: an array of Uint8Arrays, in order.
    #[wasm_bindgen(js_name = fromChunks)]
    pub fn from_chunks(chunks: JsValue, seed_hi: u32, seed_lo: u32) -> Result<CohortStateHandle, JsValue> {
        if !is_array(&chunks) {
            return Err(
                BindingError::invalid_argument(format!("chunks must be an array, got {}", type_name(&chunks))).into()
            );
        }
        let mut parts = Vec::new();
        for (i, chunk) in array_items(&chunks, "chunks")?.iter().enumerate() {
            parts.push(snapshot_bytes(&chunk, &format!("chunk {i}"))?);
        }
        let inner = CohortState::from_chunks(&parts, seed(seed_hi, seed_lo)).map_err(snapshot_error)?;
        Ok(CohortStateHandle { inner })
    }

    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    #[wasm_bindgen(js_name = toChunks)]
    pub fn to_chunks(&self, chunk_bytes: JsValue) -> Result<js_sys::Array, JsValue> {
        const DEFAULT: f64 = 1048576.0;
        let size = if chunk_bytes.is_undefined() || chunk_bytes.is_null() {
            DEFAULT
        } else {
            let Some(number) = chunk_bytes.as_f64() else {
                let got = type_name(&chunk_bytes);
                return Err(BindingError::invalid_argument(format!("chunkBytes must be a number, got {got}")).into());
            };
            whole_number(Some(number), "chunkBytes", 1.0, 2f64.powi(31))?.unwrap_or(DEFAULT)
        } as usize;
        let out = js_sys::Array::new();
        for chunk in self.inner.to_chunks(size) {
            out.push(&js_sys::Uint8Array::from(chunk.as_slice()));
        }
        Ok(out)
    }

    /// A webhook body (bytes, text or the parsed webhook object) or a page from `parsePayload`.
    pub fn apply(&mut self, page: JsValue, apply_options: JsValue) -> Exported {
        let limits = validate_options(&apply_options)?;
        let outcome = match page_argument(&page)? {
            PageArgument::Body(body) => self.inner.apply_body(&body.bytes, &limits).map_err(|error| {
                let mut error = BindingError::from(error);
                body.place(error.problems.iter_mut());
                error
            })?,
            PageArgument::Page(page) => self.inner.apply_page(&page),
        };
        // JSON text: `added` and `removed` can hold every member of the cohort.
        json(&outcome)
    }

    pub fn has(&self, distinct_id: JsValue) -> Result<bool, JsValue> {
        match exact_string(&distinct_id, "distinctId")? {
            Some(id) => Ok(self.inner.has(&id)),
            None => Err(BindingError::invalid_argument(format!(
                "distinctId must be a string, got {}",
                type_name(&distinct_id)
            ))
            .into()),
        }
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.inner.size() as f64
    }

    pub fn members(&self) -> Exported {
        json(&self.inner.members().collect::<Vec<_>>())
    }

    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        self.inner.memory_bytes() as f64
    }

    #[wasm_bindgen(js_name = pendingSession)]
    pub fn pending_session(&self) -> Option<String> {
        self.inner.pending_session().map(str::to_string)
    }
}

/// The rulebook alone, for stores that keep members themselves (the Worker): the bytes
/// of its state in and out, one decision per page.
#[wasm_bindgen]
pub struct SyncTrackerHandle {
    inner: SyncTracker,
}

#[wasm_bindgen]
impl SyncTrackerHandle {
    #[wasm_bindgen(constructor)]
    pub fn new() -> SyncTrackerHandle {
        SyncTrackerHandle { inner: SyncTracker::new() }
    }

    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: JsValue) -> Result<SyncTrackerHandle, JsValue> {
        let bytes = snapshot_bytes(&bytes, "bytes")?;
        Ok(SyncTrackerHandle { inner: SyncTracker::from_bytes(&bytes).map_err(snapshot_error)? })
    }

    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// `page`/`total` for a numbered page, else `fingerprint` (hex, from
    /// `validatePayload(body, { ids: true })`); `hold_sweeps`: the cohort holds a dead
    /// page (`Decision::without_sweeps`).
    pub fn observe(
        &mut self,
        action: JsValue,
        session_id: JsValue,
        page: JsValue,
        total: JsValue,
        fingerprint: JsValue,
        hold_sweeps: JsValue,
    ) -> Result<JsValue, JsValue> {
        let action = action
            .as_string()
            .and_then(|a| crate::payload::Action::parse(&a))
            .ok_or_else(|| BindingError::invalid_argument("action must be members, add_members or remove_members"))?;
        let session_id = exact_string(&session_id, "sessionId")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| BindingError::invalid_argument("sessionId must be a non-empty string"))?;
        let place = if page.is_null() || page.is_undefined() {
            let key =
                fingerprint.as_string().and_then(|hex| crate::state::parse_fingerprint_hex(&hex)).ok_or_else(|| {
                    BindingError::invalid_argument("a pageless page needs its fingerprint (32 hex digits)")
                })?;
            PagePlace::Pageless { fingerprint: key }
        } else {
            let page = whole_number(page.as_f64(), "page.count", 1.0, 2f64.powi(53))?;
            let total = whole_number(total.as_f64(), "page.total", 1.0, 2f64.powi(53))?;
            match (page, total) {
                (Some(page), Some(total)) if page <= total => {
                    PagePlace::Numbered { page: page as u64, total: total as u64 }
                }
                _ => {
                    return Err(
                        BindingError::invalid_argument("page needs { count, total } with 1 <= count <= total").into()
                    )
                }
            }
        };
        let decision = self.inner.observe(action, &session_id, place);
        value(&if hold_sweeps.is_truthy() { decision.without_sweeps() } else { decision })
    }

    #[wasm_bindgen(js_name = pendingSession)]
    pub fn pending_session(&self) -> Option<String> {
        self.inner.pending_session().map(str::to_string)
    }

    /// The remembered sessions, most recent first (`SessionReport`s): a few dozen.
    pub fn sessions(&self) -> Result<JsValue, JsValue> {
        value(&self.inner.sessions().map(|session| session.report()).collect::<Vec<_>>())
    }

    /// `undefined` when no full sync is under way or it is pageless.
    #[wasm_bindgen(js_name = pendingTotalPages)]
    pub fn pending_total_pages(&self) -> Option<f64> {
        self.inner.pending_total_pages().map(|n| n as f64)
    }
}

impl Default for SyncTrackerHandle {
    fn default() -> Self {
        SyncTrackerHandle::new()
    }
}
