//! Search terms (issue 22, docs/search-design.md): the one tokenizer the server's indexes and the
//! SDK's local index share, and the rule of which text of a message they hold
//! ([`searchable_text`]), so a query finds the same messages on the server and offline on a
//! device. It is a crate of its own, with no dependency on the domain, because the SDK depends
//! only on the wire crate (`tidings-protocol`), never on `tidings-domain`; the domain re-exports it
//! (`tidings_domain::search`).
//!
//! Chinese, Japanese and Korean runs become overlapping two-character terms (a query `部署方案` is
//! the phrase of its bigrams, so it matches inside `新的部署方案已经发布`, and the two-character words
//! common in Chinese match too); other text becomes lowercased words, matched by prefix. Every
//! term carries a one-letter marker, so that a CJK bigram or a two-letter word is three characters
//! long, the shortest token MySQL-family `FULLTEXT` indexes keep by default (one-character words
//! are left out for that reason).
//!
//! A query is turned into terms by the same function and each term is quoted by the engine
//! writers below, so nothing a user types is ever FTS or SQL syntax.

/// Marker of a CJK bigram (or lone CJK character) term.
const CJK_MARK: char = 'z';

/// Marker of a word term.
const WORD_MARK: char = 'w';

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// Most terms a query may have (a long CJK query makes many bigrams).
pub const MAX_QUERY_TERMS: usize = 32;

/// Whether `c` is written in runs without spaces: Han, kana, Hangul.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' | '\u{AC00}'..='\u{D7AF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// One unit of text as the index sees it: a CJK run's bigrams (in order), or a word.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// The marked bigrams of one CJK run (one marked character for a run of one).
    Run(Vec<String>),
    /// One marked, lowercased word.
    Word(String),
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<Piece>| {
        if run.is_empty() {
            return;
        }
        let terms = if run.len() == 1 {
            vec![format!("{CJK_MARK}{}", run[0])]
        } else {
            run.windows(2).map(|w| format!("{CJK_MARK}{}{}", w[0], w[1])).collect()
        };
        out.push(Piece::Run(terms));
        run.clear();
    };
    // A one-character word is left out (index and query alike): marked, it is two characters,
    // which MySQL-family `FULLTEXT` does not index, so one engine could never find it.
    let flush_word = |word: &mut String, out: &mut Vec<Piece>| {
        if word.chars().nth(1).is_some() {
            out.push(Piece::Word(format!("{WORD_MARK}{}", word.to_lowercase())));
        }
        word.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, &mut out);
            word.push(c);
        } else {
            flush_run(&mut run, &mut out);
            flush_word(&mut word, &mut out);
        }
    }
    flush_run(&mut run, &mut out);
    flush_word(&mut word, &mut out);
    out
}

/// The text an index stores for `text`: its terms, space-separated.
pub fn index_text(text: &str) -> String {
    let mut terms: Vec<String> = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Run(run) => terms.extend(run),
            Piece::Word(word) => terms.push(word),
        }
    }
    terms.join(" ")
}

/// The text of a message that search matches, on the server and in the SDK alike: a `text`
/// message's `text`, an upload's (`file`, `image`, `voice`, `video`) `name`; `None` for every
/// other kind (custom bodies, system entries, a recalled message) and for a body that is not a
/// JSON object. `kind` and `body` (JSON text) are as the log and the SDK's store keep them.
pub fn searchable_text(kind: &str, body: &str) -> Option<String> {
    let field = match kind {
        "text" => "text",
        "file" | "image" | "voice" | "video" => "name",
        _ => return None,
    };
    let body: serde_json::Value = serde_json::from_str(body).ok()?;
    body.get(field)?.as_str().map(str::to_owned)
}

/// A checked query: what every term of it must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(Vec<Piece>);

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing searchable (empty, or only punctuation and spaces).
    #[error("the query has nothing to search for")]
    Empty,
    /// Over [`MAX_QUERY_CHARS`] characters or [`MAX_QUERY_TERMS`] terms.
    #[error("the query is too long: at most {MAX_QUERY_CHARS} characters and {MAX_QUERY_TERMS} terms")]
    TooLong,
}

