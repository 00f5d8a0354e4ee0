//! What a send takes (mode, timeout, queue) and what a stored send gives back.

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::header::SendStatus;

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

impl SendResult {
    /// The `UNIQ_KEY`s of the message(s) sent: one, or every message of a batch in order.
    pub fn msg_ids(&self) -> impl Iterator<Item = &str> {
        self.msg_id.split(',')
    }

    /// The broker's offset message ids: one, or (from brokers that list them, as Java's
    /// do) every message of a batch in order.
    pub fn offset_msg_ids(&self) -> impl Iterator<Item = &str> {
        self.offset_msg_id.split(',').filter(|s| !s.is_empty())
    }
}
