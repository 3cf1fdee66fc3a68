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

/// [`name_fault`] as a regular expression for the OpenAPI document (ECMA-262, as JSON Schema
/// reads it): no control character, line break or bidi control anywhere, and at least one
/// character that is not [invisible](is_invisible) (the supplementary-plane invisibles aside,
/// which a pattern without the `u` flag cannot name).
pub const SHOWN_NAME_PATTERN: &str = concat!(
    r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*",
    r"[^\s\x00-\x1F\x7F-\x9F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F",
    r"\u2028\u2029\u202A-\u202E\u2060-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8]",
    r"[^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$",
);

/// The OpenAPI schema of a shown name (display, group and key names): 1–64 characters
/// matching [`SHOWN_NAME_PATTERN`].
#[cfg(feature = "openapi")]
pub fn shown_name_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(64))
        .pattern(Some(SHOWN_NAME_PATTERN))
        .build()
}

/// [`shown_name_schema`] for an optional field, which may also be `null`.
#[cfg(feature = "openapi")]
pub fn optional_shown_name_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .min_length(Some(1))
        .max_length(Some(64))
        .pattern(Some(SHOWN_NAME_PATTERN))
        .build()
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
