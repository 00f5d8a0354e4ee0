//! Messages: properties, unique ids, batches, stored-message decoding, flags and validation.
//!
//! - [`Message`]: what a producer sends (topic, flag, properties, body).
//! - [`properties`]: the `name\x01value\x02` properties string and well-known keys.
//! - [`unique_id`]: the client `UNIQ_KEY` generator and the broker's offset message id.
//! - [`batch`]: the SEND_BATCH_MESSAGE body (and inner-batch unwrapping).
//! - [`stored`]: [`MessageExt`] records of pull and transaction-check bodies.
//! - [`compress`]: zlib body compression with a bounded decompressor.
//! - [`flags`]: message, permission and pull flag bits.
//! - [`validate`]: client-side topic, group and body rules.
//!
//! ```
//! use rocketmq_proto::message::{decode_properties, encode_properties, Message};
//!
//! let msg = Message::new("TopicTest", "Hello").with_tags("TagA").with_keys(["k1", "k2"]);
//! assert_eq!(msg.keys(), Some("k1 k2"));
//! let props = encode_properties(&msg.properties);
//! assert_eq!(decode_properties(&props), msg.properties);
//! ```

use std::borrow::Cow;

use bytes::Bytes;

pub mod batch;
mod civil;
pub mod compress;
pub mod error;
pub mod flags;
mod hex;
pub mod properties;
mod property_map;
mod reader;
pub mod stored;
mod stored_encode;
pub mod unique_id;
pub mod validate;

pub use batch::{decode_batch, encode_batch, encode_batch_into, BatchEntry};
pub use error::{
    BatchError, MessageDecodeError, MessageEncodeError, MessageIdError, ValidationError,
};
pub use properties::{
    decode_properties, encode_properties, encode_properties_into, encode_properties_with, keys,
    pairs_with, Properties,
};
pub use stored::{
    decode_stored_message, decode_stored_messages, encode_stored_message, MessageExt,
};
pub use unique_id::{
    decode_offset_msg_id, decode_uniq_id, encode_offset_msg_id, UniqId, UniqIdGenerator, UniqIdInfo,
};

/// A message as a producer sends it (`Message.java`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Destination topic.
    pub topic: String,
    /// Application flag, stored and returned unchanged by the broker.
    pub flag: i32,
    /// Properties (tags, keys, `WAIT`, `UNIQ_KEY`, user properties…).
    pub properties: Properties,
    /// Body (uncompressed).
    pub body: Bytes,
}

impl Message {
    /// A message with flag 0 and the property `WAIT=true`, like Java's constructor.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut properties = Properties::new();
        properties.insert(keys::WAIT, "true");
        Self {
            topic: topic.into(),
            flag: 0,
            properties,
            body: body.into(),
        }
    }

    /// Sets the tag (`TAGS`).
    pub fn with_tags(self, tags: impl Into<Cow<'static, str>>) -> Self {
        self.with_property(keys::TAGS, tags)
    }

    /// Sets the keys (`KEYS`), joined by a single space and trimmed like Java.
    ///
    /// An empty result removes `KEYS`.
    pub fn with_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut joined = String::new();
        for k in keys {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(&k.into());
        }
        let trimmed = joined.trim_matches(|c: char| c <= ' ');
        if trimmed.is_empty() {
            self.properties.remove(keys::KEYS);
            self
        } else {
            let trimmed = trimmed.to_owned();
            self.with_property(keys::KEYS, trimmed)
        }
    }

    /// Sets property `key` to `value`.
    pub fn with_property(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.properties.insert(key, value);
        self
    }

    /// Sets the application flag.
    pub fn with_flag(mut self, flag: i32) -> Self {
        self.flag = flag;
        self
    }

    /// Sets the delay level (`DELAY`, 1..=18 with the broker's default levels).
    pub fn with_delay_level(self, level: i32) -> Self {
        self.with_property(keys::DELAY, level.to_string())
    }

    /// Sets whether the broker answers only after storing the message (`WAIT`).
    pub fn with_wait_store_msg_ok(self, wait: bool) -> Self {
        self.with_property(keys::WAIT, if wait { "true" } else { "false" })
    }

    /// The tag (`TAGS`), if set.
    pub fn tags(&self) -> Option<&str> {
        self.property(keys::TAGS)
    }

    /// The keys (`KEYS`, space-separated), if set.
    pub fn keys(&self) -> Option<&str> {
        self.property(keys::KEYS)
    }

    /// The value of property `key`, if set.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }

    /// The effective `WAIT` value: true when absent, else Java's `parseBoolean`.
    pub fn wait_store_msg_ok(&self) -> bool {
        self.property(keys::WAIT)
            .is_none_or(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The delay level (`DELAY`), or 0 when absent or not a number.
    pub fn delay_level(&self) -> i32 {
        self.property(keys::DELAY)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_getters() {
        let m = Message::new("T", "b")
            .with_tags("TagA")
            .with_keys(vec![String::from("k1"), String::from("k2")])
            .with_flag(7)
            .with_delay_level(3)
            .with_property("a", "b");
        assert_eq!(m.tags(), Some("TagA"));
        assert_eq!(m.keys(), Some("k1 k2"));
        assert_eq!(m.property("a"), Some("b"));
        assert_eq!(m.property(keys::WAIT), Some("true"));
        assert_eq!(m.delay_level(), 3);
        assert_eq!(m.flag, 7);
        assert!(m.wait_store_msg_ok());
        let m = m
            .with_wait_store_msg_ok(false)
            .with_keys(Vec::<String>::new());
        assert!(!m.wait_store_msg_ok());
        assert_eq!(m.keys(), None);
        assert_eq!(
            Message::new("T", "b").with_keys([" a ", "b "]).keys(),
            Some("a  b")
        );
    }
}
