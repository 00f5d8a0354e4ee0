//! Messages: properties, unique ids, batches, stored-message decoding, flags and validation.
//!
//! - [`Message`]: what a producer sends (topic, flag, properties, body).
//! - [`properties`]: the `name\x01value\x02` properties string and well-known keys.
//! - [`unique_id`]: the client `UNIQ_KEY` generator and the broker's offset message id.
//! - [`batch`]: the SEND_BATCH_MESSAGE body (and inner-batch unwrapping).
//! - [`stored`]: [`MessageExt`] records of pull and transaction-check bodies.
//! - [`compress`]: ZLIB, LZ4 and ZSTD body compression with bounded decompressors.
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
use std::time::Duration;

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

pub use batch::{
    batch_record_len, decode_batch, encode_batch, encode_batch_into, BatchEntry, BatchSplitter,
};
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

/// The properties that delay a message: the level and the 5.x timer properties.
pub const DELAY_KEYS: [&str; 4] = [
    keys::DELAY,
    keys::TIMER_DELAY_SEC,
    keys::TIMER_DELAY_MS,
    keys::TIMER_DELIVER_MS,
];

/// When a delayed message is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// A delay level (`DELAY`), 1..=18 with the broker's default levels.
    Level(i32),
    /// This long after the broker stores it (`TIMER_DELAY_SEC` / `TIMER_DELAY_MS`).
    After(Duration),
    /// At this time, ms since the Unix epoch (`TIMER_DELIVER_MS`).
    At(i64),
}

impl Delay {
    /// The delay `props` ask for (see [`Message::delay`]).
    pub fn of(props: &Properties) -> Option<Self> {
        let num = |k| props.get(k).and_then(|v| v.parse::<i64>().ok());
        if let Some(level) = props.get(keys::DELAY).and_then(|v| v.parse::<i32>().ok()) {
            if level > 0 {
                return Some(Self::Level(level));
            }
        }
        if let Some(s) = num(keys::TIMER_DELAY_SEC) {
            return Some(Self::After(Duration::from_secs(u64::try_from(s).ok()?)));
        }
        if let Some(ms) = num(keys::TIMER_DELAY_MS) {
            return Some(Self::After(Duration::from_millis(u64::try_from(ms).ok()?)));
        }
        num(keys::TIMER_DELIVER_MS).map(Self::At)
    }

    /// Whether this is a 5.x timer delay (not a level).
    pub fn is_timer(&self) -> bool {
        !matches!(self, Self::Level(_))
    }
}

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

    /// Sets the delay level (`DELAY`, 1..=18 with the broker's default levels `1s 5s 10s
    /// 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h`; a broker caps higher levels);
    /// replaces a timer delay or deliver time. Zero or less means no delay, as in Java.
    pub fn with_delay_level(mut self, level: i32) -> Self {
        self.clear_delays();
        self.with_property(keys::DELAY, level.to_string())
    }

    /// Delivers the message `delay` after the broker stores it (5.x timer messages:
    /// `TIMER_DELAY_SEC` for whole seconds, else `TIMER_DELAY_MS`); replaces a delay level or
    /// deliver time. A zero delay removes every delay. Brokers deliver on whole seconds and
    /// refuse more than their `timerMaxDelaySec` (3 days by default) with code 13.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.clear_delays();
        if delay.is_zero() {
            return self;
        }
        if delay.subsec_nanos() == 0 {
            self.with_property(keys::TIMER_DELAY_SEC, delay.as_secs().to_string())
        } else {
            // A sub-millisecond remainder rounds up: never earlier than asked.
            let ms = delay.as_nanos().div_ceil(1_000_000);
            self.with_property(keys::TIMER_DELAY_MS, ms.to_string())
        }
    }

    /// Delivers the message at `epoch_ms` (ms since the Unix epoch; 5.x `TIMER_DELIVER_MS`);
    /// replaces a delay level or timer delay. The Rust broker refuses a time not in its
    /// future with code 13 (a Java broker delivers it at once).
    pub fn with_deliver_time(mut self, epoch_ms: i64) -> Self {
        self.clear_delays();
        self.with_property(keys::TIMER_DELIVER_MS, epoch_ms.to_string())
    }

    /// Removes every delay property (`DELAY` and the 5.x timer properties).
    fn clear_delays(&mut self) {
        for key in DELAY_KEYS {
            self.properties.remove(key);
        }
    }

    /// The message's delay, from its properties (in the broker's precedence: a level, then
    /// `TIMER_DELAY_SEC`, `TIMER_DELAY_MS`, `TIMER_DELIVER_MS`); `None` when it has none or
    /// a value is not a number.
    pub fn delay(&self) -> Option<Delay> {
        Delay::of(&self.properties)
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

    #[test]
    fn delays_replace_each_other() {
        let m = Message::new("T", "b").with_delay_level(2);
        assert_eq!(m.delay(), Some(Delay::Level(2)));
        let m = m.with_delay(Duration::from_secs(2));
        assert_eq!(m.property(keys::TIMER_DELAY_SEC), Some("2"));
        assert_eq!(m.property(keys::DELAY), None);
        assert_eq!(m.delay(), Some(Delay::After(Duration::from_secs(2))));
        let m = m.with_delay(Duration::from_micros(1500));
        assert_eq!(m.property(keys::TIMER_DELAY_MS), Some("2"));
        assert_eq!(m.property(keys::TIMER_DELAY_SEC), None);
        let m = m.with_deliver_time(1_700_000_000_000);
        assert_eq!(m.delay(), Some(Delay::At(1_700_000_000_000)));
        assert_eq!(m.property(keys::TIMER_DELAY_MS), None);
        let m = m.with_delay(Duration::ZERO);
        assert_eq!(m.delay(), None);
        assert!(DELAY_KEYS.iter().all(|k| m.property(k).is_none()));
        assert_eq!(Message::new("T", "b").with_delay_level(0).delay(), None);
    }
}
