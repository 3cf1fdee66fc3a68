//! The before-send hook as the send path uses it: one call per send or edit, its decision
//! applied, and its failures turned into the configured fail mode.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tidings_domain::content::{HookCall, HookDecision, HookFailure};
use tidings_domain::ports::SendHook;

use crate::error::AppError;

/// Longest hook reason shown to a sender.
const MAX_REASON_CHARS: usize = 200;

/// How a hook call ended, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookOutcome {
    /// Allowed as sent.
    Allow,
    /// Rejected.
    Reject,
    /// Rewritten (into a body that passed its checks).
    Rewrite,
    /// Timed out.
    Timeout,
    /// Unreachable, a status other than 200, garbage, or a rewrite into an invalid body.
    Error,
}

impl HookOutcome {
    /// Every outcome, in the order metrics list them.
    pub const ALL: [Self; 5] = [Self::Allow, Self::Reject, Self::Rewrite, Self::Timeout, Self::Error];

    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Reject => "reject",
            Self::Rewrite => "rewrite",
            Self::Timeout => "timeout",
            Self::Error => "error",
        }
    }
}

/// Where hook calls are counted (the interfaces' metrics); the app does not know Prometheus.
pub trait HookMeter: Send + Sync {
    /// One call ended with `outcome` after `took`.
    fn hook_done(&self, outcome: HookOutcome, took: Duration);
}

/// What to do when the hook gives no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookFailMode {
    /// Store the message as sent (availability first).
    Open,
    /// Refuse the send with `content_check_unavailable` (policy first).
    Closed,
}

/// The hook with its fail mode and meter.
pub struct HookGate {
    hook: Arc<dyn SendHook>,
    fail: HookFailMode,
    meter: Arc<dyn HookMeter>,
}

/// What the send does after the hook.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AfterHook {
    /// Go on with the body as sent.
    AsSent,
    /// Go on with this body instead (still to be checked against its kind), answered after
    /// `took`.
    Rewritten(serde_json::Value, Duration),
}

impl HookGate {
    /// A gate over `hook`.
    pub fn new(hook: Arc<dyn SendHook>, fail: HookFailMode, meter: Arc<dyn HookMeter>) -> Self {
        Self { hook, fail, meter }
    }

    /// Asks the hook; a reject is `ContentRejected` with its reason, a failure follows the
    /// fail mode.
    pub(crate) async fn ask(&self, call: &HookCall) -> Result<AfterHook, AppError> {
        let started = Instant::now();
        let answer = self.hook.before_send(call).await;
        let took = started.elapsed();
        match answer {
            Ok(HookDecision::Allow) => {
                self.meter.hook_done(HookOutcome::Allow, took);
                Ok(AfterHook::AsSent)
            }
            Ok(HookDecision::Reject { reason }) => {
                self.meter.hook_done(HookOutcome::Reject, took);
                let reason = reason
                    .map(|r| r.chars().filter(|c| !c.is_control()).take(MAX_REASON_CHARS).collect::<String>())
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| "rejected by the content check".into());
                Err(AppError::ContentRejected(reason))
            }
            // Counted once the new body has passed its checks (`rewrite_checked`).
            Ok(HookDecision::Rewrite { body }) => Ok(AfterHook::Rewritten(body, took)),
            Err(failure) => {
                let outcome = if failure == HookFailure::Timeout { HookOutcome::Timeout } else { HookOutcome::Error };
                self.meter.hook_done(outcome, took);
                self.failed(call, &failure.to_string())
            }
        }
    }

    /// The outcome of a rewrite answered after `took`, once its body was checked: `Ok(true)`
    /// to use it; when it is invalid, the fail mode (`Ok(false)`: go on with the body as sent).
    pub(crate) fn rewrite_checked(
        &self,
        call: &HookCall,
        took: Duration,
        valid: Result<(), &AppError>,
    ) -> Result<bool, AppError> {
        match valid {
            Ok(()) => {
                self.meter.hook_done(HookOutcome::Rewrite, took);
                Ok(true)
            }
            Err(e) => {
                self.meter.hook_done(HookOutcome::Error, took);
                self.failed(call, &format!("the hook rewrote into an invalid body: {e}")).map(|_| false)
            }
        }
    }

    /// A failed call: logged, then allowed (open) or refused (closed).
    fn failed(&self, call: &HookCall, why: &str) -> Result<AfterHook, AppError> {
        tracing::warn!(conv = %call.conv, sender = %call.sender, fail = ?self.fail, why, "before-send hook failed");
        match self.fail {
            HookFailMode::Open => Ok(AfterHook::AsSent),
            HookFailMode::Closed => Err(AppError::ContentCheckUnavailable),
        }
    }
}
