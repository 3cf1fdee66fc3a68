//! `searchable_text` (in `tidings-terms`, shared by the server's index and the SDK's) names kinds
//! by their wire names: every kind the domain knows must be covered there, or a new kind would be
//! searchable nowhere.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use tidings_domain::MessageKind;
use tidings_domain::search::searchable_text;

#[test]
fn every_content_kind_but_custom_has_searchable_text() {
    let body = r#"{"text":"words","name":"file.txt","media_id":"m_1","size":3}"#;
    for kind in MessageKind::ALL {
        let found = searchable_text(kind.as_str(), body);
        match kind {
            MessageKind::Custom => assert_eq!(found, None),
            MessageKind::Text => assert_eq!(found.as_deref(), Some("words")),
            _ => assert_eq!(found.as_deref(), Some("file.txt"), "{kind:?}"),
        }
    }
    for entry in ["recalled", "edit", "recall", "pin", "reaction"] {
        assert_eq!(searchable_text(entry, body), None, "{entry}");
    }
}
