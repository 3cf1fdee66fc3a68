//! Property tests of the WebSocket frame decoder, which runs on untrusted input: whatever a
//! client sends, decoding returns a frame or a stable error code, never panics, and what it
//! accepts survives a round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tidings_interfaces::ws::decode::decode;
use tidings_protocol::{ClientFrame, ErrorCode};

/// Codes the decoder may answer with.
const DECODER_CODES: [ErrorCode; 4] =
    [ErrorCode::BadJson, ErrorCode::BadFrame, ErrorCode::UnknownType, ErrorCode::InvalidField];

fn check(text: &str) {
    match decode(text) {
        Ok(frame) => {
            // Whatever is accepted re-encodes to a frame that decodes to the same thing.
            let again = serde_json::to_string(&frame).unwrap();
            assert_eq!(decode(&again).unwrap(), frame, "round trip of {text}");
        }
        Err(e) => {
            assert!(DECODER_CODES.contains(&e.code), "unexpected code {:?} for {text}", e.code);
            assert!(!e.message.is_empty());
            assert!(e.id.as_ref().is_none_or(|id| id.len() <= 64), "echoed id is bounded");
        }
    }
}

/// Any JSON value, nested a few levels, with the field names frames use mixed in.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_owned()),
        Just("id".to_owned()),
        Just("conv".to_owned()),
        Just("seq".to_owned()),
        Just("after_seq".to_owned()),
        Just("limit".to_owned()),
        Just("client_msg_id".to_owned()),
        Just("kind".to_owned()),
        Just("body".to_owned()),
        Just("users".to_owned()),
        "[a-z_]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("send"),
            Just("sync"),
            Just("read"),
            Just("recall"),
            Just("ping"),
            Just("presence_sub"),
            Just("typing"),
            Just("text"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,80}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Valid frames of every type, to be mutated.
fn valid_frames() -> Vec<String> {
    [
        json!({"type":"send","id":"r1","conv":"d:u_a:u_b","client_msg_id":"c1","kind":"text","body":{"text":"hi"}}),
        json!({"type":"sync","id":"r2","conv":"g:grp","after_seq":3,"limit":50}),
        json!({"type":"read","conv":"d:u_a:u_b","seq":9}),
        json!({"type":"recall","id":"r3","conv":"d:u_a:u_b","seq":2}),
        json!({"type":"ping"}),
        json!({"type":"presence_sub","id":"r4","users":["u_a","u_b"]}),
        json!({"type":"typing","conv":"d:u_a:u_b"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect()
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let one = prop_oneof![
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), prop_oneof![Just('"'), Just('{'), Just('}'), Just(','), Just(':'), Just('\\'), any::<char>()])
            .prop_map(|(i, c)| Edit::Replace(i, c)),
    ];
    prop::collection::vec(one, 1..8)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        match *e {
            Edit::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Edit::Replace(i, c) if !chars.is_empty() => chars[i % n] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_decodes_or_gets_a_code(text in ".{0,400}") {
        check(&text);
    }

    #[test]
    fn any_json_decodes_or_gets_a_code(value in json_value()) {
        check(&value.to_string());
    }

    #[test]
    fn mutated_frames_decode_or_get_a_code(which in 0usize..7, edits in edits()) {
        let frames = valid_frames();
        check(&apply(&frames[which], &edits));
    }

    #[test]
    fn any_frame_shaped_object_decodes_or_gets_a_code(
        kind in prop_oneof![Just("send"), Just("sync"), Just("read"), Just("recall"), Just("ping"), Just("presence_sub"), Just("typing")],
        fields in prop::collection::vec((prop_oneof![Just("id"), Just("conv"), Just("seq"), Just("after_seq"), Just("limit"), Just("client_msg_id"), Just("kind"), Just("body"), Just("users")], json_value()), 0..8),
    ) {
        let mut obj = Map::new();
        obj.insert("type".into(), Value::String(kind.to_owned()));
        for (k, v) in fields {
            obj.insert(k.to_owned(), v);
        }
        check(&Value::Object(obj).to_string());
    }
}

#[test]
fn every_valid_frame_decodes() {
    for text in valid_frames() {
        let frame: ClientFrame = decode(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        check(&serde_json::to_string(&frame).unwrap());
    }
}

#[test]
fn deep_nesting_and_long_inputs_are_refused_not_crashed() {
    for depth in [1usize, 10, 100, 127, 128, 129, 1_000, 20_000] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        check(&arrays);
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        check(&objects);
        let in_body = format!(
            r#"{{"type":"send","id":"r","conv":"c","client_msg_id":"m","kind":"custom","body":{}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        check(&in_body);
    }
    check(&format!(r#"{{"type":"ping","id":"{}"}}"#, "x".repeat(65)));
    check(&format!(r#"{{"type":"sync","id":"r","conv":"c","after_seq":1{}}}"#, "0".repeat(5_000)));
    check(&"\u{0}".repeat(64 * 1024));
    check(&"\"".repeat(64 * 1024));
}
