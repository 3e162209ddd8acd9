//! A page as a receiver applies it: the body it logged when it answered the page, read
//! once more, into what each part of the receiver takes.

use super::validate::{page_of, validate_payload_with_ids};
use super::{Action, CohortPage, ValidateOptions, ValidationReport};
use std::borrow::Cow;

/// A logged body, read: the page without its members (the tracker's and the store's
/// head), its content key when it is pageless (the tracker's), its distinct ids as JSON
/// array texts (what the store's SQL binds), and where each member object is (the store
/// keeps members as sent; forwarding reads the ones that changed from here).
pub struct LoggedPage {
    pub body: Vec<u8>,
    pub page: CohortPage,
    pub fingerprint: Option<u128>,
    /// `[start, end)` byte offsets of each member object in `body`.
    pub member_spans: Vec<(usize, usize)>,
    /// `(JSON array text, ids in it)`, in page order, repeats kept.
    pub id_parts: Vec<(String, usize)>,
}

impl LoggedPage {
    /// Reads `body`, with ids in parts of at most `part_bytes` bytes (unless one id alone
    /// is longer). `Err` holds the report when it is not a valid page (a receiver logs
    /// only pages it answered 200, so only if the log was written by something else).
    pub fn read(body: Vec<u8>, part_bytes: usize) -> Result<LoggedPage, ValidationReport> {
        // Its size was checked against the receiver's limit when it was answered.
        let options = ValidateOptions { max_bytes: usize::MAX, ..ValidateOptions::default() };
        let (report, listing) = validate_payload_with_ids(&body, &options, true);
        let page = page_of(report, Vec::new())?;
        let fingerprint = page.page.is_none().then(|| fingerprint(page.action, &listing.ids));
        let id_parts = id_parts(&listing.ids, part_bytes);
        let member_spans = listing.member_spans;
        Ok(LoggedPage { body, page, fingerprint, member_spans, id_parts })
    }
}

/// The content key of a page listing `ids` (`state::fingerprint`), in one body for
/// every caller.
#[inline(never)]
pub fn fingerprint(action: Action, ids: &[Cow<'_, [u8]>]) -> u128 {
    crate::state::fingerprint(action, ids.iter().map(|id| &**id))
}

/// `ids` as JSON array texts of at most `part_bytes` bytes each (unless one id alone is
/// longer), with how many ids each holds; none for no ids.
fn id_parts(ids: &[Cow<'_, [u8]>], part_bytes: usize) -> Vec<(String, usize)> {
    let mut parts = Vec::new();
    let (mut text, mut count, mut one) = (String::from("["), 0, String::new());
    for id in ids {
        one.clear();
        crate::json::writer::write_escaped(&mut one, &String::from_utf8_lossy(id));
        if count > 0 && text.len() + one.len() + 2 > part_bytes {
            text.push(']');
            parts.push((std::mem::replace(&mut text, String::from("[")), count));
            count = 0;
        }
        if count > 0 {
            text.push(',');
        }
        text.push_str(&one);
        count += 1;
    }
    if count > 0 {
        text.push(']');
        parts.push((text, count));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::super::{read_members, Member};
    use super::*;

    #[test]
    fn a_logged_page_reads_as_the_page_it_was() {
        let body = br#"{"action":"members","parameters":{"mixpanel_project_id":"1","mixpanel_cohort_id":"2","mixpanel_session_id":"s","members":[{"mixpanel_distinct_id":"b","$email":"b@x"},{"$distinct_id":"a\u00e9\"","email":null,"p":[1]},{"mixpanel_distinct_id":"b"}]}}"#;
        let options = ValidateOptions::default();
        let page = super::super::parse_payload(body, &options).unwrap();
        let logged = LoggedPage::read(body.to_vec(), 12).unwrap();
        assert_eq!(CohortPage { members: Vec::new(), ..page.clone() }, logged.page);
        // Each member read from its text is the member the page's walk built.
        let members: Vec<Option<Member>> = page.members.iter().cloned().map(Some).collect();
        let starts: Vec<usize> = logged.member_spans.iter().map(|span| span.0).collect();
        assert_eq!(read_members(&logged.body, &starts), members);
        assert_eq!(
            read_members(&logged.body, &[starts[2], usize::MAX, starts[0]]),
            [members[2].clone(), None, members[0].clone()]
        );
        let text = br#"[]{"email":"x"}{"mixpanel_distinct_id":"k"}"#;
        assert_eq!(read_members(text, &[0, 2, 15, 99]), [None, None, Some(Member::with_id("k".into())), None]);
        // Ids in parts of at most 12 bytes (one id alone may be more), each decoded as JSON.
        let parts: Vec<(&str, usize)> = logged.id_parts.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        assert_eq!(parts, [(r#"["b"]"#, 1), ("[\"a\u{e9}\\\"\"]", 1), (r#"["b"]"#, 1)]);
        let whole = LoggedPage::read(body.to_vec(), usize::MAX).unwrap();
        assert_eq!(whole.id_parts, [("[\"b\",\"a\u{e9}\\\"\",\"b\"]".to_string(), 3)]);
        // Pageless: the content key validatePayload's ids give.
        let (_, listing) = validate_payload_with_ids(body, &options, false);
        assert_eq!(logged.fingerprint, Some(fingerprint(page.action, &listing.ids)));
        assert!(LoggedPage::read(b"{}".to_vec(), 12).is_err());
    }
}
