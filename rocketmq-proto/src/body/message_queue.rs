//! `MessageQueue`: one queue of a topic on one broker.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::json::null_default;

/// One queue: (topic, broker name, queue id).
///
/// Ordered by topic, then broker name, then queue id, as Java's `compareTo`. JSON keys
/// are `brokerName`, `queueId`, `topic`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageQueue {
    /// Broker name.
    #[serde(default, deserialize_with = "null_default")]
    pub broker_name: String,
    /// Queue id.
    #[serde(default, deserialize_with = "null_default")]
    pub queue_id: i32,
    /// Topic.
    #[serde(default, deserialize_with = "null_default")]
    pub topic: String,
}

impl MessageQueue {
    /// Creates a queue.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        Self {
            broker_name: broker_name.into(),
            queue_id,
            topic: topic.into(),
        }
    }
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> Ordering {
        self.topic
            .cmp(&other.topic)
            .then_with(|| self.broker_name.cmp(&other.broker_name))
            .then_with(|| self.queue_id.cmp(&other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
