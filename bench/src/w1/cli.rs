//! W1's command-line arguments (`tidings-bench w1 …`), turned into [`W1Params`].

use std::path::PathBuf;
use std::time::Duration;

use super::{DeliveryParams, HoldSync, W1Params};

/// `tidings-bench w1`: idle authenticated connections; server memory per connection; optionally
/// deliveries to random connected users while they are held.
#[derive(Debug, clap::Args)]
pub struct W1Args {
    /// Connections to open.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Devices per user.
    #[arg(long, default_value_t = 10)]
    devices_per_user: usize,
    /// Seconds to hold the connections.
    #[arg(long, default_value_t = 10)]
    hold: u64,
    /// Connections opened at once.
    #[arg(long, default_value_t = 256)]
    parallel: usize,
    /// Messages per second, over all, to randomly chosen connected users while holding (0:
    /// none); they stop --grace seconds before the hold ends.
    #[arg(long, default_value_t = 0.0)]
    deliveries_per_s: f64,
    /// Held connections that send the deliveries (the first ones, spread over the servers).
    #[arg(long, default_value_t = 64)]
    senders: usize,
    /// Seconds between the last delivery sent and the end of the hold (what arrives later is
    /// lost).
    #[arg(long, default_value_t = 5)]
    grace: u64,
    /// Write every delivery's latency (µs, one a line) to this file.
    #[arg(long)]
    latencies_file: Option<PathBuf>,
    /// Write the login count to this file once every device is logged in, before connecting.
    #[arg(long)]
    logged_in_file: Option<PathBuf>,
    /// Start connecting when this file exists (waiting at most --timeout), not at once: lets
    /// whoever runs several generators read the servers' memory between all the logins and the
    /// first connection.
    #[arg(long)]
    connect_file: Option<PathBuf>,
    /// Write the open count to this file once every connection is open (or failed).
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Start the hold when this file exists (waiting at most --timeout), not at once: lines up
    /// the holds of several generators.
    #[arg(long)]
    go_file: Option<PathBuf>,
}

impl W1Args {
    /// The run these arguments ask for, against `servers`.
    pub fn params(self, servers: Vec<String>, server_pids: Vec<u32>, prefix: String, timeout: Duration) -> W1Params {
        let deliveries = (self.deliveries_per_s > 0.0).then(|| DeliveryParams {
            per_s: self.deliveries_per_s,
            senders: self.senders,
            grace: Duration::from_secs(self.grace),
            latencies_file: self.latencies_file,
        });
        W1Params {
            servers,
            server_pids,
            connections: self.connections,
            devices_per_user: self.devices_per_user,
            hold: Duration::from_secs(self.hold),
            parallel: self.parallel,
            prefix,
            deliveries,
            sync: HoldSync {
                logged_in: self.logged_in_file,
                connect: self.connect_file,
                ready: self.ready_file,
                go: self.go_file,
            },
            timeout,
        }
    }
}
