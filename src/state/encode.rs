//! Compact, exact encodings of distinct ids.
//!
//! A cohort of millions is mostly ids of a few shapes: UUIDs (36 characters), decimal
//! numbers, long lowercase hex strings (device ids, `$CleverTap_user_id`s). Stored as
//! text they cost their length; stored by shape a UUID takes 17 bytes and a 19-digit
//! number 9. Every encoding is exactly reversible: `decode(encode(id)) == id`, byte for
//! byte, so membership stays exact (an id whose shape is not recognised is kept as is).
//!
//! Encoded form: one tag byte, then the payload.
//! - `0`: raw bytes (any id).
//! - `1`: a lowercase canonical UUID `8-4-4-4-12` → its 16 bytes.
//! - `2`: an uppercase canonical UUID → its 16 bytes.
//! - `3`: a decimal number without leading zeros (or `0`), at most 19 digits → u64 LE.
//! - `4`: lowercase hex of even length ≥ 8 → its bytes.

const RAW: u8 = 0;
const UUID_LOWER: u8 = 1;
const UUID_UPPER: u8 = 2;
const DECIMAL: u8 = 3;
const HEX_LOWER: u8 = 4;

/// Appends the encoded form of `id` to `out`.
pub fn encode_into(id: &[u8], out: &mut Vec<u8>) {
    if let Some(case) = uuid_case(id) {
        out.push(if case == Case::Lower { UUID_LOWER } else { UUID_UPPER });
        let mut nibbles = id.iter().filter(|&&b| b != b'-').map(|&b| hex_value(b));
        for _ in 0..16 {
            let hi = nibbles.next().unwrap_or(0);
            let lo = nibbles.next().unwrap_or(0);
            out.push(hi << 4 | lo);
        }
    } else if let Some(value) = canonical_decimal(id) {
        out.push(DECIMAL);
        out.extend_from_slice(&value.to_le_bytes());
    } else if id.len() >= 8 && id.len() % 2 == 0 && id.iter().all(|&b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        out.push(HEX_LOWER);
        for pair in id.chunks_exact(2) {
            out.push(hex_value(pair[0]) << 4 | hex_value(pair[1]));
        }
    } else {
        out.push(RAW);
        out.extend_from_slice(id);
    }
}

pub fn encode(id: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(id.len() + 1);
    encode_into(id, &mut out);
    out
}

/// Appends the id that `encoded` stands for to `out`; false when `encoded` is not a
/// valid encoding (only possible for bytes that did not come from `encode`).
pub fn decode_into(encoded: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&tag, payload)) = encoded.split_first() else { return false };
    match tag {
        RAW => out.extend_from_slice(payload),
        UUID_LOWER | UUID_UPPER if payload.len() == 16 => {
            let digits = if tag == UUID_LOWER { b"0123456789abcdef" } else { b"0123456789ABCDEF" };
            for (i, &byte) in payload.iter().enumerate() {
                if matches!(i, 4 | 6 | 8 | 10) {
                    out.push(b'-');
                }
                out.push(digits[(byte >> 4) as usize]);
                out.push(digits[(byte & 15) as usize]);
            }
        }
        DECIMAL if payload.len() == 8 => {
            let mut word = [0u8; 8];
            word.copy_from_slice(payload);
            let value = u64::from_le_bytes(word);
            if value > MAX_DECIMAL {
                return false;
            }
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut rest = value;
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            out.extend_from_slice(&digits[at..]);
        }
        HEX_LOWER if payload.len() >= 4 => {
            for &byte in payload {
                out.push(b"0123456789abcdef"[(byte >> 4) as usize]);
                out.push(b"0123456789abcdef"[(byte & 15) as usize]);
            }
        }
        _ => return false,
    }
    true
}

pub fn decode(encoded: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(encoded.len() * 2 + 4);
    decode_into(encoded, &mut out).then_some(out)
}

/// Whether `encoded` is the one encoding `encode` gives for the id it decodes to (a
/// snapshot holding a non-canonical form would break exact lookups, so loading checks).
pub fn is_canonical(encoded: &[u8]) -> bool {
    match decode(encoded) {
        Some(id) => encode(&id) == encoded,
        None => false,
    }
}

/// The largest decimal id encoded as a number: 19 digits always fit a u64.
const MAX_DECIMAL: u64 = 9_999_999_999_999_999_999;

fn canonical_decimal(id: &[u8]) -> Option<u64> {
    if id.is_empty() || id.len() > 19 || !id.iter().all(u8::is_ascii_digit) || (id.len() > 1 && id[0] == b'0') {
        return None;
    }
    Some(id.iter().fold(0u64, |acc, &d| acc * 10 + (d - b'0') as u64))
}

#[derive(PartialEq, Eq)]
enum Case {
    Lower,
    Upper,
}

fn uuid_case(id: &[u8]) -> Option<Case> {
    if id.len() != 36 {
        return None;
    }
    let (mut lower, mut upper) = (false, false);
    for (i, &b) in id.iter().enumerate() {
        match (i, b) {
            (8 | 13 | 18 | 23, b'-') => {}
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => {}
            (_, b'a'..=b'f') => lower = true,
            (_, b'A'..=b'F') => upper = true,
            _ => return None,
        }
    }
    match (lower, upper) {
        (true, true) => None,
        (_, true) => Some(Case::Upper),
        _ => Some(Case::Lower),
    }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(id: &str) -> usize {
        let encoded = encode(id.as_bytes());
        assert_eq!(decode(&encoded).as_deref(), Some(id.as_bytes()), "{id}");
        assert!(is_canonical(&encoded), "{id}");
        encoded.len()
    }

    #[test]
    fn shapes_shrink_and_come_back_exactly() {
        assert_eq!(round_trip("5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b"), 17);
        assert_eq!(round_trip("5F1C0B7E-0001-4A8E-9C1D-8A7E6F5D4C3B"), 17);
        assert_eq!(round_trip("5f1c0b7e-0001-4A8E-9c1d-8a7e6f5d4c3b"), 37, "mixed case stays raw");
        assert_eq!(round_trip("1234567890123456789"), 9);
        assert_eq!(round_trip("0"), 9);
        assert_eq!(round_trip("0123"), 5, "a leading zero is not a number");
        assert_eq!(round_trip("12345678901234567890"), 11, "20 digits: too many for a u64, but even-length hex");
        assert_eq!(round_trip("123456789012345678901"), 22, "21 digits stay raw");
        assert_eq!(round_trip("deadbeefcafe0001"), 9);
        assert_eq!(round_trip("deadbee"), 8, "odd length stays raw");
        assert_eq!(round_trip("user@example.com"), 17);
        assert_eq!(round_trip(""), 1);
        assert_eq!(round_trip("é😀"), 7);
    }

    #[test]
    fn bad_encodings_are_refused() {
        assert!(decode(&[]).is_none());
        assert!(decode(&[9, 1, 2]).is_none());
        assert!(decode(&[UUID_LOWER, 1, 2]).is_none());
        assert!(decode(&[DECIMAL, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        assert!(!is_canonical(&[RAW, b'1', b'2']), "a number stored raw is not canonical");
    }

    proptest! {
        #[test]
        fn any_id_round_trips(id in "\\PC{0,40}|[0-9a-f-]{30,40}|[0-9]{1,21}|[0-9a-fA-F]{8,20}") {
            let encoded = encode(id.as_bytes());
            prop_assert_eq!(decode(&encoded), Some(id.as_bytes().to_vec()));
            prop_assert!(is_canonical(&encoded));
        }

        #[test]
        fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = decode(&bytes);
            let _ = is_canonical(&bytes);
        }
    }
}
