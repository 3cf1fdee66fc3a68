//! `[pipeline]`: group commit, the writers that persist sends in batches.

use serde::{Deserialize, Serialize};

use super::Key;

/// Group commit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSettings {
    /// Writer tasks per instance (0 counts as 1); one makes the largest batches (see
    /// docs/benchmarks.md).
    pub shards: usize,
    /// Sends waiting per writer before new ones fail fast with `busy`; unset means
    /// [`QUEUE_PER_CORE`] per core (the machine's rate of commits grows with its cores, and the
    /// queue holds about a second of them).
    pub queue_capacity: Option<usize>,
    /// Most messages a writer takes off its queue at once; a commit takes up to four such
    /// batches that waited for it together.
    pub max_batch: usize,
}

/// Sends that may wait per core when `pipeline.queue_capacity` is unset.
pub const QUEUE_PER_CORE: usize = 32_768;

impl Default for PipelineSettings {
    fn default() -> Self {
        Self { shards: 1, queue_capacity: None, max_batch: 4096 }
    }
}

impl PipelineSettings {
    /// The queue bound in force: the setting, or [`QUEUE_PER_CORE`] per core.
    pub fn queue_capacity(&self) -> usize {
        self.queue_capacity.unwrap_or_else(|| QUEUE_PER_CORE * crate::startup::cores())
    }
}

/// `[pipeline]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("shards", "commit writers per instance (one makes the largest batches)"),
    Key::new("queue_capacity", "sends waiting per writer before new ones fail fast with busy")
        .default_is("32768 per core"),
    Key::new("max_batch", "most sends a writer prepares at once"),
];
