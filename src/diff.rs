//! The difference between two membership lists: who joined, who left.

use crate::json::{JsonWriter, ToJson};
use crate::state::IdSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDiff {
    /// In `current` but not `previous`, in `current`'s order, each once.
    pub added: Vec<String>,
    /// In `previous` but not `current`, in `previous`'s order, each once.
    pub removed: Vec<String>,
}

impl ToJson for MemberDiff {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object().field("added", &self.added).field("removed", &self.removed).end_object();
    }
}

/// Diffs two lists of distinct ids. Both sides are held as compact [`IdSet`]s (about
/// 30 bytes an id rather than a string each), keyed with `seed`.
pub fn diff_members<'a>(
    previous: impl IntoIterator<Item = &'a str>,
    current: impl IntoIterator<Item = &'a str>,
    seed: u64,
) -> MemberDiff {
    let mut before = IdSet::with_seed(seed);
    for id in previous {
        before.insert(id.as_bytes());
    }
    let mut after = IdSet::with_seed(seed.rotate_left(17) ^ 0x5bd1_e995);
    let mut diff = MemberDiff::default();
    for id in current {
        // First time seen in `current` and not in `previous`: joined.
        if after.insert(id.as_bytes()).1 && !before.contains(id.as_bytes()) {
            diff.added.push(id.to_string());
        }
    }
    for id in before.ids() {
        if !after.contains(&id) {
            diff.removed.push(String::from_utf8_lossy(&id).into_owned());
        }
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn the_seed_example() {
        // T+30 of SPEC.md §1: B and D left, E and F joined.
        let d = diff_members(["A", "B", "C", "D"], ["A", "C", "E", "F"], 1);
        assert_eq!(d.added, ["E", "F"]);
        assert_eq!(d.removed, ["B", "D"]);
        let none = diff_members(["A", "C", "E", "F"], ["F", "E", "C", "A"], 1);
        assert_eq!(none, MemberDiff::default());
    }

    #[test]
    fn repeats_count_once() {
        let d = diff_members(["x", "x", "y"], ["z", "z", "x"], 3);
        assert_eq!(d.added, ["z"]);
        assert_eq!(d.removed, ["y"]);
    }

    proptest! {
        #[test]
        fn matches_sets(prev in proptest::collection::vec("[a-e]{1,2}", 0..40), cur in proptest::collection::vec("[a-e]{1,2}", 0..40)) {
            let d = diff_members(prev.iter().map(String::as_str), cur.iter().map(String::as_str), 9);
            let p: HashSet<_> = prev.iter().cloned().collect();
            let mut seen = HashSet::new();
            let added: Vec<String> = cur.iter().filter(|id| !p.contains(*id) && seen.insert((*id).clone())).cloned().collect();
            let c: HashSet<_> = cur.iter().cloned().collect();
            let mut seen = HashSet::new();
            let removed: Vec<String> = prev.iter().filter(|id| !c.contains(*id) && seen.insert((*id).clone())).cloned().collect();
            prop_assert_eq!(d.added, added);
            prop_assert_eq!(d.removed, removed);
        }
    }
}
