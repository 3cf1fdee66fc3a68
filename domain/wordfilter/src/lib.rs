//! The sensitive-word filter (Chinese first). Admins keep word lists, each with an [`Action`];
//! the server checks message texts, display names, group names and announcements against every
//! list at once with one [`Filter`], rebuilt when a list changes and shared by every check.
//!
//! A check is one pass over the text, linear in its length whatever the number of words: the
//! words of all lists are one Aho–Corasick automaton (`aho-corasick`), and a word held by several
//! lists maps to each of them. Overlapping matches are all seen, so a candidate refused by the
//! word-boundary rule never hides a valid one.
//!
//! Words and texts are normalized alike, char by char ([`normalize_word`]), and every normalized
//! char remembers the original char it came from, so a mask covers exactly what matched:
//! - full-width ASCII forms (U+FF01–U+FF5E) become ASCII; case is folded;
//! - traditional Chinese becomes simplified (說→说, 發→发, 體→体, 臺→台), one char for one char,
//!   with OpenCC's `TSCharacters` table as the `hanconv` crate ships it (MIT; OpenCC's data is
//!   Apache-2.0). `fast2s` and `simplet2s` only convert whole strings (an allocation per check)
//!   and carry old dependencies, `character_converter` is phrase-based and weighs 2.4 MB
//!   compressed, `zhconv` is GPL; `hanconv` is current, depends only on `ahash` and exposes the
//!   table itself. Its data files are compiled in (about 1.3 MB of read-only data);
//! - separators are dropped: every char that is not alphanumeric (spaces including U+3000,
//!   punctuation, symbols, emoji, zero-width chars), so `法 轮`, `法-轮` and `f.r.e.e` match `法轮`
//!   and `free`.
//!
//! A word made only of ASCII letters and digits matches at word boundaries only (`ass` is not in
//! `class`, but is in `a.s.s` and `Ass!`): a match's neighbour must not be an ASCII letter or
//! digit, unless a separator was dropped in between. A word with any other char (Chinese) matches
//! anywhere (`部署` in `新的部署方案`).
//!
//! # Bounds and figures
//! Measured on the 2-core development machine (release build, while another workspace build
//! ran), with the deterministic words of `benches/support/words.rs`: six in ten are 2–4 chars
//! drawn from U+4E00–U+9FA5, the rest 4–10 ASCII letters.
//! - A check of a 100-char bilingual message against 50,000 words (`benches/check.rs`): 1.4 µs
//!   with no match, 1.6–1.7 µs with two (a masked Chinese word, a flagged English one); target 5 µs.
//! - A build (`examples/build_size.rs` under `/usr/bin/time -v`): 50,000 words in 0.07–0.2 s
//!   with a peak of 24 MB for the whole process; 500,000 words in 2.0–2.1 s (2.5–2.8 s while the
//!   other build was at its heaviest) with a peak of 200 MB, of which 38 MB is the word list
//!   itself. The built automaton of 500,000 words takes 34 MB (the filter about 45 MB); the peak
//!   is the library's intermediate automaton, from which the compact one that checks run on is
//!   made.
//!
//! [`MAX_WORDS`] is therefore 500,000, the least the server must take: build time and peak
//! memory grow linearly with the words, and at 500,000 a build already reaches the 2 s and
//! 200 MB meant for one rebuild. A build belongs on a blocking thread, off the message path,
//! with the filter it replaces serving checks until it is done. Dense transitions are kept for the
//! automaton's first two levels only (the library's default is three): at 50,000 words that is
//! 4 MB instead of 14 MB for the same check time (0.85 µs against 0.79 µs for the scan alone).
//!
//! A check that matches nothing allocates nothing: the normalized text and its map back to the
//! original live in per-thread buffers, reused.

mod filter;
mod normalize;
mod t2s;
#[cfg(test)]
mod tests;

pub use filter::Filter;
pub use normalize::normalize_word;

/// Most words over all lists of one filter; see "Bounds and figures" in the crate doc for why.
pub const MAX_WORDS: usize = 500_000;

/// Longest word, in chars as written; longer words are refused.
pub const MAX_WORD_CHARS: usize = 64;

/// What a list does to text that contains one of its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The text is refused.
    Reject,
    /// The matched chars are replaced by `*`.
    Mask,
    /// The text passes, and is reported for review.
    Flag,
}

impl Action {
    /// The stored and wire form (`reject`, `mask`, `flag`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reject => "reject",
            Self::Mask => "mask",
            Self::Flag => "flag",
        }
    }

    /// The reverse of [`Action::as_str`]; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Reject, Self::Mask, Self::Flag].into_iter().find(|a| a.as_str() == s)
    }
}

/// One list as the filter is built from it.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec<'a> {
    /// What a match of one of its words does.
    pub action: Action,
    /// Its words, as the admin wrote them.
    pub words: &'a [String],
}

/// What matched in a checked text, and what the lists say to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Index (into the `lists` given to build) of a Reject list that matched, the lowest index if several.
    pub rejected_by: Option<usize>,
    /// The text with every match of a Mask list masked (each masked char replaced by '*'), None if no Mask list matched.
    pub masked: Option<String>,
    /// Indexes of the Flag lists that matched (sorted, distinct).
    pub flagged: Vec<usize>,
    /// The matched words as written in their lists (distinct, at most 16), for the audit trail.
    pub words: Vec<String>,
}

/// Why a filter could not be built; each names what to fix, for the admin's 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// More than [`MAX_WORDS`] words over all lists.
    #[error("too many words: {count} over all lists, at most {MAX_WORDS}")]
    TooManyWords {
        /// Words given, over all lists.
        count: usize,
    },
    /// A word longer than [`MAX_WORD_CHARS`] chars.
    #[error("the word {word:?} in list {list} is longer than {MAX_WORD_CHARS} characters")]
    WordTooLong {
        /// Index of its list.
        list: usize,
        /// Its first [`MAX_WORD_CHARS`] chars.
        word: String,
    },
    /// A word with nothing left to match once normalized (only spaces, punctuation or symbols).
    #[error("the word {word:?} in list {list} has no letter or digit to match")]
    EmptyWord {
        /// Index of its list.
        list: usize,
        /// The word as written.
        word: String,
    },
    /// The automaton refused the words (a limit of `aho-corasick` itself).
    #[error("the word lists could not be compiled: {0}")]
    Automaton(String),
}
