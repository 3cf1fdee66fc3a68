//! The domain's `searchable_text` (what the server's index holds) and the one in `tidings-terms`
//! (what the SDK's local index holds) must name the same text for every kind, so a query finds
//! the same messages on the server and offline.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use tidings_domain::MessageKind;
use tidings_domain::search::searchable_text;

#[test]
fn the_server_and_the_sdk_search_the_same_text_of_every_kind() {
    let kinds = MessageKind::ALL.iter().map(|k| k.as_str()).chain(["recalled", "edit", "recall", "forward", "pin"]);
    let bodies = [
        r#"{"text":"部署方案 plan"}"#,
        r#"{"media_id":"m_1","name":"Report 部署.pdf","size":3}"#,
        r#"{"text":"both","name":"both.txt"}"#,
        r#"{"seq":3,"body":{"text":"edited"}}"#,
        "{}",
        "not json",
    ];
    for kind in kinds {
        for body in bodies {
            assert_eq!(
                searchable_text(kind, body),
                tidings_terms::searchable_text(kind, body),
                "kind {kind}, body {body}"
            );
        }
    }
}
