//! Finding repeated byte strings in a list: repeated distinct ids in a page, repeated
//! keys in a member object.
//!
//! Sorting, not a hash table: sorting (hash, position) pairs is O(n log n) whatever the
//! input, where a hash table can be driven quadratic by crafted collisions. Equal hashes
//! are settled byte for byte, and a run of equal hashes (one id sent a million times) is
//! itself sorted, so no input makes this slow.

/// For each item equal to an earlier one: `(its position, the first equal position)`,
/// in order of position.
pub fn find_repeats<T: AsRef<[u8]>>(items: &[T]) -> Vec<(usize, usize)> {
    let mut repeats = Vec::new();
    if items.len() < 2 {
        return repeats;
    }
    let mut order: Vec<(u64, u32)> =
        items.iter().enumerate().map(|(at, item)| (hash(item.as_ref()), at as u32)).collect();
    order.sort_unstable();
    let mut run = 0;
    while run < order.len() {
        let mut end = run + 1;
        while end < order.len() && order[end].0 == order[run].0 {
            end += 1;
        }
        if end - run > 1 {
            let group = &mut order[run..end];
            group.sort_unstable_by(|a, b| {
                items[a.1 as usize].as_ref().cmp(items[b.1 as usize].as_ref()).then(a.1.cmp(&b.1))
            });
            let mut first = 0;
            for i in 1..group.len() {
                if items[group[i].1 as usize].as_ref() == items[group[first].1 as usize].as_ref() {
                    repeats.push((group[i].1 as usize, group[first].1 as usize));
                } else {
                    first = i;
                }
            }
        }
        run = end;
    }
    repeats.sort_unstable();
    repeats
}

/// FNV-1a-style over 8-byte words: cheap, and spread enough that equal hashes of
/// different strings are rare (and only cost a byte comparison when they happen).
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(23);
    }
    for &b in chunks.remainder() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(items: &[Vec<u8>]) -> Vec<(usize, usize)> {
        (0..items.len()).filter_map(|i| (0..i).find(|&j| items[j] == items[i]).map(|j| (i, j))).collect()
    }

    proptest! {
        #[test]
        fn agrees_with_the_quadratic_definition(items in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..4), 0..60)) {
            prop_assert_eq!(find_repeats(&items), naive(&items));
        }
    }

    #[test]
    fn a_million_copies_are_fast_enough() {
        let items = vec![b"same-id".to_vec(); 1_000_000];
        let started = std::time::Instant::now();
        let repeats = find_repeats(&items);
        assert_eq!(repeats.len(), 999_999);
        assert_eq!(repeats[0], (1, 0));
        assert!(started.elapsed().as_secs() < 30, "quadratic?");
    }
}
