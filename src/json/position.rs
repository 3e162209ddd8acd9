//! Line and column of byte offsets, computed once per report.
//!
//! Offsets are recorded while reading (cheap); turning them into 1-based lines and
//! columns costs a pass over the text, so it is done once, for all problems together,
//! and only when there are problems.

use crate::problem::Problem;

/// Fills `line` and `column` of every problem that has an `offset`. Columns count
/// Unicode characters (not bytes, not UTF-16 units) from the start of the line.
pub fn locate<'p>(text: &[u8], problems: impl IntoIterator<Item = &'p mut Problem>) {
    let mut pending: Vec<&mut Problem> = problems.into_iter().filter(|p| p.offset.is_some()).collect();
    if pending.is_empty() {
        return;
    }
    // Sorted as (offset, position) pairs, the shape every other sort here has.
    let mut order: Vec<(u64, u32)> =
        pending.iter().enumerate().map(|(i, p)| (p.offset.unwrap_or(0), i as u32)).collect();
    crate::repeats::sort_pairs(&mut order, None);
    let (mut line, mut column, mut at) = (1u32, 1u32, 0usize);
    for (_, i) in order {
        let problem = &mut *pending[i as usize];
        let target = (problem.offset.unwrap_or(0) as usize).min(text.len());
        while at < target {
            let b = text[at];
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                column += 1;
            }
            at += 1;
        }
        problem.line = Some(line);
        problem.column = Some(column);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    #[test]
    fn counts_lines_and_characters() {
        let text = "{\n  \"é\": x\n}".as_bytes();
        let x = text.iter().position(|&b| b == b'x').unwrap();
        let mut a = Problem::new(ProblemCode::InvalidJson, "", "x").at(x);
        let mut b = Problem::new(ProblemCode::InvalidJson, "", "start").at(0);
        let mut c = Problem::new(ProblemCode::MissingField, "", "no offset");
        locate(text, [&mut a, &mut b, &mut c]);
        assert_eq!((a.line, a.column), (Some(2), Some(8)));
        assert_eq!((b.line, b.column), (Some(1), Some(1)));
        assert_eq!((c.line, c.column), (None, None));
    }
}
