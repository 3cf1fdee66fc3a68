//! The filter: one Aho–Corasick automaton over every list's normalized words, and what a match
//! of each word means (its lists, whether it keeps to word boundaries, how it was written).

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::normalize::{Normalized, normalize_into};
use crate::{Action, BuildError, ListSpec, MAX_WORD_CHARS, MAX_WORDS, Verdict};

/// Most words a [`Verdict`] names.
const MAX_VERDICT_WORDS: usize = 16;

// Offsets into the filter's tables are `u32`: every word and list fits with room to spare.
const _: () = assert!(MAX_WORDS * MAX_WORD_CHARS * 4 < u32::MAX as usize);

thread_local! {
    /// The normalized text of the check running on this thread, reused from check to check.
    static SCRATCH: RefCell<Normalized> = const { RefCell::new(Normalized::new()) };
}

/// The capacities and addresses of this thread's buffers, to see that checks reuse them.
#[cfg(test)]
pub(crate) fn scratch_capacity() -> (usize, usize, *const u8, *const u8) {
    SCRATCH.with_borrow(|n| (n.text.capacity(), n.chars.capacity(), n.text.as_ptr(), n.chars.as_ptr().cast()))
}

/// Every admin list's words in one automaton; built when a list changes, shared (in an `Arc`) by
/// every check.
pub struct Filter {
    /// `None` when there is no word at all: a check then costs nothing.
    automaton: Option<AhoCorasick>,
    /// What each list does, by its index in the lists given to [`Filter::build`].
    actions: Vec<Action>,
    /// Per pattern (distinct normalized word), in pattern order.
    patterns: Patterns,
}

/// What each pattern of the automaton stands for, in flat arrays (one allocation each, however
/// many words).
#[derive(Default)]
struct Patterns {
    /// Whether the normalized word is only ASCII letters and digits (it keeps to word boundaries).
    ascii: Vec<bool>,
    /// `lists[list_ends[p - 1]..list_ends[p]]` are the lists that hold pattern `p`, ascending.
    list_ends: Vec<u32>,
    /// The lists of every pattern, one after the other.
    lists: Vec<u32>,
    /// Pattern `p` as first written is `spellings.get(p)`.
    spellings: Buffer,
}

/// Strings one after the other in one allocation.
#[derive(Default)]
struct Buffer {
    text: String,
    /// `text[ends[i - 1]..ends[i]]` is string `i`.
    ends: Vec<u32>,
}

impl Buffer {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
    }

    fn get(&self, i: usize) -> &str {
        &self.text[span(&self.ends, i)]
    }
}

/// Item `i` of a flat array whose items end at `ends`.
fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    start..ends[i] as usize
}

impl Patterns {
    fn lists(&self, p: usize) -> &[u32] {
        &self.lists[span(&self.list_ends, p)]
    }
}

impl Filter {
    /// Builds one automaton over every list's words, normalized ([`crate::normalize_word`]); a
    /// word in several lists (as normalized) matches for each of them. Refuses more than
    /// [`MAX_WORDS`] words over all lists, a word over [`MAX_WORD_CHARS`] chars, and a word that
    /// is empty once normalized.
    pub fn build(lists: &[ListSpec<'_>]) -> Result<Filter, BuildError> {
        let count: usize = lists.iter().map(|l| l.words.len()).sum();
        if count > MAX_WORDS {
            return Err(BuildError::TooManyWords { count });
        }
        // Every word normalized into one buffer, then the distinct ones into another: two
        // allocations instead of one per word, which is what bounds the peak at 500,000 words.
        let mut normalized = String::new();
        let mut normalized_ends: Vec<u32> = Vec::with_capacity(count);
        for (list, spec) in lists.iter().enumerate() {
            for word in spec.words {
                if word.chars().nth(MAX_WORD_CHARS).is_some() {
                    let shown = word.chars().take(MAX_WORD_CHARS).collect();
                    return Err(BuildError::WordTooLong { list, word: shown });
                }
                let before = normalized.len();
                normalize_into(word, &mut normalized);
                if normalized.len() == before {
                    return Err(BuildError::EmptyWord { list, word: word.clone() });
                }
                normalized_ends.push(normalized.len() as u32);
            }
        }
        let mut ids: HashMap<&str, u32> = HashMap::with_capacity(count);
        let mut holders: Vec<(u32, u32)> = Vec::with_capacity(count);
        let mut distinct = Buffer::default();
        let mut patterns = Patterns::default();
        let written = lists.iter().enumerate().flat_map(|(list, spec)| spec.words.iter().map(move |w| (list, w)));
        for (at, (list, word)) in written.enumerate() {
            let key = &normalized[span(&normalized_ends, at)];
            let next = ids.len() as u32;
            let id = match ids.entry(key) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    patterns.ascii.push(key.bytes().all(|b| b.is_ascii_alphanumeric()));
                    patterns.spellings.push(word);
                    distinct.push(key);
                    e.insert(next);
                    next
                }
            };
            holders.push((id, list as u32));
        }
        drop(ids);
        drop(normalized);
        holders.sort_unstable();
        holders.dedup();
        patterns.lists = holders.iter().map(|h| h.1).collect();
        patterns.list_ends = vec![0; distinct.ends.len()];
        for (at, (id, _)) in holders.iter().enumerate() {
            patterns.list_ends[*id as usize] = at as u32 + 1;
        }
        drop(holders);
        let actions = lists.iter().map(|l| l.action).collect();
        if distinct.ends.is_empty() {
            return Ok(Filter { automaton: None, actions, patterns });
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            // Dense transitions for the root and its children only (the default is three levels):
            // a third of the memory at 50,000 words for the same check time (see the crate doc).
            .dense_depth(2)
            .build((0..distinct.ends.len()).map(|p| distinct.get(p)))
            .map_err(|e| BuildError::Automaton(e.to_string()))?;
        Ok(Filter { automaton: Some(automaton), actions, patterns })
    }

