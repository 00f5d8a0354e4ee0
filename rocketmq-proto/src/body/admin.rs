//! Answers to the admin requests a broker forwards to a consumer (CONSUMER §7):
//! GET_CONSUMER_STATUS_FROM_CLIENT (221), GET_CONSUMER_RUNNING_INFO (307) and
//! CONSUME_MESSAGE_DIRECTLY (309).
//!
//! `GetConsumerStatusBody` and `ConsumerRunningInfo` hold maps keyed by `MessageQueue`,
//! which fastjson writes with object keys (PROTOCOL §4.4). Java admin tools only read
//! that form, so `to_json` writes it, and `from_json` reads it back.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::fastjson::{object_key_map, quote_object_keys, write_object_key_map, ObjectWriter};
use super::heartbeat::SubscriptionData;
use super::json::{self, null_default};
use super::message_queue::MessageQueue;
use crate::error::BodyError;

/// Body of the GET_CONSUMER_STATUS_FROM_CLIENT (221) answer: the consumer's in-memory
/// offsets of the requested topic.
///
/// Java's `consumerTable` (filled only by the broker's aggregation) is always written
/// empty and ignored when read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetConsumerStatusBody {
    /// Consumer offset per queue. JSON key `messageQueueTable`.
    #[serde(default, deserialize_with = "object_key_map")]
    pub message_queue_table: BTreeMap<MessageQueue, i64>,
}

impl GetConsumerStatusBody {
    /// Decodes the body; object-valued (or JSON-in-string) queue keys, `null` values skipped.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(&quote_object_keys(bytes), "GetConsumerStatusBody")
    }

    /// Encodes in fastjson's form: `{"consumerTable":{},"messageQueueTable":{{mq}:offset}}`.
    pub fn to_json(&self) -> String {
        ObjectWriter::new()
            .raw("consumerTable", "{}")
            .raw(
                "messageQueueTable",
                &write_object_key_map(&self.message_queue_table),
            )
            .finish()
    }
}

/// Body of the GET_CONSUMER_RUNNING_INFO (307) answer (`ConsumerRunningInfo.java`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerRunningInfo {
    /// Thread dump, only when the request asked for it (`jstackEnable`).
    #[serde(default)]
    pub jstack: Option<String>,
    /// 5.x POP consumption per queue (empty for push and lite-pull consumers).
    #[serde(default, deserialize_with = "object_key_map")]
    pub mq_pop_table: BTreeMap<MessageQueue, PopProcessQueueInfo>,
    /// Process-queue state per owned queue. JSON key `mqTable`.
    #[serde(default, deserialize_with = "object_key_map")]
    pub mq_table: BTreeMap<MessageQueue, ProcessQueueInfo>,
    /// Consumer properties; see the `PROP_*` constants for the required ones.
    #[serde(default, deserialize_with = "null_default")]
    pub properties: BTreeMap<String, String>,
    /// Consumption statistics per topic.
    #[serde(default, deserialize_with = "null_default")]
    pub status_table: BTreeMap<String, ConsumeStatus>,
    /// Subscriptions of the group (Java `TreeSet`).
    #[serde(default, deserialize_with = "null_default")]
    pub subscription_set: Vec<SubscriptionData>,
    /// Free-form user information (Java leaves it empty).
    #[serde(default, deserialize_with = "null_default")]
    pub user_consumer_info: BTreeMap<String, String>,
}

impl ConsumerRunningInfo {
    /// Property: name server addresses, each followed by `;`.
    pub const PROP_NAMESERVER_ADDR: &'static str = "PROP_NAMESERVER_ADDR";
    /// Property: the consume thread pool's core size (push consumers).
    pub const PROP_THREADPOOL_CORE_SIZE: &'static str = "PROP_THREADPOOL_CORE_SIZE";
    /// Property: `true` for orderly consumption (push consumers). Value
    /// `PROP_CONSUMEORDERLY`, as Java's `PROP_CONSUME_ORDERLY`.
    pub const PROP_CONSUME_ORDERLY: &'static str = "PROP_CONSUMEORDERLY";
    /// Property: `CONSUME_PASSIVELY` (push) or `CONSUME_ACTIVELY` (pull).
    pub const PROP_CONSUME_TYPE: &'static str = "PROP_CONSUME_TYPE";
    /// Property: the client's version name, e.g. `V5_3_3`.
    pub const PROP_CLIENT_VERSION: &'static str = "PROP_CLIENT_VERSION";
    /// Property: when the consumer started, epoch milliseconds in decimal.
    pub const PROP_CONSUMER_START_TIMESTAMP: &'static str = "PROP_CONSUMER_START_TIMESTAMP";

