//! Embedded mode's in-process routing and counters: what Redis and RabbitMQ do in a cluster,
//! done in memory because there is only one instance.

mod changes;
mod dedupe;
mod directory;
mod epoch;
mod notifier;
pub(crate) mod rate;
mod seq;

pub use changes::MemoryChangeCounter;
pub use dedupe::MemoryDedupeCache;
pub use directory::LocalDirectory;
pub use epoch::MemoryGateEpoch;
pub use notifier::LocalNotifier;
pub use rate::MemoryRateLimiter;
pub use seq::MemorySeqAllocator;
