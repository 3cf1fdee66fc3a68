//! [`NativePushProvider`]: turns notices into one push per registered device and hands them to
//! the platform senders (APNs, FCM), all platforms at once; tokens a platform calls invalid are
//! removed, so they are never tried again.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::join_all;
use tidings_domain::UserId;
use tidings_domain::device_push::{DeviceOutcome, DevicePush, DevicePushSender, PushPlatform, PushToken};
use tidings_domain::ports::PushStore;
use tidings_domain::push::{PushNotice, PushOutcome, PushProvider};

use super::wording::{KindLabels, word};
use crate::clock::now_ms;

/// Pushes straight to Apple and Google, one notification per logged-in device with a token.
pub struct NativePushProvider {
    store: Arc<dyn PushStore>,
    senders: HashMap<PushPlatform, Arc<dyn DevicePushSender>>,
    labels: KindLabels,
}

impl NativePushProvider {
    /// A provider over the configured senders (one per platform; a token of a platform with no
    /// sender is skipped).
    pub fn new(store: Arc<dyn PushStore>, senders: Vec<Arc<dyn DevicePushSender>>, labels: KindLabels) -> Self {
        Self { store, senders: senders.into_iter().map(|s| (s.platform(), s)).collect(), labels }
    }
}

/// The device push of one notice for one token.
fn device_push(n: &PushNotice, token: &PushToken, labels: &KindLabels) -> DevicePush {
    let (title, body) = word(n, labels);
    DevicePush {
        token: token.token.clone(),
        title,
        body,
        badge: n.badge,
        high_priority: n.mentioned,
        thread: n.conv.to_string(),
        collapse_id: n.msg_id.clone(),
        data: vec![
            ("conv".into(), n.conv.to_string()),
            ("seq".into(), n.seq.to_string()),
            ("msg_id".into(), n.msg_id.clone()),
            ("sender".into(), n.sender.to_string()),
            ("kind".into(), n.kind.clone()),
            ("mentioned".into(), n.mentioned.to_string()),
        ],
    }
}

#[async_trait]
impl PushProvider for NativePushProvider {
    async fn push(&self, notices: Vec<PushNotice>) -> Vec<PushOutcome> {
        let mut users: Vec<UserId> = notices.iter().map(|n| n.user_id.clone()).collect();
        users.sort();
        users.dedup();
        let tokens = match self.store.live_tokens(&users, now_ms()).await {
            Ok(t) => t,
            Err(e) => return vec![PushOutcome::Failed(format!("reading push tokens: {e}")); notices.len()],
        };
        let mut by_user: HashMap<&UserId, Vec<&PushToken>> = HashMap::new();
        for t in tokens.iter().filter(|t| self.senders.contains_key(&t.platform)) {
            by_user.entry(&t.user_id).or_default().push(t);
        }
        // Per platform: the pushes, and for each the notice it serves and its token.
        let mut batches: HashMap<PushPlatform, (Vec<DevicePush>, Vec<(usize, &PushToken)>)> = HashMap::new();
        for (i, n) in notices.iter().enumerate() {
            for token in by_user.get(&n.user_id).into_iter().flatten() {
                let (pushes, owners) = batches.entry(token.platform).or_default();
                pushes.push(device_push(n, token, &self.labels));
                owners.push((i, *token));
            }
        }
        let mut outcomes: Vec<PushOutcome> = vec![PushOutcome::NoDevice; notices.len()];
        let mut invalid: Vec<(PushPlatform, String)> = Vec::new();
        let sends = batches.into_iter().filter_map(|(platform, (pushes, owners))| {
            let sender = self.senders.get(&platform)?.clone();
            Some(async move { (sender.send(pushes).await, owners) })
        });
        for (results, owners) in join_all(sends).await {
            for (outcome, (i, token)) in results.into_iter().zip(owners) {
                let slot = &mut outcomes[i];
                match outcome {
                    DeviceOutcome::Delivered => *slot = PushOutcome::Delivered,
                    DeviceOutcome::InvalidToken => invalid.push((token.platform, token.token.clone())),
                    DeviceOutcome::Failed(why) if *slot != PushOutcome::Delivered => *slot = PushOutcome::Failed(why),
                    DeviceOutcome::Failed(_) => {}
                }
            }
        }
        if !invalid.is_empty() {
            match self.store.remove_invalid(&invalid).await {
                Ok(removed) => tracing::info!(removed, "push tokens the platforms called invalid were removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove invalid push tokens"),
            }
        }
        outcomes
    }
}
