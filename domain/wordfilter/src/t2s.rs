//! Traditional → simplified Chinese, one char at a time, from OpenCC's `TSCharacters` table as
//! the `hanconv` crate ships it. Only the table is used (no phrase conversion): the filter needs a
//! mapping that keeps one char for one char, so that every normalized char still points at the
//! original char it came from.

use std::sync::LazyLock;

/// First char of the dense part of the table: CJK Extension A.
const DENSE_FIRST: u32 = 0x3400;

/// Last char of the dense part of the table: the end of the CJK Unified Ideographs block.
const DENSE_LAST: u32 = 0x9FFF;

/// The mapping, loaded once: a direct table over the two BMP blocks where almost all keys are,
/// and a sorted list for the rest (Extension B and beyond).
pub(crate) struct T2s {
    /// `dense[c - DENSE_FIRST]` is the simplified char, or `'\0'` when `c` stays as it is.
    dense: Box<[char]>,
    /// Keys outside the dense range, sorted by key.
    sparse: Box<[(char, char)]>,
}

static TABLE: LazyLock<T2s> = LazyLock::new(T2s::load);

/// The table, loaded on first use (about 4,100 pairs; a few milliseconds).
pub(crate) fn table() -> &'static T2s {
    &TABLE
}

impl T2s {
    fn load() -> Self {
        let mut pairs: Vec<(char, char)> = hanconv::RawDictionary::TSCharacters
            .iter()
            .filter_map(|(from, to)| Some((single_char(from)?, single_char(to)?)))
            .filter(|(from, to)| from != to)
            .collect();
        pairs.sort_unstable();
        pairs.dedup_by_key(|p| p.0);
        // Follow chains (a simplified char that is itself a key elsewhere, 薴 → 苧 → 苎), so that a
        // word written with either form and a text with the other still meet on one char.
        let resolve = |mut c: char| {
            for _ in 0..4 {
                match pairs.binary_search_by_key(&c, |p| p.0) {
                    Ok(i) => c = pairs[i].1,
                    Err(_) => break,
                }
            }
            c
        };
        let resolved: Vec<(char, char)> = pairs.iter().map(|&(from, to)| (from, resolve(to))).collect();
        let mut dense = vec!['\0'; (DENSE_LAST - DENSE_FIRST + 1) as usize].into_boxed_slice();
        let mut sparse = Vec::new();
        for (from, to) in resolved {
            match dense_index(from) {
                Some(i) => dense[i] = to,
                None => sparse.push((from, to)),
            }
        }
        Self { dense, sparse: sparse.into_boxed_slice() }
    }

    /// `c` in simplified form (itself when the table has no entry for it).
    #[inline]
    pub(crate) fn simplify(&self, c: char) -> char {
        match dense_index(c) {
            Some(i) => match self.dense.get(i) {
                Some(&to) if to != '\0' => to,
                _ => c,
            },
            None if self.sparse.first().is_none_or(|first| c < first.0) => c,
            None => self.sparse.binary_search_by_key(&c, |p| p.0).map_or(c, |i| self.sparse[i].1),
        }
    }

    /// How many chars the table changes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.dense.iter().filter(|&&c| c != '\0').count() + self.sparse.len()
    }
}

/// Where `c` sits in the dense table, if it is in its range.
#[inline]
fn dense_index(c: char) -> Option<usize> {
    let c = c as u32;
    (DENSE_FIRST..=DENSE_LAST).contains(&c).then(|| (c - DENSE_FIRST) as usize)
}

/// The one char of `s`, or `None` when it has none or several.
fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}
