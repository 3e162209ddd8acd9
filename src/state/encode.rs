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
#[inline]
pub fn encode_into(id: &[u8], out: &mut Vec<u8>) {
    if id.len() == 36 && encode_uuid(id, out) {
        return;
    }
    if let Some(value) = canonical_decimal(id) {
        out.push(DECIMAL);
        out.extend_from_slice(&value.to_le_bytes());
    } else if id.len() >= 8
        && id.len() % 2 == 0
        && id.iter().all(|&b| HEX[b as usize] < 16 && CASE[b as usize] != UPPER_LETTER)
    {
        out.push(HEX_LOWER);
        out.extend(id.chunks_exact(2).map(|pair| HEX[pair[0] as usize] << 4 | HEX[pair[1] as usize]));
    } else {
        out.push(RAW);
        out.extend_from_slice(id);
    }
}

/// A canonical UUID (one case throughout) as a tag and its 16 bytes, in one pass with
/// lookup tables (ids are encoded on every lookup, so this is a hot path).
#[inline]
fn encode_uuid(id: &[u8], out: &mut Vec<u8>) -> bool {
    if id[8] != b'-' || id[13] != b'-' || id[18] != b'-' || id[23] != b'-' {
        return false;
    }
    let mut bytes = [0u8; 16];
    let (mut bad, mut case) = (0u8, 0u8);
    let mut k = 0;
    for group in [&id[0..8], &id[9..13], &id[14..18], &id[19..23], &id[24..36]] {
        for pair in group.chunks_exact(2) {
            let (hi, lo) = (HEX[pair[0] as usize], HEX[pair[1] as usize]);
            bad |= (hi | lo) & 0xF0;
            case |= CASE[pair[0] as usize] | CASE[pair[1] as usize];
            bytes[k] = hi << 4 | lo;
            k += 1;
        }
    }
    if bad != 0 || case == LOWER_LETTER | UPPER_LETTER {
        return false;
    }
    out.push(if case == UPPER_LETTER { UUID_UPPER } else { UUID_LOWER });
    out.extend_from_slice(&bytes);
    true
}

/// Hex digit values; 0xFF for bytes that are not hex digits.
const HEX: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'0'..=b'9' => b as u8 - b'0',
            b'a'..=b'f' => b as u8 - b'a' + 10,
            b'A'..=b'F' => b as u8 - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    table
};

const LOWER_LETTER: u8 = 1;
const UPPER_LETTER: u8 = 2;

/// Which case a hex letter is in (digits have none).
const CASE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'a'..=b'f' => LOWER_LETTER,
            b'A'..=b'F' => UPPER_LETTER,
            _ => 0,
        };
        b += 1;
    }
    table
};

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
            out.extend_from_slice(crate::json::writer::decimal_digits(value, &mut digits));
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
