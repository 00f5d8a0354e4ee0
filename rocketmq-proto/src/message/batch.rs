//! The batch body of SEND_BATCH_MESSAGE (`MessageDecoder.encodeMessages`) and the
//! unwrapping of inner-batch records received from a pull.
//!
//! Each record: `TOTALSIZE i32 | MAGIC i32 = 0 | BODYCRC i32 = 0 | FLAG i32 |
//! BODYLEN i32 | BODY | PROPLEN i16 | PROPERTIES`, with
//! `TOTALSIZE = 22 + BODYLEN + PROPLEN`.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{BatchError, MessageDecodeError};
use super::flags::sys_flag;
use super::properties::{decode_properties, encoded_len, keys, Properties};
use super::reader::Reader;
use super::stored::MessageExt;
use super::validate::RETRY_GROUP_TOPIC_PREFIX;
use super::Message;

/// Size of a batch record without body and properties.
const RECORD_OVERHEAD: usize = 22;
/// Largest properties string the i16 length can describe.
const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// One record of a batch body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEntry {
    /// Application flag.
    pub flag: i32,
    /// Body.
    pub body: Bytes,
    /// Properties.
    pub properties: Properties,
}

/// Checks the batch rules of `MessageBatch.generateFromList` and the size limits.
///
/// Non-empty; no `%RETRY%` topic; every message has the first one's topic and
/// effective `WAIT`; no `DELAY` other than a number ≤ 0 and no 5.x timer property (the
/// broker would store a batch's messages undelayed); properties ≤ 32767 bytes.
pub fn validate_batch(messages: &[Message]) -> Result<(), BatchError> {
    let first = messages.first().ok_or(BatchError::Empty)?;
    if first.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        return Err(BatchError::RetryTopic(first.topic.clone()));
    }
    let first_wait = first.wait_store_msg_ok();
    for (index, msg) in messages.iter().enumerate() {
        if let Some(value) = msg.property(keys::DELAY) {
            if value.parse::<i32>().map_or(true, |level| level > 0) {
                return Err(BatchError::DelayNotSupported {
                    index,
                    value: value.to_owned(),
                });
            }
        }
        for key in [
            keys::TIMER_DELAY_SEC,
            keys::TIMER_DELAY_MS,
            keys::TIMER_DELIVER_MS,
        ] {
            if msg.property(key).is_some() {
                return Err(BatchError::TimerNotSupported { index, key });
            }
        }
        if msg.topic != first.topic {
            return Err(BatchError::MixedTopics {
                index,
                expected: first.topic.clone(),
                found: msg.topic.clone(),
            });
        }
        let wait = msg.wait_store_msg_ok();
        if wait != first_wait {
            return Err(BatchError::MixedWaitStoreMsgOk {
                index,
                expected: first_wait,
                found: wait,
            });
        }
        record_len(index, msg)?;
    }
    Ok(())
}

/// Encodes `messages` as a batch body after [`validate_batch`].
///
/// Inner messages are written as they are: add `UNIQ_KEY`s before calling.
pub fn encode_batch(messages: &[Message]) -> Result<Bytes, BatchError> {
    let mut out = BytesMut::new();
    encode_batch_into(messages, &mut out)?;
    Ok(out.freeze())
}

/// Appends the batch body of `messages` to `out`; on error nothing is appended.
pub fn encode_batch_into(messages: &[Message], out: &mut BytesMut) -> Result<(), BatchError> {
    validate_batch(messages)?;
    let mut total = 0usize;
    for (index, msg) in messages.iter().enumerate() {
        total = total.saturating_add(record_len(index, msg)?.0);
    }
    out.reserve(total);
    for (index, msg) in messages.iter().enumerate() {
        let (len, props_len) = record_len(index, msg)?;
        // Lengths were checked by `record_len`; the casts cannot truncate.
        out.put_i32(len as i32);
        out.put_i32(0);
        out.put_i32(0);
        out.put_i32(msg.flag);
        out.put_i32(msg.body.len() as i32);
        out.put_slice(&msg.body);
        out.put_i16(props_len as i16);
        for (k, v) in &msg.properties {
            out.put_slice(k.as_bytes());
            out.put_u8(1);
            out.put_slice(v.as_bytes());
            out.put_u8(2);
        }
    }
    Ok(())
}

/// `(record length, properties length)` of message `index`, checked against the limits.
fn record_len(index: usize, msg: &Message) -> Result<(usize, usize), BatchError> {
    let props_len = encoded_len(&msg.properties);
    if props_len > MAX_PROPERTIES_LEN {
        return Err(BatchError::PropertiesTooLong {
            index,
            len: props_len,
            max: MAX_PROPERTIES_LEN,
        });
    }
    let len = RECORD_OVERHEAD
        .saturating_add(msg.body.len())
        .saturating_add(props_len);
    if i32::try_from(len).is_err() {
        return Err(BatchError::MessageTooLarge { index, len });
    }
    Ok((len, props_len))
}

/// Bytes of the `UNIQ_KEY` pair a client adds to a message without one: the key, the two
/// separators and the longest id (56 hex characters, an IPv6 host).
pub const UNIQ_KEY_PAIR_MAX_LEN: usize = keys::UNIQ_KEY.len() + 2 + 56;