impl SearchQuery {
    /// Reads what a user typed. Every character is text: quotes, `*`, `-`, `OR`, `NEAR`,
    /// parentheses and SQL are searched for as words (or dropped as punctuation), never obeyed.
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let pieces = pieces(raw);
        let terms: usize = pieces.iter().map(|p| if let Piece::Run(r) = p { r.len() } else { 1 }).sum();
        match terms {
            0 => Err(QueryError::Empty),
            n if n > MAX_QUERY_TERMS => Err(QueryError::TooLong),
            _ => Ok(Self(pieces)),
        }
    }

    /// The SQLite FTS5 `MATCH` expression: each CJK run a quoted phrase of its bigrams, each
    /// word a quoted prefix, all of them required.
    pub fn fts5(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| match p {
                Piece::Run(run) => format!("\"{}\"", run.join(" ")),
                Piece::Word(word) => format!("\"{word}\"*"),
            })
            .collect();
        parts.join(" AND ")
    }

    /// The MySQL-family `MATCH … AGAINST (… IN BOOLEAN MODE)` expression, the same rules.
    pub fn boolean_mode(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| match p {
                Piece::Run(run) if run.len() == 1 => format!("+{}", run[0]),
                Piece::Run(run) => format!("+\"{}\"", run.join(" ")),
                Piece::Word(word) => format!("+{word}*"),
            })
            .collect();
        parts.join(" ")
    }

    /// The same rules as `LIKE` patterns over the stored terms with a space added at each end
    /// (`CONCAT(' ', terms, ' ')`), one per piece, all required: a CJK run is its bigrams in
    /// order, whole; a word is a term that starts with it. For scans that read a bounded set
    /// of rows (one user's conversations) instead of a full-text index's posting lists. Terms
    /// are letters and digits only, so no pattern needs escaping.
    pub fn like_patterns(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Run(run) => format!("% {} %", run.join(" ")),
                Piece::Word(word) => format!("% {word}%"),
            })
            .collect()
    }
}

/// Longest snippet, in characters.
pub const SNIPPET_CHARS: usize = 120;

/// Characters a snippet keeps before its first match when the text is longer than a snippet.
const SNIPPET_LEAD: usize = 30;

