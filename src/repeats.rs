//! Finding repeated byte strings in a list: repeated distinct ids in a page, repeated
//! keys in a member object.
//!
//! First a hash table (fast: it was 10% of validating a page when this sorted every
//! time), with a budget of probes: crafted collisions can drive a hash table quadratic,
//! so when the budget runs out the answer comes from sorting (hash, position) pairs
//! instead, which is O(n log n) whatever the input. Either way equal hashes are settled
//! byte for byte, so a collision costs time, never a wrong answer.

/// For each item equal to an earlier one: `(its position, the first equal position)`,
/// in order of position.
pub fn find_repeats<T: AsRef<[u8]>>(items: &[T]) -> Vec<(usize, usize)> {
    // One non-generic body whatever the caller's item type: each copy of the sorts
    // below costs kilobytes of wasm.
    let slices: Vec<&[u8]> = items.iter().map(AsRef::as_ref).collect();
    repeats_of(&slices)
}

fn repeats_of(items: &[&[u8]]) -> Vec<(usize, usize)> {
    if items.len() < 2 {
        return Vec::new();
    }
    let hashes: Vec<u64> = items.iter().map(|item| hash(item)).collect();
    by_table(items, &hashes).unwrap_or_else(|| by_sorting(items, &hashes))
}

/// Open addressing with linear probing; `None` once probes exceed 8 per item.
fn by_table(items: &[&[u8]], hashes: &[u64]) -> Option<Vec<(usize, usize)>> {
    const EMPTY: u32 = u32::MAX;
    let capacity = (items.len() * 2).next_power_of_two().max(16);
    let mask = capacity - 1;
    let mut slots = vec![EMPTY; capacity];
    let mut budget = items.len() * 8 + 64;
    let mut repeats = Vec::new();
    for (at, item) in items.iter().enumerate() {
        let mut slot = (hashes[at] as usize) & mask;
        loop {
            budget = budget.checked_sub(1)?;
            let held = slots[slot];
            if held == EMPTY {
                slots[slot] = at as u32;
                break;
            }
            let held = held as usize;
            if hashes[held] == hashes[at] && items[held] == *item {
                repeats.push((at, held));
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    Some(repeats)
}

fn by_sorting(items: &[&[u8]], hashes: &[u64]) -> Vec<(usize, usize)> {
    let mut repeats = Vec::new();
    if items.len() < 2 {
        return repeats;
    }
    let mut order: Vec<(u64, u32)> = hashes.iter().enumerate().map(|(at, &h)| (h, at as u32)).collect();
    sort_pairs(&mut order, None);
    let mut run = 0;
    while run < order.len() {
        let mut end = run + 1;
        while end < order.len() && order[end].0 == order[run].0 {
            end += 1;
        }
        if end - run > 1 {
            let group = &mut order[run..end];
            sort_pairs(group, Some(items));
            let mut first = 0;
            for i in 1..group.len() {
                if items[group[i].1 as usize] == items[group[first].1 as usize] {
                    repeats.push((group[i].1 as usize, group[first].1 as usize));
                } else {
                    first = i;
                }
            }
        }
        run = end;
    }
    // Sorted as (u64, u32) pairs: the same sort as above, not another copy.
    let mut ordered: Vec<(u64, u32)> = repeats.iter().map(|&(later, first)| (later as u64, first as u32)).collect();
    sort_pairs(&mut ordered, None);
    ordered.into_iter().map(|(later, first)| (later as usize, first as usize)).collect()
}

/// Sorts `(key, position)` pairs by key, then by the bytes of `items[position]` when
/// `items` is given, then by position. Every sort of the crate goes through this one
/// body: each distinct instantiation of the standard sort is 2-4 KB of wasm.
pub(crate) fn sort_pairs(pairs: &mut [(u64, u32)], items: Option<&[&[u8]]>) {
    pairs.sort_unstable_by(|a, b| {
        let by_bytes = match items {
            Some(items) => items[a.1 as usize].cmp(items[b.1 as usize]),
            None => std::cmp::Ordering::Equal,
        };
        a.0.cmp(&b.0).then(by_bytes).then(a.1.cmp(&b.1))
    });
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
            // Both strategies, whichever the budget picks.
            let hashes: Vec<u64> = items.iter().map(|i| hash(i)).collect();
            let items: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
            let expected = naive(&items.iter().map(|i| i.to_vec()).collect::<Vec<_>>());
            prop_assert_eq!(by_sorting(&items, &hashes), expected.clone());
            if let Some(by_table) = by_table(&items, &hashes) {
                prop_assert_eq!(by_table, expected);
            }
        }

        /// All hashes equal (the worst a crafted input can do): the table gives up and
        /// sorting still answers right.
        #[test]
        fn colliding_hashes_fall_back_to_sorting(items in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..3), 0..200)) {
            let hashes = vec![7u64; items.len()];
            let expected = naive(&items);
            let items: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
            let answer = by_table(&items, &hashes).unwrap_or_else(|| by_sorting(&items, &hashes));
            prop_assert_eq!(answer, expected);
        }
    }

    #[test]
    fn crafted_collisions_stay_fast() {
        let items: Vec<Vec<u8>> = (0..200_000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let hashes = vec![42u64; items.len()];
        let items: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        let started = std::time::Instant::now();
        assert!(by_table(&items, &hashes).is_none(), "the budget must run out");
        assert!(by_sorting(&items, &hashes).is_empty());
        assert!(started.elapsed().as_secs() < 30, "quadratic?");
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