    /// Decodes the body; queue keys may be objects (fastjson) or JSON-in-string, `null`
    /// fields read as empty and unknown fields are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(&quote_object_keys(bytes), "ConsumerRunningInfo")
    }

    /// Encodes as Java does: keys sorted, `jstack` only when present, and the queue maps
    /// (`mqPopTable`, `mqTable`) with object keys.
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::new();
        if let Some(jstack) = &self.jstack {
            w.field("jstack", jstack);
        }
        w.raw("mqPopTable", &write_object_key_map(&self.mq_pop_table))
            .raw("mqTable", &write_object_key_map(&self.mq_table))
            .field("properties", &self.properties)
            .field("statusTable", &self.status_table)
            .field("subscriptionSet", &self.subscription_set)
            .field("userConsumerInfo", &self.user_consumer_info)
            .finish()
    }
}

/// State of one process queue in [`ConsumerRunningInfo::mq_table`] (`ProcessQueueInfo.java`).
///
/// Fields are in fastjson's key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProcessQueueInfo {
    /// Number of cached (pulled, not yet consumed) messages.
    #[serde(deserialize_with = "null_default")]
    pub cached_msg_count: i32,
    /// Largest cached queue offset.
    #[serde(deserialize_with = "null_default")]
    pub cached_msg_max_offset: i64,
    /// Smallest cached queue offset.
    #[serde(deserialize_with = "null_default")]
    pub cached_msg_min_offset: i64,
    /// Size of the cached messages' bodies in MiB. JSON key `cachedMsgSizeInMiB`.
    #[serde(rename = "cachedMsgSizeInMiB", deserialize_with = "null_default")]
    pub cached_msg_size_in_mib: i32,
    /// Consumer offset (in memory first, then the store).
    #[serde(deserialize_with = "null_default")]
    pub commit_offset: i64,
    /// Whether the queue was dropped. JSON key `droped` (sic); `dropped` is read too.
    #[serde(
        rename = "droped",
        alias = "dropped",
        deserialize_with = "null_default"
    )]
    pub dropped: bool,
    /// Last consume time, epoch milliseconds.
    #[serde(deserialize_with = "null_default")]
    pub last_consume_timestamp: i64,
    /// Last lock time, epoch milliseconds.
    #[serde(deserialize_with = "null_default")]
    pub last_lock_timestamp: i64,
    /// Last pull time, epoch milliseconds.
    #[serde(deserialize_with = "null_default")]
    pub last_pull_timestamp: i64,
    /// Whether the broker lock is held (orderly consumption).
    #[serde(deserialize_with = "null_default")]
    pub locked: bool,
    /// Number of messages being consumed orderly (taken, not committed).
    #[serde(deserialize_with = "null_default")]
    pub transaction_msg_count: i32,
    /// Largest offset being consumed orderly.
    #[serde(deserialize_with = "null_default")]
    pub transaction_msg_max_offset: i64,
    /// Smallest offset being consumed orderly.
    #[serde(deserialize_with = "null_default")]
    pub transaction_msg_min_offset: i64,
    /// Failed unlock attempts.
    #[serde(deserialize_with = "null_default")]
    pub try_unlock_times: i64,
}

/// State of one POP queue in [`ConsumerRunningInfo::mq_pop_table`] (`PopProcessQueueInfo.java`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PopProcessQueueInfo {
    /// Whether the queue was dropped. JSON key `droped` (sic); `dropped` is read too.
    #[serde(
        rename = "droped",
        alias = "dropped",
        deserialize_with = "null_default"
    )]
    pub dropped: bool,
    /// Last POP time, epoch milliseconds.
    #[serde(deserialize_with = "null_default")]
    pub last_pop_timestamp: i64,
    /// Messages popped and not yet acknowledged.
    #[serde(deserialize_with = "null_default")]
    pub wait_ack_count: i32,
}

