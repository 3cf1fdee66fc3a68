//! One test per matching rule (the crate doc lists them).

use crate::normalize::normalize_char;
use crate::t2s;
use crate::*;

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

/// A filter of one list.
fn one(action: Action, list: &[&str]) -> Filter {
    let w = words(list);
    Filter::build(&[ListSpec { action, words: &w }]).unwrap()
}

fn masked(filter: &Filter, text: &str) -> Option<String> {
    filter.check(text).and_then(|v| v.masked)
}

#[test]
fn traditional_chinese_meets_simplified() {
    assert!(t2s::table().len() > 3_000, "the table is loaded");
    assert_eq!(normalize_word("說發體臺"), "说发体台");
    assert_eq!(normalize_word("臺灣"), normalize_word("台湾"));
    let f = one(Action::Reject, &["发票"]);
    assert!(f.check("代開發票").is_some(), "traditional text, simplified word");
    let f = one(Action::Reject, &["體育"]);
    assert!(f.check("体育彩票").is_some(), "simplified text, traditional word");
    // A chain in the table ends on one char whichever form is written.
    assert_eq!(normalize_word("薴"), normalize_word("苧"));
}

#[test]
fn full_width_forms_and_case_fold() {
    assert_eq!(normalize_word("ＦＲＥＥ　ｍｏｎｅｙ１２３"), "freemoney123");
    assert_eq!(normalize_word("ÉCOLE"), "école");
    let f = one(Action::Reject, &["free"]);
    for text in ["ＦＲＥＥ", "Free!", "FREE", "ｆ．ｒ．ｅ．ｅ"] {
        assert!(f.check(text).is_some(), "{text}");
    }
    // A word written full-width is the same word.
    let f = one(Action::Reject, &["ＶＰＮ"]);
    assert!(f.check("buy a vpn now").is_some());
}

#[test]
fn separators_are_dropped() {
    let f = one(Action::Reject, &["法轮", "free"]);
    for text in ["法 轮", "法-轮", "法\u{3000}轮", "法\u{200B}轮", "法😀轮", "法，轮", "f.r.e.e", "f r e e", "f_r_e_e"]
    {
        assert!(f.check(text).is_some(), "{text}");
    }
    assert!(f.check("法律").is_none());
    assert_eq!(normalize_word("a-b c.d😀"), "abcd");
}

#[test]
fn the_fast_cjk_path_agrees_with_the_general_rule() {
    let table = t2s::table();
    for c in ('\u{3400}'..='\u{4DBF}').chain('\u{4E00}'..='\u{9FFF}') {
        assert!(c.is_alphanumeric(), "{c:?}");
        assert_eq!(normalize_char(c, table), Some(table.simplify(c)));
    }
}

#[test]
fn ascii_words_keep_to_word_boundaries() {
    let f = one(Action::Reject, &["ass"]);
    for text in ["class", "passage", "assemble", "bass", "classass"] {
        assert!(f.check(text).is_none(), "{text}");
    }
    for text in ["ass", "a s s", "a.s.s", "Ass!", "ASS", "you ass.", "ass部署", "部署ass", "ｃｌａｓｓ ass"] {
        assert!(f.check(text).is_some(), "{text}");
    }
    // A dropped separator is a boundary: the word stands apart in the original text.
    assert!(f.check("cl a s s").is_some());
}

#[test]
fn chinese_words_match_anywhere() {
    let f = one(Action::Flag, &["部署"]);
    assert!(f.check("新的部署方案").is_some());
    // A mixed word has a non-ASCII char, so it matches anywhere too.
    let f = one(Action::Flag, &["a片"]);
    assert!(f.check("看a片吧").is_some());
    assert!(f.check("xa片x").is_some());
}

#[test]
fn a_refused_candidate_does_not_hide_a_valid_match() {
    // `cla` ends first, inside `class`; a non-overlapping search would resume after it and miss `class`.
    let f = one(Action::Reject, &["cla", "class"]);
    let v = f.check("class").unwrap();
    assert_eq!(v.words, vec!["class"], "`cla` is refused inside `class`, `class` still matches");
    let f = one(Action::Mask, &["sex", "部署", "署方"]);
    assert_eq!(masked(&f, "essex sex").as_deref(), Some("essex ***"));
    assert_eq!(masked(&f, "部署方").as_deref(), Some("***"), "overlapping Chinese matches both mask");
}

#[test]
fn masking_keeps_other_chars_byte_for_byte() {
    let f = one(Action::Mask, &["free", "法轮"]);
    assert_eq!(masked(&f, "f.r.e.e").as_deref(), Some("*.*.*.*"));
    assert_eq!(masked(&f, "说 法 轮 功").as_deref(), Some("说 * * 功"));
    assert_eq!(masked(&f, "👍ＦＲＥＥ👍 é").as_deref(), Some("👍****👍 é"));
    assert_eq!(masked(&f, "法\u{200B}輪🙂free").as_deref(), Some("*\u{200B}*🙂****"));
    assert_eq!(masked(&f, "Free free"), Some("**** ****".to_owned()));
    let v = f.check("no match here").map(|v| v.masked);
    assert_eq!(v, None);
}

