//! `ResetOffsetBody` (RESET_CONSUMER_CLIENT_OFFSET), whose map has object keys.
//!
//! fastjson writes `Map<MessageQueue, Long>` with each key as a JSON object (spec §4.4):
//! `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:100}}`. That is
//! not JSON; the keys are read and written by the shared `fastjson` helpers.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::fastjson::{object_key_map, quote_object_keys, write_object_key_map};
use super::json;
use super::message_queue::MessageQueue;
use crate::error::BodyError;

/// Offsets a broker asks a consumer to reset to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResetOffsetBody {
    /// Target offset per queue, sorted by queue.
    pub offset_table: Vec<(MessageQueue, i64)>,
}

/// The body as parsed, before the table becomes a list.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default, deserialize_with = "object_key_map")]
    offset_table: BTreeMap<MessageQueue, i64>,
}

impl ResetOffsetBody {
    /// Decodes the body.
    ///
    /// Map keys may be objects (fastjson) or strings holding a `MessageQueue` object in
    /// JSON. A `null` table or `null` offsets are skipped; for a repeated queue the last
    /// offset wins. Other fields are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        let raw: Raw = json::from_slice(&quote_object_keys(bytes), "ResetOffsetBody")?;
        Ok(Self {
            offset_table: raw.offset_table.into_iter().collect(),
        })
    }

    /// Encodes in fastjson's form, with object keys (what Java brokers send).
    pub fn to_json(&self) -> String {
        let table = write_object_key_map(self.offset_table.iter().map(|(mq, o)| (mq, o)));
        format!("{{\"offsetTable\":{table}}}")
    }
}
