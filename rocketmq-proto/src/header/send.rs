//! Send headers (spec §3.1, §3.2): request in v1 and V2 names, response, send status.

use crate::code::{RequestCode, ResponseCode};
use crate::error::HeaderError;
use crate::ext_fields::ExtFields;
use crate::frame::HeaderView;
use crate::header::fields::{
    bool_str, ext_header, int_string, optional, parse_optional, parse_required, required,
};

/// The V2 short name of a `SendMessageRequestHeader` field (spec §3.1): the one spelling of
/// the keys `a`..`n` that every V2 encoder and decoder uses (a macro, so that the JSON
/// template can splice them into its literal text).
macro_rules! v2_key {
    (producer_group) => {
        "a"
    };
    (topic) => {
        "b"
    };
    (default_topic) => {
        "c"
    };
    (default_topic_queue_nums) => {
        "d"
    };
    (queue_id) => {
        "e"
    };
    (sys_flag) => {
        "f"
    };
    (born_timestamp) => {
        "g"
    };
    (flag) => {
        "h"
    };
    (properties) => {
        "i"
    };
    (reconsume_times) => {
        "j"
    };
    (unit_mode) => {
        "k"
    };
    (max_reconsume_times) => {
        "l"
    };
    (batch) => {
        "m"
    };
    (broker_name) => {
        "n"
    };
}
pub(crate) use v2_key;

ext_header! {
    /// `SendMessageRequestHeader` (SEND_MESSAGE, code 10) in v1 (long) names.
    ///
    /// The same struct encodes `SendMessageRequestHeaderV2` (codes 310, 320, 325) with
    /// [`to_v2_ext_fields`](Self::to_v2_ext_fields); see [`V2_NAMES`](Self::V2_NAMES).
    pub struct SendMessageRequestHeader {
        /// Producer group.
        pub producer_group: String = "producerGroup",
        /// Target topic.
        pub topic: String = "topic",
        /// Template topic for auto-creation (`TBW102`).
        pub default_topic: String = "defaultTopic",
        /// Queue count of an auto-created topic (Java: 4).
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Target queue id.
        pub queue_id: i32 = "queueId",
        /// Message sysFlag bits (spec §6.10).
        pub sys_flag: i32 = "sysFlag",
        /// Born time, epoch milliseconds.
        pub born_timestamp: i64 = "bornTimestamp",
        /// User message flag.
        pub flag: i32 = "flag",
        /// Message properties string (spec §6.8).
        pub properties: Option<String> = "properties",
        /// Reconsume count (`%RETRY%` topics).
        pub reconsume_times: Option<i32> = "reconsumeTimes",
        /// Unit mode.
        pub unit_mode: Option<bool> = "unitMode",
        /// Max reconsume count (`%RETRY%` topics).
        pub max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Whether the body is a batch (SEND_BATCH_MESSAGE).
        pub batch: Option<bool> = "batch",
        /// Target broker name (5.x; V2 name `n`).
        pub broker_name: Option<String> = "bname",
    }
}

impl SendMessageRequestHeader {
    /// V2 short name → v1 name, in V2 order (spec §3.1).
    pub const V2_NAMES: [(&'static str, &'static str); 14] = [
        (v2_key!(producer_group), "producerGroup"),
        (v2_key!(topic), "topic"),
        (v2_key!(default_topic), "defaultTopic"),
        (v2_key!(default_topic_queue_nums), "defaultTopicQueueNums"),
        (v2_key!(queue_id), "queueId"),
        (v2_key!(sys_flag), "sysFlag"),
        (v2_key!(born_timestamp), "bornTimestamp"),
        (v2_key!(flag), "flag"),
        (v2_key!(properties), "properties"),
        (v2_key!(reconsume_times), "reconsumeTimes"),
        (v2_key!(unit_mode), "unitMode"),
        (v2_key!(max_reconsume_times), "maxReconsumeTimes"),
        (v2_key!(batch), "batch"),
        (v2_key!(broker_name), "bname"),
    ];

    /// Writes the header with the V2 short names `a`..`n`, skipping `None` fields.
    pub fn to_v2_ext_fields(&self, ext: &mut ExtFields) {
        self.clone().into_v2_ext_fields(ext);
    }

