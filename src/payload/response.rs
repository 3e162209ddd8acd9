//! The receiver's answer to Mixpanel, and how Mixpanel (the sender) reacts to answers.

use crate::json::JsonWriter;
use serde::Serialize;

/// An HTTP reply in the shape Mixpanel expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookResponse {
    pub status: u16,
    pub headers: ResponseHeaders,
    /// JSON text: `{"action":…,"status":"success"}`, or with `"failure"` and the error.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseHeaders {
    #[serde(rename = "content-type")]
    pub content_type: &'static str,
}

/// A failure to report: `message` is shown in Mixpanel's UI, `code` is the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookError {
    pub message: String,
    pub code: u16,
}

/// The status used when a failure names none: 500, which Mixpanel retries.
pub const DEFAULT_FAILURE_STATUS: u16 = 500;

impl WebhookError {
    /// A failure reply; `code` must be an HTTP error status (400–599), since a failure
    /// sent with a 2xx status would read as success.
    pub fn new(message: impl Into<String>, code: u16) -> Result<Self, String> {
        if !(400..=599).contains(&code) {
            return Err(format!("error.code must be an HTTP error status from 400 to 599, got {code}"));
        }
        Ok(WebhookError { message: message.into(), code })
    }
}

/// Mixpanel's expected reply: 200 and `"success"`, or the error's status with
/// `"failure"` and the error. `action` must echo the request's; `None` (it could not be
/// read) is sent as `null`.
pub fn webhook_response(action: Option<&str>, error: Option<&WebhookError>) -> WebhookResponse {
    let mut body = JsonWriter::new();
    body.begin_object().field("action", &action).field("status", if error.is_some() { "failure" } else { "success" });
    if let Some(error) = error {
        body.key("error").begin_object().field("message", &error.message).field("code", &error.code).end_object();
    }
    body.end_object();
    WebhookResponse {
        status: error.map_or(200, |e| e.code),
        headers: ResponseHeaders { content_type: "application/json" },
        body: body.finish(),
    }
}

/// What the sender does after an answer: `"success"`, `"retry"` or `"pause"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderReaction {
    /// 2xx: the sync (or page) succeeded.
    Success,
    /// 429 and 5xx (and anything that is neither success nor a client error): retried
    /// with [`retry_delays`], then at the next scheduled sync.
    Retry,
    /// 400, 401, 403, 404 (and other 4xx, which retrying cannot fix either): the sync is
    /// paused and its owners are emailed.
    Pause,
}

impl SenderReaction {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderReaction::Success => "success",
            SenderReaction::Retry => "retry",
            SenderReaction::Pause => "pause",
        }
    }
}

/// How Mixpanel reacts to an HTTP status (docs/domain.md, "The sender's behaviour"). Mixpanel documents 400, 401,
/// 403 and 404 as pausing and 429/5xx as retried; other 4xx are treated as pausing
/// (they are not transient), and 1xx/3xx as retried.
pub fn classify_status(status: u16) -> SenderReaction {
    match status {
        200..=299 => SenderReaction::Success,
        429 => SenderReaction::Retry,
        400..=499 => SenderReaction::Pause,
        _ => SenderReaction::Retry,
    }
}

/// The sender's retry schedule after a 429/5xx, in milliseconds: 5 retries "over 60
/// seconds with exponential backoff", doubling from 1875 ms (1875 … 30000, 58125 in all).
pub fn retry_delays() -> [u32; 5] {
    let mut delays = [0u32; 5];
    for (k, delay) in delays.iter_mut().enumerate() {
        *delay = 1875 << k;
    }
    delays
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_failure_bodies() {
        let ok = webhook_response(Some("add_members"), None);
        assert_eq!(ok.status, 200);
        assert_eq!(ok.body, r#"{"action":"add_members","status":"success"}"#);
        let err = WebhookError { message: "bad \"page\"".into(), code: 400 };
        let bad = webhook_response(Some("members"), Some(&err));
        assert_eq!(bad.status, 400);
        assert_eq!(
            bad.body,
            r#"{"action":"members","status":"failure","error":{"message":"bad \"page\"","code":400}}"#
        );
        assert_eq!(webhook_response(None, None).body, r#"{"action":null,"status":"success"}"#);
    }

    #[test]
    fn replies_and_reactions_serialize_as_the_package_returns_them() {
        let reply = serde_json::to_string(&webhook_response(Some("members"), None)).unwrap();
        assert_eq!(
            reply,
            r#"{"status":200,"headers":{"content-type":"application/json"},"body":"{\"action\":\"members\",\"status\":\"success\"}"}"#
        );
        assert_eq!(serde_json::to_string(&classify_status(503)).unwrap(), r#""retry""#);
        assert_eq!(serde_json::to_string(&retry_delays()).unwrap(), "[1875,3750,7500,15000,30000]");
    }

    #[test]
    fn statuses_classify_as_the_spec_says() {
        for s in [200, 201, 204, 299] {
            assert_eq!(classify_status(s), SenderReaction::Success);
        }
        for s in [429, 500, 502, 503, 599] {
            assert_eq!(classify_status(s), SenderReaction::Retry);
        }
        for s in [400, 401, 403, 404] {
            assert_eq!(classify_status(s), SenderReaction::Pause);
        }
    }

    #[test]
    fn retries_grow_and_fit_in_a_minute() {
        let d = retry_delays();
        assert!(d.windows(2).all(|w| w[0] < w[1]));
        assert!(d.iter().sum::<u32>() <= 60_000);
    }
}
