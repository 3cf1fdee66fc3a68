//! Normalization: what words and texts become before they meet, char by char, so that each
//! normalized char can be traced back to the original char it came from.

use crate::t2s::{self, T2s};

/// One char of a text as normalized, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NormChar {
    /// Byte offset of this char in the normalized text.
    pub(crate) norm_start: usize,
    /// Byte range of the original char in the text that was checked.
    pub(crate) orig_start: usize,
    /// End of that range.
    pub(crate) orig_end: usize,
    /// Whether a separator was dropped just before this char.
    pub(crate) gap_before: bool,
}

/// A text as normalized, with the map back to the original: kept per thread and reused, so a
/// check that matches nothing allocates nothing once the buffers have grown.
#[derive(Debug, Default)]
pub(crate) struct Normalized {
    /// The normalized text, which the automaton scans.
    pub(crate) text: String,
    /// One entry per normalized char, in order.
    pub(crate) chars: Vec<NormChar>,
}

/// Largest buffers a thread keeps between checks; a rare huge text does not pin its memory.
const KEPT_BYTES: usize = 64 * 1024;

impl Normalized {
    /// Empty buffers (no allocation), for a `thread_local!`.
    pub(crate) const fn new() -> Self {
        Self { text: String::new(), chars: Vec::new() }
    }

    /// Normalizes `text` into these buffers, replacing what they held.
    pub(crate) fn fill(&mut self, text: &str) {
        self.text.clear();
        self.chars.clear();
        let table = t2s::table();
        let mut gap = false;
        for (at, c) in text.char_indices() {
            match normalize_char(c, table) {
                Some(n) => {
                    let orig_end = at + c.len_utf8();
                    let norm_start = self.text.len();
                    self.chars.push(NormChar { norm_start, orig_start: at, orig_end, gap_before: gap });
                    self.text.push(n);
                    gap = false;
                }
                None => gap = true,
            }
        }
    }

    /// Gives back memory a very long text made the buffers take.
    pub(crate) fn trim(&mut self) {
        if self.text.capacity() > KEPT_BYTES {
            self.text = String::new();
        }
        if self.chars.capacity() * size_of::<NormChar>() > KEPT_BYTES * 4 {
            self.chars = Vec::new();
        }
    }

    /// The normalized chars `[first, last]` that the normalized byte range `[start, end)` (a
    /// match, so on char boundaries and not empty) covers.
    pub(crate) fn char_span(&self, start: usize, end: usize) -> (usize, usize) {
        let first = self.chars.partition_point(|c| c.norm_start < start);
        let last = self.chars.partition_point(|c| c.norm_start < end).saturating_sub(1);
        (first, last.max(first))
    }

    /// Whether the normalized byte range `[start, end)` stands at word boundaries on both sides:
    /// each neighbouring normalized char is not an ASCII letter or digit, or a separator was
    /// dropped between it and the match (the text's start and end are boundaries too).
    pub(crate) fn at_word_boundaries(&self, start: usize, end: usize, first: usize, last: usize) -> bool {
        let bytes = self.text.as_bytes();
        // An ASCII letter or digit byte is a whole char: UTF-8 continuation bytes are >= 0x80.
        let left = start == 0
            || !bytes[start - 1].is_ascii_alphanumeric()
            || self.chars.get(first).is_some_and(|c| c.gap_before);
        let right = end >= bytes.len()
            || !bytes[end].is_ascii_alphanumeric()
            || self.chars.get(last + 1).is_some_and(|c| c.gap_before);
        left && right
    }
}

/// Whether `c` is a CJK ideograph of the two main blocks: all of them are letters without case,
/// so they skip the general path (and the traditional → simplified table is direct there).
#[inline]
fn is_main_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

/// What one char becomes, `None` for a separator (anything not alphanumeric: spaces,
/// punctuation, symbols, emoji, zero-width and other format chars).
#[inline]
pub(crate) fn normalize_char(c: char, table: &T2s) -> Option<char> {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase());
    }
    if is_main_cjk(c) {
        return Some(table.simplify(c));
    }
    // Full-width ASCII forms (Ｆｒｅｅ, ！) are their ASCII; U+3000 is not alphanumeric, so it is
    // a separator like any space.
    if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        let ascii = char::from_u32(c as u32 - 0xFEE0)?;
        return ascii.is_ascii_alphanumeric().then(|| ascii.to_ascii_lowercase());
    }
    if !c.is_alphanumeric() {
        return None;
    }
    // One char stays one char: the rare lowercase of several chars (İ → i + U+0307, a combining
    // mark and so a separator) keeps its first.
    let lower = c.to_lowercase().next().unwrap_or(c);
    Some(table.simplify(lower))
}

/// What a word becomes before it is matched: full-width forms as ASCII, lowercase, traditional
/// Chinese as simplified, and every separator (space, punctuation, symbol, emoji) dropped. Texts
/// are normalized the same way, so `法 輪`, `法-轮` and `ＦＲＥＥ` meet the words `法轮` and `free`.
/// An empty result means the word could never match; [`crate::Filter::build`] refuses it.
pub fn normalize_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    normalize_into(word, &mut out);
    out
}

/// [`normalize_word`] appending to `out`.
pub(crate) fn normalize_into(word: &str, out: &mut String) {
    let table = t2s::table();
    out.extend(word.chars().filter_map(|c| normalize_char(c, table)));
}