    /// Like [`to_v2_ext_fields`](Self::to_v2_ext_fields), moving the strings instead of
    /// copying them.
    pub fn into_v2_ext_fields(self, ext: &mut ExtFields) {
        ext.insert(v2_key!(producer_group), self.producer_group);
        ext.insert(v2_key!(topic), self.topic);
        ext.insert(v2_key!(default_topic), self.default_topic);
        ext.insert(
            v2_key!(default_topic_queue_nums),
            int_string(i64::from(self.default_topic_queue_nums)),
        );
        ext.insert(v2_key!(queue_id), int_string(i64::from(self.queue_id)));
        ext.insert(v2_key!(sys_flag), int_string(i64::from(self.sys_flag)));
        ext.insert(v2_key!(born_timestamp), int_string(self.born_timestamp));
        ext.insert(v2_key!(flag), int_string(i64::from(self.flag)));
        if let Some(v) = self.properties {
            ext.insert(v2_key!(properties), v);
        }
        if let Some(v) = self.reconsume_times {
            ext.insert(v2_key!(reconsume_times), int_string(i64::from(v)));
        }
        if let Some(v) = self.unit_mode {
            ext.insert(v2_key!(unit_mode), bool_str(v));
        }
        if let Some(v) = self.max_reconsume_times {
            ext.insert(v2_key!(max_reconsume_times), int_string(i64::from(v)));
        }
        if let Some(v) = self.batch {
            ext.insert(v2_key!(batch), bool_str(v));
        }
        if let Some(v) = self.broker_name {
            ext.insert(v2_key!(broker_name), v);
        }
    }

    /// Reads the header from V2 short names; the broker name is `n`, else `bname`.
    pub fn from_v2_ext_fields(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(Self {
            producer_group: required(ext, v2_key!(producer_group))?,
            topic: required(ext, v2_key!(topic))?,
            default_topic: required(ext, v2_key!(default_topic))?,
            default_topic_queue_nums: required(ext, v2_key!(default_topic_queue_nums))?,
            queue_id: required(ext, v2_key!(queue_id))?,
            sys_flag: required(ext, v2_key!(sys_flag))?,
            born_timestamp: required(ext, v2_key!(born_timestamp))?,
            flag: required(ext, v2_key!(flag))?,
            properties: optional(ext, v2_key!(properties))?,
            reconsume_times: optional(ext, v2_key!(reconsume_times))?,
            unit_mode: optional(ext, v2_key!(unit_mode))?,
            max_reconsume_times: optional(ext, v2_key!(max_reconsume_times))?,
            batch: optional(ext, v2_key!(batch))?,
            broker_name: match optional(ext, v2_key!(broker_name))? {
                Some(n) => Some(n),
                None => optional(ext, "bname")?,
            },
        })
    }

    /// Reads the header in the names used by request `code`: V2 for
    /// SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and SEND_REPLY_MESSAGE_V2 (325),
    /// v1 for every other code (SEND_MESSAGE 10, SEND_REPLY_MESSAGE 324). `code` is a
    /// [`RequestCode`] or the raw `i32` of a command.
    pub fn from_ext_fields_any(
        code: impl Into<RequestCode>,
        ext: &ExtFields,
    ) -> Result<Self, HeaderError> {
        if Self::is_v2_code(code) {
            Self::from_v2_ext_fields(ext)
        } else {
            Self::from_ext_fields(ext)
        }
    }

    /// Returns whether request `code` carries the V2 (short-name) header.
    pub fn is_v2_code(code: impl Into<RequestCode>) -> bool {
        matches!(
            code.into(),
            RequestCode::SEND_MESSAGE_V2
                | RequestCode::SEND_BATCH_MESSAGE
                | RequestCode::SEND_REPLY_MESSAGE_V2
        )
    }
}

/// `SendMessageResponseHeader` plus the `MSG_REGION` / `TRACE_ON` response keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendMessageResponseHeader {
    /// Broker offset message id (comma-joined for batches). Wire name: `msgId`.
    pub msg_id: String,
    /// Queue the message was stored in. Wire name: `queueId`.
    pub queue_id: i32,
    /// Queue offset of the (first) message. Wire name: `queueOffset`.
    pub queue_offset: i64,
    /// Transaction id. Wire name: `transactionId`.
    pub transaction_id: Option<String>,
    /// Batch unique id. Wire name: `batchUniqId`.
    pub batch_uniq_id: Option<String>,
    /// Recall handle (5.x). Wire name: `recallHandle`.
    pub recall_handle: Option<String>,
    /// Broker region; Java uses `DefaultRegion` when absent. Wire name: `MSG_REGION`.
    pub region: Option<String>,
    /// Message tracing switch: `false` only if the value is exactly `"false"`
    /// (absent means `true`). Wire name: `TRACE_ON`.
    pub trace_on: bool,
}

impl Default for SendMessageResponseHeader {
    fn default() -> Self {
        Self {
            msg_id: String::new(),
            queue_id: 0,
            queue_offset: 0,
            transaction_id: None,
            batch_uniq_id: None,
            recall_handle: None,
            region: None,
            trace_on: true,
        }
    }
}

