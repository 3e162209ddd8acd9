//! The `$insert_id` of a loaded row: what lets Mixpanel drop a row sent twice (a retry
//! after a timeout, a run repeated) instead of counting it twice.
//!
//! Mixpanel takes at most 36 bytes of `[A-Za-z0-9-]` and ignores (or refuses) anything
//! else, so an id is never built from the row's own text: it is a 128-bit hash of the
//! event name and the row's primary key, written as 32 lowercase hex digits in the
//! 8-4-4-4-12 groups of a UUID (36 characters). Hence:
//! - stable: the same row gets the same id on every run and every host (constant keys);
//! - from the primary key, not from `distinct_id` and time: two real events of one user
//!   in the same second would share such an id, and Mixpanel would keep only one;
//! - with the event name: two sources loaded as different events may both have a row
//!   with key `42`, and must not collide.
//!
//! The hash input is the event name's length (8 bytes, little-endian), the event name,
//! then the key: with a separator instead of the length, `("a\0", "b")` and
//! `("a", "\0b")` would hash alike. The 128 bits are two SipHash-1-3 under two constant
//! key pairs (SipHash-1-3 is linked already; its 128-bit variant is more code).

use super::state::sip;

/// The length of every insert id.
pub const INSERT_ID_LEN: usize = 36;

/// The two key pairs: "insert-i" / "d-high-k", "insert-i" / "d-low-ke".
const HIGH_KEYS: (u64, u64) = (0x696e_7365_7274_2d69, 0x642d_6869_6768_2d6b);
const LOW_KEYS: (u64, u64) = (0x696e_7365_7274_2d69, 0x642d_6c6f_772d_6b65);

/// The insert id of the row with primary key `key` loaded as event `event`.
pub fn insert_id(event: &str, key: &str) -> String {
    let mut out = [0u8; INSERT_ID_LEN];
    write_insert_id(event.as_bytes(), key.as_bytes(), &mut out);
    // Only ASCII hex digits and hyphens were written.
    out.iter().map(|&b| b as char).collect()
}

/// Writes the insert id of (`event`, `key`) into `out`, ASCII.
pub fn write_insert_id(event: &[u8], key: &[u8], out: &mut [u8; INSERT_ID_LEN]) {
    let parts: [&[u8]; 3] = [&(event.len() as u64).to_le_bytes(), event, key];
    let halves = [sip(HIGH_KEYS, &parts), sip(LOW_KEYS, &parts)];
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut at = 0;
    for digit in 0..32 {
        if matches!(digit, 8 | 12 | 16 | 20) {
            out[at] = b'-';
            at += 1;
        }
        out[at] = DIGITS[(halves[digit / 16] >> (60 - 4 * (digit % 16))) as usize & 15];
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(id: &str) -> bool {
        (1..=INSERT_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    #[test]
    fn ids_look_like_uuids_and_never_change() {
        let id = insert_id("Purchase", "order-42");
        assert!(valid(&id), "{id}");
        assert_eq!(id.len(), 36);
        assert_eq!(id.match_indices('-').map(|(at, _)| at).collect::<Vec<_>>(), [8, 13, 18, 23]);
        // A fixed value: a change here would make every row of every run a new event.
        assert_eq!(id, "56962285-95ef-c3f3-dfa3-1b5f382ba01f");
        assert_eq!(insert_id("Purchase", "order-42"), id);
    }

    #[test]
    fn event_and_key_never_blur_into_each_other() {
        assert_ne!(insert_id("a\0", "b"), insert_id("a", "\0b"));
        assert_ne!(insert_id("ab", "c"), insert_id("a", "bc"));
        assert_ne!(insert_id("Orders", "42"), insert_id("Refunds", "42"));
        assert_ne!(insert_id("Orders", "42"), insert_id("Orders", "43"));
        assert!(valid(&insert_id("", "")));
    }
}