/// Consumption statistics of one topic in [`ConsumerRunningInfo::status_table`]
/// (`ConsumeStatus.java`).
///
/// Fields are in fastjson's key order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeStatus {
    /// Failed messages in the last hour. JSON key `consumeFailedMsgs`.
    #[serde(rename = "consumeFailedMsgs", deserialize_with = "null_default")]
    pub consume_failed_msgs: i64,
    /// Failed consumptions per second. JSON key `consumeFailedTPS`.
    #[serde(rename = "consumeFailedTPS", deserialize_with = "null_default")]
    pub consume_failed_tps: f64,
    /// Successful consumptions per second. JSON key `consumeOKTPS`.
    #[serde(rename = "consumeOKTPS", deserialize_with = "null_default")]
    pub consume_ok_tps: f64,
    /// Mean consume time in milliseconds. JSON key `consumeRT`.
    #[serde(rename = "consumeRT", deserialize_with = "null_default")]
    pub consume_rt: f64,
    /// Mean pull time in milliseconds. JSON key `pullRT`.
    #[serde(rename = "pullRT", deserialize_with = "null_default")]
    pub pull_rt: f64,
    /// Pulled messages per second. JSON key `pullTPS`.
    #[serde(rename = "pullTPS", deserialize_with = "null_default")]
    pub pull_tps: f64,
}

/// Outcome of CONSUME_MESSAGE_DIRECTLY (Java `CMResult`; JSON names `CR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CMResult {
    /// Consumed (`CR_SUCCESS`).
    #[serde(rename = "CR_SUCCESS")]
    Success,
    /// Asked to reconsume later (`CR_LATER`).
    #[serde(rename = "CR_LATER")]
    Later,
    /// Orderly listener returned ROLLBACK (`CR_ROLLBACK`).
    #[serde(rename = "CR_ROLLBACK")]
    Rollback,
    /// Orderly listener returned COMMIT (`CR_COMMIT`).
    #[serde(rename = "CR_COMMIT")]
    Commit,
    /// The listener threw; see `remark` (`CR_THROW_EXCEPTION`).
    #[serde(rename = "CR_THROW_EXCEPTION")]
    ThrowException,
    /// The listener returned null (`CR_RETURN_NULL`).
    #[serde(rename = "CR_RETURN_NULL")]
    ReturnNull,
}

impl CMResult {
    /// Returns the Java enum name (`CR_SUCCESS`, …).
    pub fn java_name(self) -> &'static str {
        match self {
            Self::Success => "CR_SUCCESS",
            Self::Later => "CR_LATER",
            Self::Rollback => "CR_ROLLBACK",
            Self::Commit => "CR_COMMIT",
            Self::ThrowException => "CR_THROW_EXCEPTION",
            Self::ReturnNull => "CR_RETURN_NULL",
        }
    }
}

/// Body of the CONSUME_MESSAGE_DIRECTLY (309) answer (`ConsumeMessageDirectlyResult.java`).
///
/// Fields are in fastjson's key order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumeMessageDirectlyResult {
    /// The context's auto-commit (orderly), else true; `true` when absent or `null`.
    #[serde(default = "yes", deserialize_with = "null_true")]
    pub auto_commit: bool,
    /// The listener's outcome; absent only if Java never set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consume_result: Option<CMResult>,
    /// True for an orderly consumer.
    #[serde(default, deserialize_with = "null_default")]
    pub order: bool,
    /// Exception summary when the listener threw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Time spent consuming, milliseconds. JSON key `spentTimeMills` (sic).
    #[serde(default, deserialize_with = "null_default")]
    pub spent_time_mills: i64,
}

impl Default for ConsumeMessageDirectlyResult {
    /// Java's initial values: not orderly, auto-commit, no result, no remark, 0 ms.
    fn default() -> Self {
        Self {
            auto_commit: true,
            consume_result: None,
            order: false,
            remark: None,
            spent_time_mills: 0,
        }
    }
}

impl ConsumeMessageDirectlyResult {
    /// Decodes the body; unknown fields are ignored, an unknown `consumeResult` is an error.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(bytes, "ConsumeMessageDirectlyResult")
    }

    /// Encodes as compact JSON with sorted keys; `null` fields are omitted.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

fn yes() -> bool {
    true
}

/// A boolean that reads `null` as `true` (a Java primitive initialised to true).
fn null_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}
