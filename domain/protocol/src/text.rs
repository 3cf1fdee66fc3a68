//! Character classes of text that people read. Message texts and names must show something,
//! and a name must not carry characters that hide or reorder what it shows. The server checks
//! these in one place, and a client can run the same checks before sending.

/// True for a character that shows nothing by itself: whitespace, control characters, and the
/// Unicode default-ignorable characters (zero-width space and joiners, word joiner, byte order
/// mark, direction marks and overrides, variation selectors, tags, Hangul fillers), plus the
/// blank Braille cell. `char::is_whitespace` alone lets U+200B and its kin through.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}' // soft hyphen
                | '\u{034F}' // combining grapheme joiner
                | '\u{061C}' // Arabic letter mark
                | '\u{115F}'..='\u{1160}' // Hangul choseong and jungseong fillers
                | '\u{17B4}'..='\u{17B5}' // Khmer inherent vowels
                | '\u{180B}'..='\u{180F}' // Mongolian variation selectors and vowel separator
                | '\u{200B}'..='\u{200F}' // zero-width space, non-joiner, joiner; LRM, RLM
                | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
                | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
                | '\u{2800}' // Braille pattern blank
                | '\u{3164}' // Hangul filler
                | '\u{FE00}'..='\u{FE0F}' // variation selectors
                | '\u{FEFF}' // zero-width no-break space (byte order mark)
                | '\u{FFA0}' // halfwidth Hangul filler
                | '\u{FFF0}'..='\u{FFF8}' // reserved default-ignorable
                | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
                | '\u{1D173}'..='\u{1D17A}' // musical format controls
                | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
        )
}

/// True when `s` shows nothing: empty, or only [invisible](is_invisible) characters. Blank
/// message texts and names are refused.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(is_invisible)
}

/// True for the characters that embed, override or isolate text direction (U+202A..U+202E,
/// U+2066..U+2069): inside a name they make it read differently from what it holds
/// (`"adm\u{202e}nimda"` shows as "admadmin").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why `name` cannot be a display name or group name, or `None` when it can: it must show
/// something, and hold no control characters, line breaks or bidi controls. Length limits are
/// the caller's.
pub fn name_fault(name: &str) -> Option<&'static str> {
    if name.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        Some("must not contain control characters or line breaks")
    } else if name.chars().any(is_bidi_control) {
        Some("must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)")
    } else if is_blank(name) {
        Some("must contain a visible character (not only spaces or zero-width characters)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_nothing_visible() {
        for blank in ["", "   ", "\u{200B}", "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}", " \u{200B}\t\u{3000}\u{2060} "]
        {
            assert!(is_blank(blank), "{blank:?}");
        }
        for shown in ["a", " \u{200B}x", "👨\u{200D}👩\u{200D}👧", "\u{05D0}", "\u{FE0F}!"] {
            assert!(!is_blank(shown), "{shown:?}");
        }
    }

    #[test]
    fn names_must_be_clean_and_visible() {
        for ok in ["Alice", "Zoë", "李雷", "\u{0645}\u{0631}\u{064A}\u{0645}", "می\u{200C}خواهم", "a b"] {
            assert_eq!(name_fault(ok), None, "{ok:?}");
        }
        for bad in [
            "nul\u{0}",
            "tab\there",
            "line\nbreak",
            "sep\u{2028}",
            "adm\u{202E}nimda",
            "\u{2066}x\u{2069}",
            "\u{200B}\u{200B}",
            " \u{FEFF} ",
            "",
        ] {
            assert!(name_fault(bad).is_some(), "{bad:?}");
        }
    }
}
