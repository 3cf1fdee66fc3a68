//! What each device records during a run, for the checks afterwards.

use std::collections::BTreeMap;
use std::time::Instant;

/// A text message the traffic asks a device to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Unique across the run.
    pub cmid: String,
    /// Conversation.
    pub conv: String,
    /// Body text (unique too).
    pub text: String,
    /// When the traffic created it.
    pub created: Instant,
}

/// One WebSocket connection of a device.
#[derive(Debug, Clone)]
pub struct ConnRecord {
    /// Unique across the run.
    pub id: u64,
    /// Index of the instance it went to.
    pub instance: usize,
    /// When the handshake completed.
    pub opened: Instant,
    /// When it ended (`None`: still open when the run ended).
    pub closed: Option<Instant>,
    /// Why it ended.
    pub why: String,
}

/// A message a device received, by push or by catch-up.
#[derive(Debug, Clone)]
pub struct Received {
    /// Conversation.
    pub conv: String,
    /// Its seq.
    pub seq: u64,
    /// Its client_msg_id, if it has one.
    pub cmid: Option<String>,
    /// Arrival.
    pub at: Instant,
    /// The connection it came on.
    pub conn: u64,
}

/// One try to send a message.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The message.
    pub cmid: String,
    /// Instance the connection was on.
    pub instance: usize,
    /// Connection.
    pub conn: u64,
    /// When the `send` frame was written.
    pub sent: Instant,
    /// When it was answered, and how (`ack` or the error code).
    pub answer: Option<(Instant, String)>,
    /// Why the device stopped waiting for an answer (`timeout`, `dropped`), if it did.
    pub gave_up: Option<&'static str>,
}

/// The first ack of a message.
#[derive(Debug, Clone)]
pub struct AckRecord {
    /// Conversation.
    pub conv: String,
    /// Seq the ack gave.
    pub seq: u64,
    /// Message id the ack gave.
    pub msg_id: String,
    /// client_msg_id.
    pub cmid: String,
    /// Text sent.
    pub text: String,
    /// Arrival of the ack.
    pub at: Instant,
    /// First attempt's send time.
    pub first_sent: Instant,
    /// Attempts made until it.
    pub attempts: u32,
    /// Instance that acked.
    pub instance: usize,
    /// Sending device.
    pub device: usize,
}

/// A further ack of an already acked message (a retry answered `duplicate`).
#[derive(Debug, Clone)]
pub struct ExtraAck {
    /// Conversation.
    pub conv: String,
    /// Seq it gave.
    pub seq: u64,
    /// client_msg_id.
    pub cmid: String,
}

/// Everything one device saw and did.
#[derive(Debug, Clone, Default)]
pub struct DeviceLog {
    /// Index of the device.
    pub device: usize,
    /// Connections, in order.
    pub conns: Vec<ConnRecord>,
    /// `msg` pushes received.
    pub pushes: Vec<Received>,
    /// Messages obtained by catch-up (`sync`).
    pub caught: Vec<Received>,
    /// Send attempts.
    pub attempts: Vec<Attempt>,
    /// First acks.
    pub acks: Vec<AckRecord>,
    /// Later acks of acked messages.
    pub extra_acks: Vec<ExtraAck>,
    /// Messages still unacked when the run ended (client_msg_id, conv).
    pub unacked: Vec<(String, String)>,
    /// Error frames by code.
    pub errors: BTreeMap<String, u64>,
    /// Pongs received, and how many carried `changes`.
    pub pongs: (u64, u64),
    /// Catch-up rounds started (one per conversation each), and how many a `changes` step started.
    pub catchups: (u64, u64),
    /// Highest seq held per conversation at the end.
    pub highest: BTreeMap<String, u64>,
    /// Whether the final catch-up completed.
    pub final_done: bool,
}
