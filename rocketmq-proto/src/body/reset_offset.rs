//! `ResetOffsetBody` (RESET_CONSUMER_CLIENT_OFFSET), whose map has object keys.
//!
//! fastjson writes `Map<MessageQueue, Long>` with each key as a JSON object (spec §4.4):
//! `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:100}}`. That is
//! not JSON, so the outer structure is walked by hand here and each key, value and
//! unknown field is parsed by `serde_json` in place.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, IgnoredAny};

use super::json;
use super::message_queue::MessageQueue;
use crate::error::BodyError;

const WHAT: &str = "ResetOffsetBody";

/// Offsets a broker asks a consumer to reset to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResetOffsetBody {
    /// Target offset per queue, sorted by queue.
    pub offset_table: Vec<(MessageQueue, i64)>,
}

impl ResetOffsetBody {
    /// Decodes the body.
    ///
    /// Map keys may be objects (fastjson) or strings holding a `MessageQueue` object in
    /// JSON. A `null` table or `null` offsets are skipped; for a repeated queue the last
    /// offset wins. Other fields are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        let mut cur = Cursor { bytes, pos: 0 };
        let table = cur.body().map_err(|m| json::error(WHAT, m))?;
        Ok(Self {
            offset_table: table.into_iter().collect(),
        })
    }

    /// Encodes in fastjson's form, with object keys (what Java brokers send).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"offsetTable\":{");
        for (i, (mq, offset)) in self.offset_table.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json::to_string(mq));
            out.push(':');
            out.push_str(&offset.to_string());
        }
        out.push_str("}}");
        out
    }
}

/// A read position in the body.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// The whole body: an object whose `offsetTable` is read, other fields skipped.
    fn body(&mut self) -> Result<BTreeMap<MessageQueue, i64>, String> {
        let mut table = BTreeMap::new();
        self.expect(b'{')?;
        if !self.eat(b'}') {
            loop {
                let key: String = self.value()?;
                self.expect(b':')?;
                if key == "offsetTable" {
                    self.offset_table(&mut table)?;
                } else {
                    self.value::<IgnoredAny>()?;
                }
                if self.eat(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(format!("trailing characters at byte {}", self.pos));
        }
        Ok(table)
    }

    /// The `offsetTable` value: `null` or a map with object or string keys.
    fn offset_table(&mut self, table: &mut BTreeMap<MessageQueue, i64>) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(b'n') {
            return self.value::<()>();
        }
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.skip_ws();
            let mq = match self.peek() {
                Some(b'{') => self.value::<MessageQueue>()?,
                Some(b'"') => {
                    let key: String = self.value()?;
                    serde_json::from_str(&key)
                        .map_err(|e| format!("map key {key:?} is not a MessageQueue: {e}"))?
                }
                _ => return Err(format!("expected a MessageQueue key at byte {}", self.pos)),
            };
            self.expect(b':')?;
            if let Some(offset) = self.value::<Option<i64>>()? {
                table.insert(mq, offset);
            }
            if self.eat(b'}') {
                return Ok(());
            }
            self.expect(b',')?;
        }
    }

    /// Parses one JSON value at the current position and moves past it.
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, String> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<T>();
        match stream.next() {
            Some(Ok(v)) => {
                self.pos += stream.byte_offset();
                Ok(v)
            }
            Some(Err(e)) => Err(format!("at byte {}: {e}", self.pos)),
            None => Err(format!("unexpected end at byte {}", self.pos)),
        }
    }

    fn skip_ws(&mut self) {
        while self
            .peek()
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace and consumes `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        let found = self.peek() == Some(b);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Skips whitespace and consumes `b`, or fails.
    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", char::from(b), self.pos))
        }
    }
}