impl SearchQuery {
    /// Where this query matches `text`: `[start, end)` character ranges, in order, merged where
    /// they overlap. A CJK run matches where it stands in full; a word, at the start of a word
    /// (case-insensitive), for the length of what was typed.
    pub fn highlights(&self, text: &str) -> Vec<(usize, usize)> {
        let chars: Vec<char> = text.chars().collect();
        let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
        let mut found = Vec::new();
        for piece in &self.0 {
            let wanted: Vec<char> = match piece {
                Piece::Run(bigrams) => {
                    let mut run: Vec<char> = bigrams.first().map(|b| b.chars().skip(1).collect()).unwrap_or_default();
                    run.extend(bigrams.iter().skip(1).filter_map(|b| b.chars().last()));
                    run
                }
                Piece::Word(word) => word.chars().skip(1).collect(),
            };
            if wanted.is_empty() || wanted.len() > lower.len() {
                continue;
            }
            for start in 0..=lower.len() - wanted.len() {
                if lower[start..start + wanted.len()] != wanted[..] {
                    continue;
                }
                // A word matches at the start of a word only.
                let word_start = start == 0 || !lower[start - 1].is_alphanumeric() || is_cjk(lower[start - 1]);
                if matches!(piece, Piece::Run(_)) || word_start {
                    found.push((start, start + wanted.len()));
                }
            }
        }
        found.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

/// At most [`SNIPPET_CHARS`] of `text` around the first of `ranges` (as [`SearchQuery::highlights`]
/// gives them), and the ranges that fall wholly inside it, shifted to its offsets.
pub fn snippet(text: &str, ranges: &[(usize, usize)]) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<char> = text.chars().collect();
    let first = ranges.first().map_or(0, |r| r.0);
    let start = if chars.len() <= SNIPPET_CHARS {
        0
    } else {
        first.saturating_sub(SNIPPET_LEAD).min(chars.len() - SNIPPET_CHARS)
    };
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let kept = ranges.iter().filter(|r| r.0 >= start && r.1 <= end).map(|r| (r.0 - start, r.1 - start)).collect();
    (chars[start..end].iter().collect(), kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_bigrams_and_words_stay_whole() {
        assert_eq!(index_text("新的部署方案"), "z新的 z的部 z部署 z署方 z方案");
        assert_eq!(index_text("Deploy 部署 v2!"), "wdeploy z部署 wv2");
        assert_eq!(index_text("见README说明"), "z见 wreadme z说明");
        assert_eq!(index_text("안녕하세요 world"), "z안녕 z녕하 z하세 z세요 wworld");
        assert_eq!(index_text("  ...  "), "");
    }

    #[test]
    fn texts_match_by_text_and_uploads_by_name() {
        let both = r#"{"text":"部署 plan","name":"Report.pdf","media_id":"m"}"#;
        assert_eq!(searchable_text("text", both).as_deref(), Some("部署 plan"));
        for upload in ["file", "image", "voice", "video"] {
            assert_eq!(searchable_text(upload, both).as_deref(), Some("Report.pdf"), "{upload}");
        }
        for other in ["custom", "recalled", "edit", "recall", "forward", "group_notice", "Text"] {
            assert_eq!(searchable_text(other, both), None, "{other}");
        }
        assert_eq!(searchable_text("image", r#"{"media_id":"m"}"#), None, "an image without a name");
        assert_eq!(searchable_text("text", "not json"), None);
        assert_eq!(searchable_text("text", r#"{"text":3}"#), None);
    }

    #[test]
    fn a_query_is_the_phrase_of_its_bigrams_and_word_prefixes() {
        let q = SearchQuery::parse("部署方案 Deploy").unwrap();
        assert_eq!(q.fts5(), "\"z部署 z署方 z方案\" AND \"wdeploy\"*");
        assert_eq!(q.boolean_mode(), "+\"z部署 z署方 z方案\" +wdeploy*");
        assert_eq!(SearchQuery::parse("部").unwrap().boolean_mode(), "+z部");
        assert_eq!(q.like_patterns(), ["% z部署 z署方 z方案 %", "% wdeploy%"]);
        assert_eq!(SearchQuery::parse("部").unwrap().like_patterns(), ["% z部 %"]);
        // A pattern's only wildcards are the ones it adds.
        let nasty = SearchQuery::parse("50%_off \\ a_b%c").unwrap();
        for p in nasty.like_patterns() {
            let inner = &p[1..p.len() - 1];
            assert!(!inner.contains(['%', '_', '\\']), "{p}");
        }
    }

    #[test]
    fn syntax_is_text_and_bad_queries_are_refused() {
        let q = SearchQuery::parse("\"a\" OR (b*) -c NEAR/2 '; DROP TABLE m; --").unwrap();
        assert_eq!(q.fts5(), "\"wor\"* AND \"wnear\"* AND \"wdrop\"* AND \"wtable\"*");
        assert!(!q.boolean_mode().contains(['(', ')', '-', '\'', ';', '<', '>', '~', '@']));
        assert_eq!(SearchQuery::parse(" ,.!? "), Err(QueryError::Empty));
        assert_eq!(SearchQuery::parse("a b c"), Err(QueryError::Empty), "one-letter words are no terms");
        assert_eq!(SearchQuery::parse(""), Err(QueryError::Empty));
        assert_eq!(SearchQuery::parse(&"a".repeat(101)), Err(QueryError::TooLong));
        assert_eq!(SearchQuery::parse(&"汉".repeat(40)), Err(QueryError::TooLong));
    }

    #[test]
    fn highlights_mark_runs_anywhere_and_words_at_their_start() {
        let q = SearchQuery::parse("部署方案 Deploy").unwrap();
        let text = "新的部署方案: redeploy, Deployment 部署方案";
        assert_eq!(q.highlights(text), vec![(2, 6), (18, 24), (29, 33)]);
        let lone = SearchQuery::parse("署").unwrap();
        assert_eq!(lone.highlights("部署"), vec![(1, 2)]);
        assert!(SearchQuery::parse("plan").unwrap().highlights("airplane").is_empty());
    }

    #[test]
    fn a_snippet_keeps_the_first_match_and_shifts_the_ranges() {
        let short = snippet("hello deploy", &[(6, 12)]);
        assert_eq!(short, ("hello deploy".to_owned(), vec![(6, 12)]));
        let long = format!("{}deploy{}", "x".repeat(200), "y".repeat(200));
        let (text, ranges) = snippet(&long, &[(200, 206), (390, 395)]);
        assert_eq!(text.chars().count(), SNIPPET_CHARS);
        assert_eq!(ranges, vec![(SNIPPET_LEAD, SNIPPET_LEAD + 6)]);
        assert_eq!(&text[SNIPPET_LEAD..SNIPPET_LEAD + 6], "deploy");
    }
}
