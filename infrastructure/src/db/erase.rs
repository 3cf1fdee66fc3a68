//! Recall in storage: the message's body is erased, and so is every copy of its content that
//! other entries of the log made (the quotes of replies to it, the bodies its edits carried and
//! its kept versions), in one transaction, so that no read path can show what was recalled once
//! the recall has returned. A recalled message is unpinned, and its reactions erased, in the
//! same transaction.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};
use tidings_domain::edit::erased_edit_body;
use tidings_domain::message::{CONTENT_KINDS, EDIT_KIND, RECALLED_BODY, RECALLED_KIND, with_quote_recalled};
use tidings_domain::{ConvId, StoreError};

use super::entity::{conversation_pins, message_edits, message_refs, messages};
use super::{store_err, to_db};

/// Marks message `seq` of `conv` recalled and erases the quotes of it; `false` (and nothing
/// changed) when it is not a user message, or was recalled already.
pub(crate) async fn recall(db: &DatabaseConnection, conv: &ConvId, seq: u64) -> Result<bool, StoreError> {
    let conv_id = conv.to_string();
    let txn = db.begin().await.map_err(store_err)?;
    let done = messages::Entity::update_many()
        .col_expr(messages::Column::Kind, Expr::val(RECALLED_KIND))
        .col_expr(messages::Column::Body, Expr::val(RECALLED_BODY))
        .col_expr(messages::Column::EditedAt, Expr::val(Option::<i64>::None))
        .filter(messages::Column::ConvId.eq(conv_id.clone()))
        .filter(messages::Column::Seq.eq(to_db(seq)))
        .filter(messages::Column::Kind.is_in(CONTENT_KINDS.iter().copied()))
        .exec(&txn)
        .await
        .map_err(store_err)?;
    if done.rows_affected != 1 {
        return Ok(false);
    }
    let pointing: Vec<i64> = message_refs::Entity::find()
        .select_only()
        .column(message_refs::Column::Seq)
        .filter(message_refs::Column::ConvId.eq(conv_id.clone()))
        .filter(message_refs::Column::TargetSeq.eq(to_db(seq)))
        .into_tuple()
        .all(&txn)
        .await
        .map_err(store_err)?;
    // Every earlier version goes, and the edits keep only the seq they pointed at.
    message_edits::Entity::delete_many()
        .filter(message_edits::Column::ConvId.eq(conv_id.clone()))
        .filter(message_edits::Column::TargetSeq.eq(to_db(seq)))
        .exec(&txn)
        .await
        .map_err(store_err)?;
    // Its reactions go with it: a recalled message shows none.
    super::reactions::erase(&txn, &conv_id, to_db(seq)).await?;
    // A recalled reply leaves its thread: the root's summary and unread threads no longer count it.
    super::threads::erase_reply(&txn, &conv_id, to_db(seq)).await?;
    if !pointing.is_empty() {
        messages::Entity::update_many()
            .col_expr(messages::Column::Body, Expr::val(erased_edit_body(seq)))
            .filter(messages::Column::ConvId.eq(conv_id.clone()))
            .filter(messages::Column::Seq.is_in(pointing.clone()))
            .filter(messages::Column::Kind.eq(EDIT_KIND))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        let replies = messages::Entity::find()
            .filter(messages::Column::ConvId.eq(conv_id.clone()))
            .filter(messages::Column::Seq.is_in(pointing))
            .filter(messages::Column::Kind.is_in(CONTENT_KINDS.iter().copied()))
            .all(&txn)
            .await
            .map_err(store_err)?;
        for reply in replies {
            let Some(body) = with_quote_recalled(&reply.body) else { continue };
            messages::Entity::update_many()
                .col_expr(messages::Column::Body, Expr::val(body))
                .filter(messages::Column::ConvId.eq(conv_id.clone()))
                .filter(messages::Column::Seq.eq(reply.seq))
                .exec(&txn)
                .await
                .map_err(store_err)?;
        }
    }
    // A recalled message is pinned no more.
    conversation_pins::Entity::delete_many()
        .filter(conversation_pins::Column::ConvId.eq(conv_id))
        .filter(conversation_pins::Column::Seq.eq(to_db(seq)))
        .exec(&txn)
        .await
        .map_err(store_err)?;
    txn.commit().await.map_err(store_err)?;
    Ok(true)
}
