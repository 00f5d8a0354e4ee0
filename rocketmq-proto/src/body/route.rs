//! `TopicRouteData`, the body of GET_ROUTEINFO_BY_TOPIC (spec §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::fastjson::quote_bare_int_keys;
use super::json::{self, null_default};
use crate::error::BodyError;

/// A topic's route: its queues per broker and the brokers' addresses.
///
/// Fields are declared in fastjson's (alphabetical) key order, which is the order
/// [`to_json`](Self::to_json) writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicRouteData {
    /// Brokers serving the topic.
    #[serde(default, deserialize_with = "null_default")]
    pub broker_datas: Vec<BrokerData>,
    /// Filter servers per broker address (usually empty).
    #[serde(default, deserialize_with = "filter_server_table")]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// Ordered-topic configuration, `"brokerA:4;brokerB:4"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    /// Queue counts and permissions per broker.
    #[serde(default, deserialize_with = "null_default")]
    pub queue_datas: Vec<QueueData>,
}

/// One broker's queues of a topic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueData {
    /// Broker name.
    #[serde(default, deserialize_with = "null_default")]
    pub broker_name: String,
    /// Permission bits (spec §5.1): 4 read, 2 write.
    #[serde(default, deserialize_with = "null_default")]
    pub perm: i32,
    /// Number of readable queues.
    #[serde(default, deserialize_with = "null_default")]
    pub read_queue_nums: i32,
    /// Topic sysFlag bits.
    #[serde(default, deserialize_with = "null_default")]
    pub topic_sys_flag: i32,
    /// Number of writable queues.
    #[serde(default, deserialize_with = "null_default")]
    pub write_queue_nums: i32,
}

/// One broker (master and slaves) of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerData {
    /// Broker id → `"ip:port"`; id 0 is the master.
    #[serde(default, deserialize_with = "broker_addrs")]
    pub broker_addrs: BTreeMap<i64, String>,
    /// Broker name.
    #[serde(default, deserialize_with = "null_default")]
    pub broker_name: String,
    /// Cluster name.
    #[serde(default, deserialize_with = "null_default")]
    pub cluster: String,
    /// Whether a slave may act as master (5.x).
    #[serde(default, deserialize_with = "null_default")]
    pub enable_acting_master: bool,
    /// Zone name (5.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

impl BrokerData {
    /// Returns the master's address (broker id 0).
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&0).map(String::as_str)
    }
}

impl TopicRouteData {
    /// Decodes a route body in standard JSON or fastjson's legacy form with bare
    /// integer map keys. `null` fields read as empty, missing fields as defaults, and
    /// unknown fields (`topicQueueMappingByBroker`, …) are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(&quote_bare_int_keys(bytes), "TopicRouteData")
    }

    /// Encodes as standard JSON with sorted keys and no whitespace.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }

    /// Returns a copy with `queue_datas` and `broker_datas` sorted by broker name, so
    /// that routes compare equal regardless of list order (as Java's change check).
    pub fn normalized(&self) -> Self {
        let mut route = self.clone();
        route
            .queue_datas
            .sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        route
            .broker_datas
            .sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        route
    }
}

/// `brokerAddrs`: `null` map → empty; entries with a `null` address are dropped.
fn broker_addrs<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<i64, String>, D::Error> {
    let raw: Option<BTreeMap<i64, Option<String>>> = Deserialize::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(id, addr)| Some((id, addr?)))
        .collect())
}

/// `filterServerTable`: `null` map → empty; `null` lists → empty.
fn filter_server_table<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let raw: Option<BTreeMap<String, Option<Vec<String>>>> = Deserialize::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}
