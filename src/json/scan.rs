//! The hot loops of the reader: finding the end of a string body and checking UTF-8.
//!
//! String bodies are most of a webhook page's bytes (emails, ids, names), so the reader
//! skips them in blocks: 16 bytes at a time with wasm SIMD128 when the build enables it,
//! otherwise 8 bytes at a time in a u64 ("SWAR"). A block is skipped when none of its bytes
//! is a quote, a backslash, a control character, or non-ASCII; otherwise the byte-wise
//! code in the reader takes over at the first such byte.

/// Offset of the first byte at or after `from` that is `"`, `\`, below 0x20 or at or
/// above 0x80 (or `bytes.len()` when there is none).
#[inline]
pub fn find_string_special(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        match simd::find_in_blocks(bytes, i) {
            Ok(found) => return found,
            Err(tail) => i = tail,
        }
    }
    i = swar_skip_plain_words(bytes, i);
    while let Some(&b) = bytes.get(i) {
        if is_special(b) {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

#[inline(always)]
fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes equal to zero get their high bit set (exact for the lowest such byte, which is
/// all the caller uses).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

#[inline(always)]
fn swar_skip_plain_words(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = zero_bytes(w ^ (ONES * b'"' as u64));
        let backslash = zero_bytes(w ^ (ONES * b'\\' as u64));
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let special = quote | backslash | control | (w & HIGHS);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::*;

    /// The first special byte found in whole 16-byte blocks from `i` (`Ok`), or where
    /// the last, partial block starts when there is none (`Err`).
    #[inline(always)]
    pub fn find_in_blocks(bytes: &[u8], mut i: usize) -> Result<usize, usize> {
        let quote = u8x16_splat(b'"');
        let backslash = u8x16_splat(b'\\');
        let space = i8x16_splat(0x20);
        while i + 16 <= bytes.len() {
            // SAFETY: `i + 16 <= bytes.len()`, so the 16 bytes read are inside the slice;
            // v128_load has no alignment requirement.
            let v = unsafe { v128_load(bytes.as_ptr().add(i) as *const v128) };
            // As signed bytes, control characters (< 0x20) and non-ASCII (≥ 0x80, which
            // are negative) are exactly the bytes below 0x20: one compare for both.
            let special = v128_or(v128_or(u8x16_eq(v, quote), u8x16_eq(v, backslash)), i8x16_lt(v, space));
            let mask = u8x16_bitmask(special);
            if mask != 0 {
                return Ok(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
        Err(i)
    }
}

/// Length of the valid UTF-8 sequence starting at `i` (whose first byte is ≥ 0x80), or
/// `None` when it is not valid UTF-8 (overlong forms, surrogates and code points past
/// U+10FFFF included).
pub fn utf8_sequence_len(bytes: &[u8], i: usize) -> Option<usize> {
    let b0 = *bytes.get(i)?;
    let cont = |k: usize, lo: u8, hi: u8| bytes.get(i + k).is_some_and(|&b| (lo..=hi).contains(&b));
    let (len, lo, hi) = match b0 {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return None,
    };
    if !cont(1, lo, hi) {
        return None;
    }
    for k in 2..len {
        if !cont(k, 0x80, 0xBF) {
            return None;
        }
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8], from: usize) -> usize {
        (from..bytes.len()).find(|&i| is_special(bytes[i])).unwrap_or(bytes.len())
    }

    #[test]
    fn finds_the_same_byte_as_a_plain_loop() {
        let base: Vec<u8> = (0u8..=255).collect();
        for special in 0..=255u8 {
            for at in 0..40 {
                let mut bytes = vec![b'a'; 48];
                bytes[at] = special;
                for from in [0, 1, 7, 8, 9, 15, 16, 17] {
                    assert_eq!(find_string_special(&bytes, from), naive(&bytes, from));
                }
            }
        }
        for from in 0..base.len() {
            assert_eq!(find_string_special(&base, from), naive(&base, from));
        }
    }

    #[test]
    fn utf8_agrees_with_std() {
        let mut buf = [0u8; 4];
        for b0 in 0x80..=0xFFu8 {
            for b1 in 0x70..=0xC5u8 {
                for b2 in [0x7F, 0x80, 0xBF, 0xC0] {
                    for b3 in [0x7F, 0x80, 0xBF, 0xC0] {
                        buf = [b0, b1, b2, b3];
                        let ours = utf8_sequence_len(&buf, 0);
                        let std_len = match std::str::from_utf8(&buf) {
                            Ok(s) => s.chars().next().map(char::len_utf8),
                            Err(e) if e.valid_up_to() > 0 => std::str::from_utf8(&buf[..e.valid_up_to()])
                                .ok()
                                .and_then(|s| s.chars().next())
                                .map(char::len_utf8),
                            Err(_) => None,
                        };
                        assert_eq!(ours, std_len, "{buf:x?}");
                    }
                }
            }
        }
        let _ = buf;
    }
}
