//! Ports: what the use cases need from the outside world. Embedded mode and cluster mode
//! implement the same traits, so one code path serves both. One file per area; every port is
//! re-exported here, so callers name `tidings_domain::ports::X` whatever file holds it.

mod accounts;
mod audit;
mod bots;
mod content;
mod delivery;
mod discovery;
mod groups;
mod limits;
mod messages;
mod pins;
mod push;
mod reactions;
mod search;
mod social;
mod threads;

pub use accounts::*;
pub use audit::*;
pub use bots::*;
pub use content::*;
pub use delivery::*;
pub use discovery::*;
pub use groups::*;
pub use limits::*;
pub use messages::*;
pub use pins::*;
pub use push::*;
pub use reactions::*;
pub use search::*;
pub use social::*;
pub use threads::*;
