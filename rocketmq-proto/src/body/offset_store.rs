//! `OffsetSerializeWrapper`: the broadcasting consumer's `offsets.json` (CONSUMER §6).
//!
//! Java writes the file with fastjson's pretty format: TAB indentation, `\n` line ends,
//! no trailing newline, and each `MessageQueue` map key written as an object (`\t` is a
//! TAB, `\n` a line end):
//!
//! ```text
//! {\n\t"offsetTable":{{\n\t\t\t"brokerName":"broker-a",\n\t\t\t"queueId":0,\n\t\t\t"topic":"TopicTest"\n\t\t}:100\n\t}\n}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::fastjson::{object_key_map, quote_object_keys};
use super::json;
use super::message_queue::MessageQueue;
use crate::error::BodyError;

/// The offsets of a broadcasting consumer group, as stored in `offsets.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetSerializeWrapper {
    /// Consumed offset per queue. JSON key `offsetTable`.
    #[serde(default, deserialize_with = "object_key_map")]
    pub offset_table: BTreeMap<MessageQueue, i64>,
}

impl OffsetSerializeWrapper {
    /// Decodes the file: pretty or compact, any key order, object-valued (or
    /// JSON-in-string) `MessageQueue` keys. A `null` table or `null` offsets are
    /// skipped; for a repeated queue the last offset wins. Other fields are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        json::from_slice(&quote_object_keys(bytes), "OffsetSerializeWrapper")
    }

    /// Encodes in fastjson's pretty form, as Java writes `offsets.json`: TAB indents,
    /// `\n` line ends, no trailing newline, object keys, entries sorted by queue
    /// (topic, broker name, queue id). An empty table is `{\n\t"offsetTable":{}\n}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n\t\"offsetTable\":{");
        for (i, (mq, offset)) in self.offset_table.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\n\t\t\t\"brokerName\":");
            out.push_str(&json::to_string(&mq.broker_name));
            out.push_str(",\n\t\t\t\"queueId\":");
            out.push_str(&mq.queue_id.to_string());
            out.push_str(",\n\t\t\t\"topic\":");
            out.push_str(&json::to_string(&mq.topic));
            out.push_str("\n\t\t}:");
            out.push_str(&offset.to_string());
        }
        if !self.offset_table.is_empty() {
            out.push_str("\n\t");
        }
        out.push_str("}\n}");
        out
    }
}
