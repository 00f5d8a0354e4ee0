//! JSON bodies: topic routes, heartbeat data, consumer lists, offsets and the answers to
//! a broker's admin requests.
//!
//! Each body has `from_json(&[u8])` (tolerant: `null` fields read as empty, unknown
//! fields are ignored, errors are [`BodyError::Json`](crate::BodyError::Json)) and
//! `to_json()` (compact, keys sorted as fastjson writes them). Maps keyed by
//! `MessageQueue` are written and read with object keys, as fastjson does (PROTOCOL
//! §4.4); `offsets.json` ([`OffsetSerializeWrapper`]) is written in fastjson's pretty form.

pub mod admin;
pub mod consumer;
mod fastjson;
pub mod heartbeat;
mod json;
pub mod message_queue;
pub mod offset_store;
pub mod reset_offset;
pub mod route;

pub use admin::{
    CMResult, ConsumeMessageDirectlyResult, ConsumeStatus, ConsumerRunningInfo,
    GetConsumerStatusBody, PopProcessQueueInfo, ProcessQueueInfo,
};
pub use consumer::{
    CheckClientRequestBody, ConsumerListBody, LockBatchRequestBody, LockBatchResponseBody,
};
pub use heartbeat::{
    java_string_hash, ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, MessageModel,
    ProducerData, SubscriptionData,
};
pub use message_queue::MessageQueue;
pub use offset_store::OffsetSerializeWrapper;
pub use reset_offset::ResetOffsetBody;
pub use route::{BrokerData, QueueData, TopicRouteData};
