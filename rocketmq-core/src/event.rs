//! What the client asks of its driver and tells its application.

use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::header::SendStatus;

use crate::error::SendError;

/// A logical connection to one address, named by the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// One send, named by the client when it is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendId(pub u64);

/// One producer registered with a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProducerId(pub u32);

/// A connection the driver must open or close.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ConnCommand {
    /// Connect to `addr` (`host:port`); report with `handle_connected` or `handle_closed`.
    Open {
        /// The connection's id.
        conn: ConnId,
        /// Where to connect.
        addr: String,
    },
    /// Close the connection (or abandon the connect attempt); no report is expected.
    Close {
        /// The connection's id.
        conn: ConnId,
    },
}

/// Bytes to write to a connection, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// The connection.
    pub conn: ConnId,
    /// Whole frames, coalesced.
    pub data: Bytes,
}

/// Reading a connection may wait so that the answers due soon are read together (see
/// [batching](crate#batching)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadPause {
    /// When reading resumes at the latest.
    pub until: Instant,
    /// The bytes of the answers due by then: a driver that can have the socket report
    /// readable only once this many bytes wait (`SO_RCVLOWAT`) may read as soon as they do.
    pub low_water: usize,
}

/// Why a connection closed, as the driver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The connect attempt failed.
    ConnectFailed(String),
    /// The peer closed the connection (EOF).
    PeerClosed,
    /// A read or write failed.
    Io(String),
}

/// How a send is carried out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SendMode {
    /// Wait for the broker's answer, retrying `retry_times_when_send_failed` times.
    #[default]
    Sync,
    /// Like `Sync`, with `retry_times_when_send_async_failed` retries.
    Async,
    /// Fire and forget: completes when the request is handed to a connected socket.
    Oneway,
}

/// Per-send options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Sync, async or oneway.
    pub mode: SendMode,
    /// Overrides the producer's send timeout for this send.
    pub timeout: Option<std::time::Duration>,
    /// Sends to this queue (by index into the topic's publish queues) instead of selecting one.
    pub queue_index: Option<usize>,
}

impl SendOptions {
    /// Options for a oneway send.
    pub fn oneway() -> Self {
        Self {
            mode: SendMode::Oneway,
            ..Self::default()
        }
    }
}

/// What a broker said about a stored message (Java `SendResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendResult {
    /// Store status; anything but `SendOk` means stored with a caveat.
    pub status: SendStatus,
    /// The client-side unique id (`UNIQ_KEY`).
    pub msg_id: String,
    /// The broker's offset message id (store host + commit-log offset).
    pub offset_msg_id: String,
    /// The queue the message went to.
    pub queue: MessageQueue,
    /// The message's offset in its queue.
    pub queue_offset: i64,
    /// Transaction id, if the broker returned one.
    pub transaction_id: Option<String>,
    /// The broker's region id.
    pub region_id: Option<String>,
    /// Whether the broker has tracing on.
    pub trace_on: bool,
}

/// What happened, for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A sync or async send finished; exactly one per accepted send.
    SendCompleted {
        /// The send.
        id: SendId,
        /// Its outcome.
        result: Result<SendResult, SendError>,
    },
    /// A oneway send was handed to a socket, or failed before; exactly one per oneway send.
    OnewayCompleted {
        /// The send.
        id: SendId,
        /// Its outcome.
        result: Result<(), SendError>,
    },
    /// A topic's route changed.
    RouteUpdated {
        /// The topic.
        topic: String,
    },
    /// A connection was lost; requests in flight on it failed.
    ConnectionLost {
        /// The remote address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The client finished shutting down: nothing is pending and every connection is closed.
    ShutdownComplete,
}
