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

/// Diffs two lists of distinct ids in one compact [`IdSet`] (about 37 bytes an id
/// rather than a string each), keyed with `seed`: `previous` goes in, then each id of
/// `current` is looked up and marked (and added when new, which also makes repeats
/// count once); what stays unmarked left. Two hash lookups an id.
pub fn diff_members<'a>(
    previous: impl IntoIterator<Item = &'a str>,
    current: impl IntoIterator<Item = &'a str>,
    seed: u64,
) -> MemberDiff {
    let mut set = IdSet::with_seed(seed);
    for id in previous {
        set.insert(id.as_bytes());
    }
    let mut diff = MemberDiff::default();
    for id in current {
        let (entry, inserted) = set.insert(id.as_bytes());
        if inserted {
            diff.added.push(id.to_string());
        }
        set.mark(entry);
    }
    diff.removed = set.remove_unmarked().into_iter().map(|id| String::from_utf8_lossy(&id).into_owned()).collect();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn the_seed_example() {
        // T+30m of Mixpanel's documented worked example (docs/domain.md): B and D left,
        // E and F joined.
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
