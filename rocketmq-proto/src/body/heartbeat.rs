//! `HeartbeatData`, the body of HEART_BEAT (spec §7).

use serde::{Deserialize, Serialize};

use super::json::{self, null_default};
use crate::error::{BodyError, SubscriptionError};

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
    /// Only `""` or exactly `*` subscribe to everything (`subString` `*`, no tags). Any
    /// other text is kept as `subString` and split on `||` like Java's `split("\\|\\|")`
    /// (trailing empty parts dropped); each part is trimmed as Java's `String.trim`, empty
    /// parts are skipped and the rest go, once each and in first-seen order, to `tagsSet`
    /// and their [`java_string_hash`] to `codeSet`. Blank text thus has no tags (the broker
    /// matches nothing), ` * ` is the literal tag `*`, and a split leaving no part at all
    /// (`||`) is [`SubscriptionError::SplitError`].
    pub fn from_tag_expression(
        topic: impl Into<String>,
        expr: &str,
        sub_version: i64,
    ) -> Result<Self, SubscriptionError> {
        let mut data = Self {
            topic: topic.into(),
            sub_version,
            ..Self::default()
        };
        if expr.is_empty() || expr == Self::SUB_ALL {
            return Ok(data);
        }
        data.sub_string = expr.to_owned();
        let parts = java_split(expr, "||");
        if parts.is_empty() {
            return Err(SubscriptionError::SplitError);
        }
        for tag in parts.into_iter().map(java_trim).filter(|t| !t.is_empty()) {
            if !data.tags_set.iter().any(|t| t == tag) {
                data.tags_set.push(tag.to_owned());
            }
            let code = java_string_hash(tag);
            if !data.code_set.contains(&code) {
                data.code_set.push(code);
            }
        }
        Ok(data)
    }

    /// Builds an `SQL92` subscription as Java's `FilterAPI.build` with a non-TAG type.
    ///
    /// `subString` is `expr` as given, with no tags; an empty `expr` is
    /// [`SubscriptionError::EmptyExpression`]. The client does not check the SQL.
    pub fn from_sql92(
        topic: impl Into<String>,
        expr: &str,
        sub_version: i64,
    ) -> Result<Self, SubscriptionError> {
        if expr.is_empty() {
            return Err(SubscriptionError::EmptyExpression {
                expression_type: Self::SQL92,
            });
        }
        Ok(Self {
            expression_type: Self::SQL92.to_owned(),
            sub_string: expr.to_owned(),
            sub_version,
            topic: topic.into(),
            ..Self::default()
        })
    }

    /// Whether a pulled message with this `TAGS` property passes the client's re-check.
    ///
    /// As Java's `PullAPIWrapper.processPullResult`: with a non-empty `tagsSet` (and no
    /// class filter) only a message whose tag is present and exactly in `tagsSet` passes;
    /// otherwise (`*`, SQL92, blank text) every message passes.
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        if self.tags_set.is_empty() || self.class_filter_mode {
            return true;
        }
        tag.is_some_and(|tag| self.tags_set.iter().any(|t| t == tag))
    }
}

/// Java's `String.split(regex)` for a literal separator: no match gives `[s]`; otherwise
/// the parts with trailing empty ones removed (possibly none).
fn java_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if !s.contains(sep) {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Java's `String.trim`: strips every char up to U+0020 from both ends (not Unicode spaces).
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
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
