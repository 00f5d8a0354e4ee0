//! The message log: encoded records by commit-log offset, and the consume queues over them.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use rocketmq_proto::body::java_string_hash;
use rocketmq_proto::message::stored::body_crc32;
use rocketmq_proto::message::{
    encode_offset_msg_id, encode_stored_message, keys, MessageEncodeError, MessageExt,
};

/// One stored message: its record as a broker writes it, and the fields it was built from
/// (the body as stored, compressed or not), so it can be copied to another topic unchanged.
#[derive(Clone, Debug)]
pub(super) struct Stored {
    /// The encoded record (PROTOCOL §8.3).
    pub(super) bytes: Bytes,
    /// The message with every field of the record filled in.
    pub(super) ext: MessageExt,
}

/// One consume-queue entry: where the record is, and what a pull filters on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// Commit-log offset of the record.
    pub(super) phys: i64,
    /// Java `String.hashCode` of the `TAGS` property, 0 without tags.
    pub(super) tags_code: i32,
    /// Store timestamp, epoch milliseconds.
    pub(super) store_timestamp: i64,
}

/// One queue: entries from `min` to `min + entries.len()` (the max offset, exclusive).
#[derive(Debug, Default)]
struct Queue {
    min: i64,
    entries: VecDeque<Entry>,
}

impl Queue {
    fn max(&self) -> i64 {
        self.min + self.entries.len() as i64
    }
}

/// The commit log and the consume queues of one broker.
#[derive(Debug, Default)]
pub(super) struct MessageLog {
    records: BTreeMap<i64, Stored>,
    queues: BTreeMap<String, BTreeMap<i32, Queue>>,
    next_phys: i64,
    /// Fixed commit-log bytes per record, if any (else its size).
    stride: Option<i64>,
}

impl MessageLog {
    /// An empty log whose records take `stride` commit-log bytes each (`None`: their size).
    pub(super) fn new(stride: Option<u32>) -> Self {
        Self {
            stride: stride.map(|n| i64::from(n.max(1))),
            ..Self::default()
        }
    }

    /// Appends `ext` to its queue (`ext.message.topic`, `ext.queue_id`): fills in its queue
    /// offset, commit-log offset, size, CRC and ids, and returns the filled-in message.
    pub(super) fn append(&mut self, mut ext: MessageExt) -> Result<MessageExt, MessageEncodeError> {
        let queue = self
            .queues
            .entry(ext.message.topic.clone())
            .or_default()
            .entry(ext.queue_id)
            .or_default();
        ext.queue_offset = queue.max();
        ext.commit_log_offset = self.next_phys;
        let bytes = Bytes::from(encode_stored_message(&ext)?);
        ext.store_size = bytes.len() as i32;
        ext.body_crc = body_crc32(&ext.message.body);
        ext.offset_msg_id = encode_offset_msg_id(ext.store_host, ext.commit_log_offset);
        ext.msg_id = ext
            .message
            .property(keys::UNIQ_KEY)
            .map_or_else(|| ext.offset_msg_id.clone(), str::to_owned);
        queue.entries.push_back(Entry {
            phys: ext.commit_log_offset,
            tags_code: ext.message.tags().map_or(0, java_string_hash),
            store_timestamp: ext.store_timestamp,
        });
        self.next_phys += self.stride.unwrap_or(bytes.len() as i64);
        self.records.insert(
            ext.commit_log_offset,
            Stored {
                bytes,
                ext: ext.clone(),
            },
        );
        Ok(ext)
    }

    /// Returns the record at commit-log offset `phys`.
    pub(super) fn record(&self, phys: i64) -> Option<&Stored> {
        self.records.get(&phys)
    }

    fn queue(&self, topic: &str, queue_id: i32) -> Option<&Queue> {
        self.queues.get(topic)?.get(&queue_id)
    }

    /// Returns the queue's min offset (0 for an unknown queue).
    pub(super) fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id).map_or(0, |q| q.min)
    }

    /// Returns the queue's max offset, the offset the next message gets (0 for an unknown queue).
    pub(super) fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id).map_or(0, Queue::max)
    }

    /// Returns the entries from `from` (at least the min offset) to the max offset, with
    /// their queue offsets.
    pub(super) fn entries_from(
        &self,
        topic: &str,
        queue_id: i32,
        from: i64,
    ) -> impl Iterator<Item = (i64, Entry)> + '_ {
        let queue = self.queue(topic, queue_id);
        let (min, entries) = queue.map_or((0, None), |q| (q.min, Some(&q.entries)));
        let skip = usize::try_from(from.saturating_sub(min)).unwrap_or(0);
        entries
            .into_iter()
            .flatten()
            .skip(skip)
            .zip(min.saturating_add(skip as i64)..)
            .map(|(e, offset)| (offset, *e))
    }

    /// Moves the queue's min offset up to `offset` (at most the max offset), deleting the
    /// records below it.
    pub(super) fn truncate_before(&mut self, topic: &str, queue_id: i32, offset: i64) {
        let Some(queue) = self
            .queues
            .get_mut(topic)
            .and_then(|q| q.get_mut(&queue_id))
        else {
            return;
        };
        while queue.min < offset {
            let Some(entry) = queue.entries.pop_front() else {
                break;
            };
            self.records.remove(&entry.phys);
            queue.min += 1;
        }
    }

    /// Returns the offset of the first message stored at or after `timestamp` (`upper`:
    /// the last message stored at or before it); the max offset (`upper`: the min offset)
    /// when there is none.
    pub(super) fn search_by_timestamp(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        upper: bool,
    ) -> i64 {
        let entries = || self.entries_from(topic, queue_id, i64::MIN);
        if upper {
            entries()
                .filter(|(_, e)| e.store_timestamp <= timestamp)
                .last()
                .map_or(self.min_offset(topic, queue_id), |(o, _)| o)
        } else {
            entries()
                .find(|(_, e)| e.store_timestamp >= timestamp)
                .map_or(self.max_offset(topic, queue_id), |(o, _)| o)
        }
    }
}
