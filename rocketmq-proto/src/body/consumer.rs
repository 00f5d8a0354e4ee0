//! Consumer-group bodies: consumer lists, queue locks and the client-config check.

use serde::{Deserialize, Serialize};

use super::heartbeat::SubscriptionData;
use super::json::{self, null_default};
use super::message_queue::MessageQueue;
use crate::error::BodyError;

/// Body of the GET_CONSUMER_LIST_BY_GROUP response: the group's client ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerListBody {
    /// Client ids of the group's consumers.
    #[serde(default, deserialize_with = "null_default")]
    pub consumer_id_list: Vec<String>,
}

impl ConsumerListBody {
    /// Decodes the body; `null` or a missing list reads as empty.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(bytes, "ConsumerListBody")
    }

    /// Encodes as compact JSON.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// Body of LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) requests.
///
/// Fields are in fastjson's key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockBatchRequestBody {
    /// Client id.
    #[serde(default, deserialize_with = "null_default")]
    pub client_id: String,
    /// Consumer group.
    #[serde(default, deserialize_with = "null_default")]
    pub consumer_group: String,
    /// Queues to lock or unlock.
    #[serde(default, deserialize_with = "null_default")]
    pub mq_set: Vec<MessageQueue>,
    /// Lock only on this broker (no forwarding).
    #[serde(default, deserialize_with = "null_default")]
    pub only_this_broker: bool,
}

impl LockBatchRequestBody {
    /// Decodes the body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(bytes, "LockBatchRequestBody")
    }

    /// Encodes as compact JSON with sorted keys.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// Body of the LOCK_BATCH_MQ response: the queues that are now locked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockBatchResponseBody {
    /// Queues locked for this client. JSON key `lockOKMQSet`.
    #[serde(rename = "lockOKMQSet", default, deserialize_with = "null_default")]
    pub lock_ok_mq_set: Vec<MessageQueue>,
}

impl LockBatchResponseBody {
    /// Decodes the body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(bytes, "LockBatchResponseBody")
    }

    /// Encodes as compact JSON.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// Body of CHECK_CLIENT_CONFIG (46): asks a broker whether it accepts a non-TAG
/// (SQL92) subscription (`CheckClientRequestBody.java`).
///
/// Fields are in fastjson's key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckClientRequestBody {
    /// Client id.
    #[serde(default, deserialize_with = "null_default")]
    pub client_id: String,
    /// Consumer group.
    #[serde(default, deserialize_with = "null_default")]
    pub group: String,
    /// Namespace (5.x), omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The subscription to check.
    #[serde(default, deserialize_with = "null_default")]
    pub subscription_data: SubscriptionData,
}

impl CheckClientRequestBody {
    /// Decodes the body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(bytes, "CheckClientRequestBody")
    }

    /// Encodes as compact JSON with sorted keys.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}