    /// A filter with no word: matches nothing, costs nothing (what the server holds before any
    /// list exists).
    pub fn empty() -> Filter {
        Filter { automaton: None, actions: Vec::new(), patterns: Patterns::default() }
    }

    /// Whether the filter has no word at all.
    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// How many distinct words (as normalized) the filter holds.
    pub fn word_count(&self) -> usize {
        self.patterns.ascii.len()
    }

    /// Checks `text` against every list in one pass: `None` when nothing matched (the common
    /// case, which allocates nothing), else what matched and what to do about it.
    pub fn check(&self, text: &str) -> Option<Verdict> {
        let automaton = self.automaton.as_ref()?;
        if text.is_empty() {
            return None;
        }
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut normalized) => {
                normalized.fill(text);
                let verdict = self.matches(automaton, text, &normalized);
                normalized.trim();
                verdict
            }
            // Not reachable (a check never calls another), but never a panic: fresh buffers.
            Err(_) => {
                let mut normalized = Normalized::new();
                normalized.fill(text);
                self.matches(automaton, text, &normalized)
            }
        })
    }

    /// Every match of `normalized` (overlapping ones included, so a candidate refused by the
    /// word-boundary rule never hides another), gathered into a verdict.
    fn matches(&self, automaton: &AhoCorasick, text: &str, normalized: &Normalized) -> Option<Verdict> {
        let mut found = Found::default();
        for m in automaton.find_overlapping_iter(normalized.text.as_str()) {
            let p = m.pattern().as_usize();
            let (first, last) = normalized.char_span(m.start(), m.end());
            if self.patterns.ascii[p] && !normalized.at_word_boundaries(m.start(), m.end(), first, last) {
                continue;
            }
            found.any = true;
            for &list in self.patterns.lists(p) {
                let list = list as usize;
                match self.actions[list] {
                    Action::Reject => found.rejected_by = Some(found.rejected_by.map_or(list, |r| r.min(list))),
                    Action::Mask => found.masked.push((first, last)),
                    Action::Flag => found.flagged.push(list),
                }
            }
            if found.patterns.len() < MAX_VERDICT_WORDS && !found.patterns.contains(&p) {
                found.patterns.push(p);
            }
        }
        if !found.any {
            return None;
        }
        found.flagged.sort_unstable();
        found.flagged.dedup();
        let masked = (!found.masked.is_empty()).then(|| mask(text, normalized, &found.masked));
        let words = found.patterns.iter().map(|&p| self.patterns.spellings.get(p).to_owned()).collect();
        Some(Verdict { rejected_by: found.rejected_by, masked, flagged: found.flagged, words })
    }
}

/// What the matches of one check added up to (vectors allocate only on a first match).
#[derive(Default)]
struct Found {
    any: bool,
    rejected_by: Option<usize>,
    /// Spans `[first, last]` of normalized chars matched by a word of a Mask list.
    masked: Vec<(usize, usize)>,
    flagged: Vec<usize>,
    /// Patterns matched, in the order first met.
    patterns: Vec<usize>,
}

/// `text` with the original char of every normalized char in `spans` replaced by `*`; the
/// separators between them, and every other char, stay byte for byte.
fn mask(text: &str, normalized: &Normalized, spans: &[(usize, usize)]) -> String {
    // How many spans cover each normalized char, from a running sum of starts and ends.
    let mut depth = vec![0i32; normalized.chars.len() + 1];
    for &(first, last) in spans {
        depth[first] += 1;
        depth[last + 1] -= 1;
    }
    let mut out = String::with_capacity(text.len());
    let mut covered = 0;
    let mut copied = 0;
    for (c, change) in normalized.chars.iter().zip(&depth) {
        covered += change;
        if covered > 0 {
            out.push_str(&text[copied..c.orig_start]);
            out.push('*');
            copied = c.orig_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter").field("lists", &self.actions.len()).field("words", &self.word_count()).finish()
    }
}

impl Default for Filter {
    /// The empty filter.
    fn default() -> Self {
        Self::empty()
    }
}