#[test]
fn verdict_gathers_every_list() {
    let (reject_a, mask, flag_a, reject_b, flag_b) =
        (words(&["赌博"]), words(&["free"]), words(&["部署", "赌博"]), words(&["赌博"]), words(&["部署"]));
    let f = Filter::build(&[
        ListSpec { action: Action::Flag, words: &flag_b },
        ListSpec { action: Action::Reject, words: &reject_b },
        ListSpec { action: Action::Mask, words: &mask },
        ListSpec { action: Action::Reject, words: &reject_a },
        ListSpec { action: Action::Flag, words: &flag_a },
    ])
    .unwrap();
    assert_eq!(f.word_count(), 3, "distinct normalized words");
    let v = f.check("賭博 FREE 部署 赌博").unwrap();
    assert_eq!(v.rejected_by, Some(1), "the lowest Reject list");
    assert_eq!(v.masked.as_deref(), Some("賭博 **** 部署 赌博"));
    assert_eq!(v.flagged, vec![0, 4]);
    assert_eq!(v.words, vec!["赌博", "free", "部署"], "as written, distinct, in order met");
    let v = f.check("部署").unwrap();
    assert_eq!((v.rejected_by, v.masked, v.flagged), (None, None, vec![0, 4]));
    // The same word twice in one list counts once.
    let f = one(Action::Flag, &["free", "FREE"]);
    assert_eq!(f.word_count(), 1);
    assert_eq!(f.check("free").unwrap().flagged, vec![0]);
}

#[test]
fn verdict_names_at_most_sixteen_words() {
    let list: Vec<String> = (0..40).map(|i| format!("词{i}")).collect();
    let f = Filter::build(&[ListSpec { action: Action::Flag, words: &list }]).unwrap();
    let text = list.join(" ");
    assert_eq!(f.check(&text).unwrap().words.len(), 16);
}

#[test]
fn empty_filter_matches_nothing() {
    let f = Filter::empty();
    assert!(f.is_empty());
    assert_eq!(f.word_count(), 0);
    assert_eq!(f.check("anything 法轮"), None);
    let none: Vec<String> = Vec::new();
    let f = Filter::build(&[ListSpec { action: Action::Reject, words: &none }]).unwrap();
    assert!(f.is_empty());
    assert_eq!(f.check("anything"), None);
    assert!(!one(Action::Reject, &["x"]).is_empty());
    assert_eq!(one(Action::Reject, &["x"]).check(""), None);
}

#[test]
fn bounds_are_refused() {
    let long = "长".repeat(MAX_WORD_CHARS + 1);
    let fine = "长".repeat(MAX_WORD_CHARS);
    let list = vec![fine.clone(), long];
    let err = Filter::build(&[ListSpec { action: Action::Reject, words: &list }]).unwrap_err();
    assert_eq!(err, BuildError::WordTooLong { list: 0, word: fine });
    let many = vec!["x".to_owned(); MAX_WORDS / 2 + 1];
    let specs = [ListSpec { action: Action::Reject, words: &many }, ListSpec { action: Action::Flag, words: &many }];
    let err = Filter::build(&specs).unwrap_err();
    assert_eq!(err, BuildError::TooManyWords { count: (MAX_WORDS / 2 + 1) * 2 });
    assert!(err.to_string().contains("at most"));
}

#[test]
fn a_word_empty_once_normalized_is_named() {
    let ok = words(&["fine"]);
    let bad = words(&["good", " - ！😀 "]);
    let err = Filter::build(&[
        ListSpec { action: Action::Flag, words: &ok },
        ListSpec { action: Action::Reject, words: &bad },
    ])
    .unwrap_err();
    assert_eq!(err, BuildError::EmptyWord { list: 1, word: " - ！😀 ".to_owned() });
    assert!(err.to_string().contains("😀"), "{err}");
}

#[test]
fn rejected_by_is_the_lowest_reject_list_whatever_the_order_of_matches() {
    let (a, b, c) = (words(&["bbb"]), words(&["aaa"]), words(&["aaa", "bbb"]));
    let f = Filter::build(&[
        ListSpec { action: Action::Flag, words: &a },
        ListSpec { action: Action::Reject, words: &c },
        ListSpec { action: Action::Reject, words: &b },
        ListSpec { action: Action::Reject, words: &a },
    ])
    .unwrap();
    for text in ["aaa bbb", "bbb aaa", "bbb", "aaa"] {
        assert_eq!(f.check(text).unwrap().rejected_by, Some(1), "{text}");
    }
    let f = Filter::build(&[
        ListSpec { action: Action::Reject, words: &a },
        ListSpec { action: Action::Reject, words: &b },
    ])
    .unwrap();
    assert_eq!(f.check("aaa bbb").unwrap().rejected_by, Some(0));
    assert_eq!(f.check("aaa").unwrap().rejected_by, Some(1));
}

#[test]
fn actions_read_and_write_lowercase() {
    assert_eq!(
        serde_json::to_string(&[Action::Reject, Action::Mask, Action::Flag]).unwrap(),
        r#"["reject","mask","flag"]"#
    );
    assert_eq!(serde_json::from_str::<Action>(r#""mask""#).unwrap(), Action::Mask);
}

#[test]
fn a_check_without_match_keeps_its_buffers() {
    let f = one(Action::Reject, &["free", "法轮"]);
    let text = "今天的会议改到下午三点 see you there";
    assert!(f.check(text).is_none());
    let before = crate::filter::scratch_capacity();
    for _ in 0..100 {
        assert!(f.check(text).is_none());
    }
    assert_eq!(crate::filter::scratch_capacity(), before, "the per-thread buffers are reused, not regrown");
}

#[test]
fn action_names_are_the_serde_forms_and_parse_back() {
    for action in [Action::Reject, Action::Mask, Action::Flag] {
        assert_eq!(serde_json::to_value(action).ok(), Some(serde_json::Value::String(action.as_str().into())));
        assert_eq!(Action::parse(action.as_str()), Some(action));
    }
    assert_eq!(Action::parse("nuke"), None);
    assert_eq!(Action::parse("Reject"), None);
}