impl SendMessageResponseHeader {
    /// Writes the header; `TRACE_ON` is always written.
    pub fn to_ext_fields(&self, ext: &mut ExtFields) {
        ext.insert("msgId", self.msg_id.clone());
        ext.insert("queueId", int_string(i64::from(self.queue_id)));
        ext.insert("queueOffset", int_string(self.queue_offset));
        let optional = [
            ("transactionId", &self.transaction_id),
            ("batchUniqId", &self.batch_uniq_id),
            ("recallHandle", &self.recall_handle),
            ("MSG_REGION", &self.region),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                ext.insert(key, v.clone());
            }
        }
        ext.insert("TRACE_ON", bool_str(self.trace_on));
    }

    /// Reads the header as Java's `processSendResponse` does.
    ///
    /// One pass over the fields, through the same [`SendResponseFields`] the in-place path
    /// ([`SendResponseFields::from_view`]) fills.
    pub fn from_ext_fields(ext: &ExtFields) -> Result<Self, HeaderError> {
        let mut reader = SendResponseFields::default();
        ext.iter().for_each(|(k, v)| reader.add(k, v));
        reader.finish()
    }
}

/// The fields of a send response, gathered one ext field at a time from a header read in
/// place ([`from_view`](Self::from_view)) or an owned one, then checked by
/// [`finish`](Self::finish).
#[derive(Clone, Copy, Debug, Default)]
pub struct SendResponseFields<'a>([Option<&'a str>; 8]);

impl<'a> SendResponseFields<'a> {
    /// Keys in slot order.
    const KEYS: [&'static str; 8] = [
        "msgId",
        "queueId",
        "queueOffset",
        "transactionId",
        "batchUniqId",
        "recallHandle",
        "MSG_REGION",
        "TRACE_ON",
    ];

    /// The fields of a header read in place.
    pub fn from_view(view: &HeaderView<'a>) -> Self {
        let mut fields = Self::default();
        for (key, value) in view.ext_fields() {
            fields.add(key, value);
        }
        fields
    }

    /// Takes one ext field; other keys are ignored, a repeated key counts with its last value.
    pub fn add(&mut self, key: &str, value: &'a str) {
        // The length picks the one key it can be, so each field costs one comparison.
        let slot = match key.len() {
            5 => 0,
            7 => 1,
            11 if key.starts_with('q') => 2,
            13 => 3,
            11 => 4,
            12 => 5,
            10 => 6,
            8 => 7,
            _ => return,
        };
        if Self::KEYS[slot] == key {
            self.0[slot] = Some(value);
        }
    }

    /// The header, as Java's `processSendResponse` reads it.
    pub fn finish(&self) -> Result<SendMessageResponseHeader, HeaderError> {
        let v = &self.0;
        Ok(SendMessageResponseHeader {
            msg_id: parse_required(v[0], "msgId")?,
            queue_id: parse_required(v[1], "queueId")?,
            queue_offset: parse_required(v[2], "queueOffset")?,
            transaction_id: parse_optional(v[3], "transactionId")?,
            batch_uniq_id: parse_optional(v[4], "batchUniqId")?,
            recall_handle: parse_optional(v[5], "recallHandle")?,
            region: parse_optional(v[6], "MSG_REGION")?,
            trace_on: v[7] != Some("false"),
        })
    }
}

/// Outcome of a send that the broker stored (spec §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Stored and flushed as configured.
    SendOk,
    /// Stored, but the disk flush timed out.
    FlushDiskTimeout,
    /// Stored, but replication to the slave timed out.
    FlushSlaveTimeout,
    /// Stored, but no slave is available for synchronous replication.
    SlaveNotAvailable,
}

impl SendStatus {
    /// Maps a send response code; `None` means a broker error (`MQBrokerException`).
    pub fn from_response_code(code: ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::SUCCESS => Some(Self::SendOk),
            ResponseCode::FLUSH_DISK_TIMEOUT => Some(Self::FlushDiskTimeout),
            ResponseCode::FLUSH_SLAVE_TIMEOUT => Some(Self::FlushSlaveTimeout),
            ResponseCode::SLAVE_NOT_AVAILABLE => Some(Self::SlaveNotAvailable),
            _ => None,
        }
    }

    /// Returns the Java enum name (`SEND_OK`, …).
    pub fn java_name(self) -> &'static str {
        match self {
            Self::SendOk => "SEND_OK",
            Self::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            Self::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            Self::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SendResponseFields;

    #[test]
    fn each_key_fills_its_own_slot_and_look_alikes_fill_none() {
        for (i, key) in SendResponseFields::KEYS.iter().enumerate() {
            let mut f = SendResponseFields::default();
            f.add(key, "v");
            let filled: Vec<usize> = (0..8).filter(|&j| f.0[j].is_some()).collect();
            assert_eq!(filled, [i], "{key}");
            // Same length, different text: ignored.
            let look_alike = key.to_ascii_lowercase().replace('_', "-");
            assert_ne!(look_alike, *key);
            let mut f = SendResponseFields::default();
            f.add(&look_alike, "v");
            assert!(f.0.iter().all(Option::is_none), "{key}");
        }
        let mut f = SendResponseFields::default();
        f.add("msgId", "a");
        f.add("msgId", "b");
        assert_eq!(
            f.0[0],
            Some("b"),
            "a repeated key counts with its last value"
        );
    }
}
