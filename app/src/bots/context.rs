//! What a bot sends the model: its system prompt, then the conversation's recent text messages
//! oldest first (its own as `assistant`, everyone else's as `user`), as many as fit a token
//! bound. Tokens are estimated ([`estimate_tokens`]), not counted by the model's tokenizer.

use serde_json::Value;
use tidings_domain::UserId;
use tidings_domain::bots::{ChatLine, ChatRole, estimate_tokens};
use tidings_domain::message::Message;

/// The lines for the model from `log` (ascending seqs, the asking message last): the system
/// prompt, then the newest text messages whose estimated tokens fit `max_tokens` together with
/// the prompt. The newest message is always sent, however long. Returns the lines and their
/// estimated tokens.
pub fn build_lines(bot: &UserId, system_prompt: &str, log: &[Message], max_tokens: u64) -> (Vec<ChatLine>, u64) {
    let mut used = estimate_tokens(system_prompt);
    let mut picked: Vec<ChatLine> = Vec::new();
    for m in log.iter().rev() {
        let Some(text) = text_of(m) else { continue };
        let cost = estimate_tokens(&text);
        if !picked.is_empty() && used.saturating_add(cost) > max_tokens {
            break;
        }
        used = used.saturating_add(cost);
        let role = if &m.sender == bot { ChatRole::Assistant } else { ChatRole::User };
        picked.push(ChatLine { role, content: text });
    }
    picked.reverse();
    let mut lines = Vec::with_capacity(picked.len() + 1);
    if !system_prompt.is_empty() {
        lines.push(ChatLine { role: ChatRole::System, content: system_prompt.to_owned() });
    }
    lines.extend(picked);
    (lines, used)
}

/// A text message's text (recalled and other kinds have none).
fn text_of(m: &Message) -> Option<String> {
    if m.kind != "text" {
        return None;
    }
    let body: Value = serde_json::from_str(&m.body).ok()?;
    body.get("text").and_then(Value::as_str).filter(|t| !t.trim().is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use tidings_domain::ConvId;

    use super::*;

    fn msg(seq: u64, sender: &UserId, kind: &str, text: &str) -> Message {
        Message {
            conv: ConvId::Group(tidings_domain::GroupId::parse("g_1").unwrap()),
            seq,
            msg_id: format!("m{seq}"),
            sender: sender.clone(),
            client_msg_id: format!("c{seq}"),
            kind: kind.into(),
            body: serde_json::json!({"text": text}).to_string(),
            ts: 0,
            edited_at: None,
        }
    }

    #[test]
    fn newest_messages_fit_the_bound_oldest_first() {
        let (bot, user) = (UserId::parse("bot").unwrap(), UserId::parse("alice").unwrap());
        let log = vec![
            msg(1, &user, "text", &"a".repeat(400)),
            msg(2, &bot, "text", "hi there"),
            msg(3, &user, "custom", "ignored"),
            msg(4, &user, "text", "what now?"),
        ];
        let (lines, used) = build_lines(&bot, "be brief", &log, 40);
        let got: Vec<(ChatRole, &str)> = lines.iter().map(|l| (l.role, l.content.as_str())).collect();
        assert_eq!(
            got,
            [(ChatRole::System, "be brief"), (ChatRole::Assistant, "hi there"), (ChatRole::User, "what now?")]
        );
        assert!(used <= 40, "{used}");
        let (all, _) = build_lines(&bot, "", &log, 10_000);
        assert_eq!(all.len(), 3);
    }
}
