//! `HeartbeatData`, the body of HEART_BEAT (spec §7).

use serde::{Deserialize, Serialize};

use super::json::{self, null_default};
use crate::error::BodyError;

/// The heartbeat a client sends to every broker: its producer and consumer groups.
///
/// Fields are in fastjson's key order, which [`to_json`](Self::to_json) writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatData {
    /// Client id (spec §6.1).
    #[serde(rename = "clientID", default, deserialize_with = "null_default")]
    pub client_id: String,
    /// Consumer groups of this client.
    #[serde(default, deserialize_with = "null_default")]
    pub consumer_data_set: Vec<ConsumerData>,
    /// Producer groups of this client.
    #[serde(default, deserialize_with = "null_default")]
    pub producer_data_set: Vec<ProducerData>,
}

/// A producer group in a heartbeat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProducerData {
    /// Producer group name.
    #[serde(default, deserialize_with = "null_default")]
    pub group_name: String,
}

/// A consumer group in a heartbeat, with its subscriptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerData {
    /// Where a new group starts consuming.
    #[serde(default, deserialize_with = "null_default")]
    pub consume_from_where: ConsumeFromWhere,
    /// Push or pull.
    #[serde(default, deserialize_with = "null_default")]
    pub consume_type: ConsumeType,
    /// Consumer group name.
    #[serde(default, deserialize_with = "null_default")]
    pub group_name: String,
    /// Clustering or broadcasting.
    #[serde(default, deserialize_with = "null_default")]
    pub message_model: MessageModel,
    /// Subscriptions, one per topic.
    #[serde(default, deserialize_with = "null_default")]
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode (normally false).
    #[serde(default, deserialize_with = "null_default")]
    pub unit_mode: bool,
}

/// How a consumer gets messages (Java `ConsumeType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsumeType {
    /// Pull / lite-pull consumer (`CONSUME_ACTIVELY`).
    ConsumeActively,
    /// Push consumer (`CONSUME_PASSIVELY`).
    #[default]
    ConsumePassively,
    /// 5.x POP consumer (`CONSUME_POP`).
    ConsumePop,
}

/// How messages are spread over a group's consumers (Java `MessageModel`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageModel {
    /// Every consumer gets every message (`BROADCASTING`).
    Broadcasting,
    /// Each message goes to one consumer of the group (`CLUSTERING`).
    #[default]
    Clustering,
}

/// Where a group without a stored offset starts (Java `ConsumeFromWhere`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsumeFromWhere {
    /// The queue's end (`CONSUME_FROM_LAST_OFFSET`).
    #[default]
    ConsumeFromLastOffset,
    /// Deprecated (`CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST`).
    ConsumeFromLastOffsetAndFromMinWhenBootFirst,
    /// Deprecated (`CONSUME_FROM_MIN_OFFSET`).
    ConsumeFromMinOffset,
    /// Deprecated (`CONSUME_FROM_MAX_OFFSET`).
    ConsumeFromMaxOffset,
    /// The queue's start (`CONSUME_FROM_FIRST_OFFSET`).
    ConsumeFromFirstOffset,
    /// The first message stored after a timestamp (`CONSUME_FROM_TIMESTAMP`).
    ConsumeFromTimestamp,
}

/// One topic subscription of a consumer group.
///
/// Fields are in fastjson's key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    /// Class filter mode (always false).
    #[serde(deserialize_with = "null_default")]
    pub class_filter_mode: bool,
    /// [`java_string_hash`] of each tag.
    #[serde(deserialize_with = "null_default")]
    pub code_set: Vec<i32>,
    /// `TAG` or `SQL92`; the broker rejects a subscription without it.
    #[serde(deserialize_with = "null_default")]
    pub expression_type: String,
    /// The expression: `*`, `TagA || TagB`, or SQL92.
    #[serde(deserialize_with = "null_default")]
    pub sub_string: String,
    /// Version (ms timestamp when built).
    #[serde(deserialize_with = "null_default")]
    pub sub_version: i64,
    /// Tags of a `TAG` expression (empty for `*`).
    #[serde(deserialize_with = "null_default")]
    pub tags_set: Vec<String>,
    /// Topic.
    #[serde(deserialize_with = "null_default")]
    pub topic: String,
}

impl Default for SubscriptionData {
    fn default() -> Self {
        Self {
            class_filter_mode: false,
            code_set: Vec::new(),
            expression_type: Self::TAG.to_owned(),
            sub_string: Self::SUB_ALL.to_owned(),
            sub_version: 0,
            tags_set: Vec::new(),
            topic: String::new(),
        }
    }
}

impl SubscriptionData {
    /// The expression that matches every message.
    pub const SUB_ALL: &'static str = "*";
    /// Expression type of tag expressions.
    pub const TAG: &'static str = "TAG";
    /// Expression type of SQL92 expressions.
    pub const SQL92: &'static str = "SQL92";

    /// Builds a `TAG` subscription as Java's `FilterAPI.buildSubscriptionData`.
    ///
    /// An empty (or blank) expression or `*` subscribes to everything (`subString`
    /// `*`, no tags). Otherwise `expr` is split on `||`; each tag is trimmed, empty
    /// tags are dropped, duplicates are kept once, and `codeSet` holds each tag's
    /// [`java_string_hash`].
    pub fn from_tag_expression(topic: impl Into<String>, expr: &str, sub_version: i64) -> Self {
        let mut data = Self {
            topic: topic.into(),
            sub_version,
            ..Self::default()
        };
        if expr.trim().is_empty() || expr == Self::SUB_ALL {
            return data;
        }
        data.sub_string = expr.to_owned();
        for tag in expr.split("||").map(str::trim).filter(|t| !t.is_empty()) {
            if !data.tags_set.iter().any(|t| t == tag) {
                data.tags_set.push(tag.to_owned());
            }
            let code = java_string_hash(tag);
            if !data.code_set.contains(&code) {
                data.code_set.push(code);
            }
        }
        data
    }
}

impl HeartbeatData {
    /// Encodes as compact JSON with sorted keys, as Java sends it.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }

    /// Decodes a heartbeat body; `null` fields read as empty, unknown ones are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(bytes, "HeartbeatData")
    }
}

/// Java's `String.hashCode`: `h = 31 * h + c` over UTF-16 code units, wrapping.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}
