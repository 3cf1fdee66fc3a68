//! Search (issue 22, docs/search-design.md): which messages the index holds and what each
//! committed log entry changes in it. The tokenizer itself (terms, queries, snippets) is the
//! `tidings-terms` crate, re-exported here, so the SDK's local index can share it without
//! depending on the domain.

use crate::edit::EditEntry;
use crate::message::{EDIT_KIND, Message, MessageKind, RECALL_KIND, refers_to};
use crate::ports::IndexChange;

pub use tidings_terms::{
    MAX_QUERY_CHARS, MAX_QUERY_TERMS, QueryError, SNIPPET_CHARS, SearchQuery, index_text, searchable_text, snippet,
};

/// What a committed log entry changes in the index: a user message is indexed by its
/// searchable text, an edit re-indexes its target with the new text (so only the current text
/// matches), a recall takes its target out. `None` for everything else.
pub fn index_change(m: &Message) -> Option<IndexChange> {
    let put_or_remove = |seq: u64, kind: &str, body: &str| match searchable_text(kind, body).map(|t| index_text(&t)) {
        Some(terms) if !terms.is_empty() => IndexChange::Put { conv: m.conv.clone(), seq, terms },
        _ => IndexChange::Remove { conv: m.conv.clone(), seq },
    };
    match m.kind.as_str() {
        EDIT_KIND => {
            let edit = EditEntry::parse(&m.body)?;
            Some(put_or_remove(edit.target, MessageKind::Text.as_str(), &edit.body))
        }
        RECALL_KIND => Some(IndexChange::Remove { conv: m.conv.clone(), seq: refers_to(&m.kind, &m.body)? }),
        kind => match put_or_remove(m.seq, kind, &m.body) {
            put @ IndexChange::Put { .. } => Some(put),
            // A new message with nothing to search has nothing to take out either.
            IndexChange::Remove { .. } => None,
        },
    }
}

/// The message whose index entry a committed log entry changes: a user message's own, an
/// edit's or a recall's target; `None` for entries search never sees.
pub fn index_target(m: &Message) -> Option<u64> {
    match m.kind.as_str() {
        EDIT_KIND => EditEntry::parse(&m.body).map(|e| e.target),
        RECALL_KIND => refers_to(&m.kind, &m.body),
        kind => MessageKind::parse(kind).filter(|k| *k != MessageKind::Custom).map(|_| m.seq),
    }
}

/// The index entry of a message as its row holds it now (an edited one with its current text,
/// a recalled one taken out): what a replay writes, whatever order the log's changes to it
/// came in.
pub fn current_index_change(m: &Message) -> IndexChange {
    match searchable_text(&m.kind, &m.body).map(|t| index_text(&t)) {
        Some(terms) if !terms.is_empty() => IndexChange::Put { conv: m.conv.clone(), seq: m.seq, terms },
        _ => IndexChange::Remove { conv: m.conv.clone(), seq: m.seq },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, kind: &str, body: &str) -> Message {
        Message {
            conv: crate::ConvId::parse("g:g_1").unwrap(),
            seq,
            msg_id: format!("m{seq}"),
            sender: crate::UserId::parse("u_a").unwrap(),
            client_msg_id: format!("c{seq}"),
            kind: kind.into(),
            body: body.into(),
            ts: 1,
            edited_at: None,
        }
    }

    #[test]
    fn entries_index_put_reindex_and_remove() {
        let conv = crate::ConvId::parse("g:g_1").unwrap();
        let text = index_change(&entry(3, "text", r#"{"text":"部署 plan"}"#));
        assert_eq!(text, Some(IndexChange::Put { conv: conv.clone(), seq: 3, terms: "z部署 wplan".into() }));
        let file = index_change(&entry(4, "file", r#"{"media_id":"m","name":"Report.pdf","size":3}"#));
        assert_eq!(file, Some(IndexChange::Put { conv: conv.clone(), seq: 4, terms: "wreport wpdf".into() }));
        assert_eq!(index_change(&entry(5, "custom", r#"{"text":"hidden"}"#)), None);
        assert_eq!(index_change(&entry(6, "text", r#"{"text":"!!"}"#)), None);
        let edit = EditEntry { target: 3, body: r#"{"text":"new words"}"#.into(), edited_at: 2 };
        assert_eq!(
            index_change(&entry(7, EDIT_KIND, &edit.to_body())),
            Some(IndexChange::Put { conv: conv.clone(), seq: 3, terms: "wnew wwords".into() })
        );
        let emptied = EditEntry { target: 3, body: r#"{"text":"?"}"#.into(), edited_at: 2 };
        assert_eq!(
            index_change(&entry(8, EDIT_KIND, &emptied.to_body())),
            Some(IndexChange::Remove { conv: conv.clone(), seq: 3 })
        );
        assert_eq!(
            index_change(&entry(9, RECALL_KIND, r#"{"seq":3,"by":"u_a"}"#)),
            Some(IndexChange::Remove { conv, seq: 3 })
        );
        assert_eq!(index_change(&entry(10, "group_notice", r#"{"event":"joined"}"#)), None);
    }

    #[test]
    fn a_replay_indexes_the_row_as_it_is_now() {
        let conv = crate::ConvId::parse("g:g_1").unwrap();
        let edit = EditEntry { target: 3, body: r#"{"text":"new"}"#.into(), edited_at: 2 };
        assert_eq!(index_target(&entry(7, EDIT_KIND, &edit.to_body())), Some(3));
        assert_eq!(index_target(&entry(9, RECALL_KIND, r#"{"seq":4,"by":"u_a"}"#)), Some(4));
        assert_eq!(index_target(&entry(5, "text", r#"{"text":"hi"}"#)), Some(5));
        assert_eq!(index_target(&entry(6, "custom", "{}")), None);
        assert_eq!(index_target(&entry(8, "group_notice", "{}")), None);
        let edited = entry(3, "text", r#"{"text":"deploy now"}"#);
        assert_eq!(
            current_index_change(&edited),
            IndexChange::Put { conv: conv.clone(), seq: 3, terms: "wdeploy wnow".into() }
        );
        assert_eq!(
            current_index_change(&entry(4, crate::message::RECALLED_KIND, "{}")),
            IndexChange::Remove { conv, seq: 4 }
        );
    }
}