/// Bytes `msg` takes in a batch body once the client has given it a `UNIQ_KEY`.
pub fn batch_record_len(msg: &Message) -> usize {
    let uniq = if msg.properties.contains_key(keys::UNIQ_KEY) {
        0
    } else {
        UNIQ_KEY_PAIR_MAX_LEN
    };
    RECORD_OVERHEAD + msg.body.len() + encoded_len(&msg.properties) + uniq
}

/// Cuts a list of messages, in order, into batches whose bodies fit in `limit` bytes
/// (Java's `ListSplitter` example, with exact record sizes rather than its estimate).
///
/// A message that alone exceeds the limit is not dropped (as the example does) but
/// yielded as a batch of its own, so its send reports the size.
///
/// ```
/// use rocketmq_proto::message::{batch::BatchSplitter, Message};
///
/// let msgs: Vec<Message> = (0..10).map(|i| Message::new("T", vec![b'x'; 100 + i])).collect();
/// let batches: Vec<Vec<Message>> = BatchSplitter::new(msgs, 1024).collect();
/// assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 10);
/// assert!(batches.len() > 1);
/// ```
#[derive(Debug)]
pub struct BatchSplitter {
    messages: std::iter::Peekable<std::vec::IntoIter<Message>>,
    limit: usize,
}

impl BatchSplitter {
    /// Splits `messages` into batches of at most `limit` bytes each.
    pub fn new(messages: Vec<Message>, limit: usize) -> Self {
        Self {
            messages: messages.into_iter().peekable(),
            limit,
        }
    }
}

impl Iterator for BatchSplitter {
    type Item = Vec<Message>;

    fn next(&mut self) -> Option<Vec<Message>> {
        let first = self.messages.next()?;
        let mut size = batch_record_len(&first);
        let mut batch = vec![first];
        while let Some(next) = self.messages.peek() {
            let len = batch_record_len(next);
            if size.saturating_add(len) > self.limit {
                break;
            }
            size += len;
            batch.extend(self.messages.next());
        }
        Some(batch)
    }
}

/// Decodes a batch body into its records (bodies share `body`'s buffer).
///
/// The magic code and body CRC fields are not checked (Java ignores them);
/// TOTALSIZE must equal the record's length.
pub fn decode_batch(body: &Bytes) -> Result<Vec<BatchEntry>, MessageDecodeError> {
    let mut entries = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let mut r = Reader::new(body, pos, entries.len());
        let total_size = r.i32("TOTALSIZE")?;
        r.limit(pos, total_size, RECORD_OVERHEAD)?;
        r.take(8, "MAGICCODE+BODYCRC")?;
        let flag = r.i32("FLAG")?;
        let body_len = r.len(4, "BODYLEN")?;
        let body_start = r.pos();
        r.take(body_len, "BODY")?;
        let props_len = r.len(2, "PROPERTIESLEN")?;
        let properties = decode_properties(r.str(props_len, "PROPERTIES")?);
        r.finish(pos)?;
        entries.push(BatchEntry {
            flag,
            body: body.slice(body_start..body_start + body_len),
            properties,
        });
        pos = r.pos();
    }
    Ok(entries)
}

/// Unwraps an inner-batch record (sysFlag has INNER_BATCH and NEED_UNWRAP) into its
/// messages, like `MessageDecoder.decodeMessagesFrom`.
///
/// Inner message `i` gets queue offset `outer + i`, its own flag, body and properties,
/// `msg_id` = its `UNIQ_KEY` (else the outer offset id), and every other field of
/// `outer`; NEED_UNWRAP is cleared from `sys_flag` so it is not unwrapped twice.
/// Errors report the record index inside the batch body.
pub fn unwrap_inner_batch(outer: &MessageExt) -> Result<Vec<MessageExt>, MessageDecodeError> {
    let entries = decode_batch(&outer.message.body)?;
    let mut out = Vec::with_capacity(entries.len());
    let mut queue_offset = outer.queue_offset;
    for e in entries {
        let msg_id = e
            .properties
            .get(keys::UNIQ_KEY)
            .map(str::to_owned)
            .unwrap_or_else(|| outer.offset_msg_id.clone());
        out.push(MessageExt {
            message: Message {
                topic: outer.message.topic.clone(),
                flag: e.flag,
                properties: e.properties,
                body: e.body,
            },
            queue_id: outer.queue_id,
            store_size: outer.store_size,
            queue_offset,
            commit_log_offset: outer.commit_log_offset,
            sys_flag: outer.sys_flag & !sys_flag::NEED_UNWRAP_FLAG,
            born_timestamp: outer.born_timestamp,
            born_host: outer.born_host,
            store_timestamp: outer.store_timestamp,
            store_host: outer.store_host,
            reconsume_times: outer.reconsume_times,
            prepared_transaction_offset: outer.prepared_transaction_offset,
            body_crc: outer.body_crc,
            msg_id,
            offset_msg_id: outer.offset_msg_id.clone(),
        });
        queue_offset = queue_offset.wrapping_add(1);
    }
    Ok(out)
}
