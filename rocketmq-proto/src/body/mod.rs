//! JSON bodies: topic routes, heartbeat data, consumer lists and offsets.
//!
//! Each body has `from_json(&[u8])` (tolerant: `null` fields read as empty, unknown
//! fields are ignored, errors are [`BodyError::Json`](crate::BodyError::Json)) and
//! `to_json()` (compact, keys sorted as fastjson writes them).

pub mod consumer;
mod fastjson;
pub mod heartbeat;
mod json;
pub mod message_queue;
pub mod reset_offset;
pub mod route;

pub use consumer::{ConsumerListBody, LockBatchRequestBody, LockBatchResponseBody};
pub use heartbeat::{
    java_string_hash, ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, MessageModel,
    ProducerData, SubscriptionData,
};
pub use message_queue::MessageQueue;
pub use reset_offset::ResetOffsetBody;
pub use route::{BrokerData, QueueData, TopicRouteData};
