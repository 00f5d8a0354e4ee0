//! `ProcessQueue`: the messages of one queue pulled and not yet finished (Java
//! `ProcessQueue`), what flow control counts, and the commit rule — a queue's consumed
//! offset never passes a message that is still cached (CONSUMER.md §3.6).

use std::collections::BTreeMap;

use rocketmq_proto::message::MessageExt;

/// One cached message: its body size, and the message itself while the client still has to
/// hand it out (orderly queues keep it until it is taken; concurrent deliveries take it at
/// once and the entry only counts).
#[derive(Debug)]
struct Cached {
    size: usize,
    msg: Option<MessageExt>,
}

/// See the module doc.
#[derive(Debug, Default)]
pub(crate) struct ProcessQueue {
    /// Cached messages by queue offset (Java `msgTreeMap`).
    msgs: BTreeMap<i64, Cached>,
    /// Orderly: messages taken for the delivery in flight (Java
    /// `consumingMsgOrderlyTreeMap`); they still count as cached.
    consuming: BTreeMap<i64, Cached>,
    /// Messages cached, taken ones included.
    count: usize,
    /// Bytes of their bodies.
    bytes: usize,
    /// Offset of the last message newly cached (Java `queueOffsetMax`).
    max_offset: i64,
}

impl ProcessQueue {
    /// Messages cached (pulled and not finished).
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Bytes of the cached bodies.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Distance between the first and the last cached offset (Java `getMaxSpan`).
    pub(crate) fn max_span(&self) -> i64 {
        match (self.msgs.first_key_value(), self.msgs.last_key_value()) {
            (Some((first, _)), Some((last, _))) => last - first,
            _ => 0,
        }
    }

    /// Whether no message waits to be taken (orderly).
    pub(crate) fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    /// Smallest and largest cached offsets (for admin output).
    pub(crate) fn offset_range(&self) -> Option<(i64, i64)> {
        let first = self.msgs.first_key_value().map(|(k, _)| *k);
        let last = self.msgs.last_key_value().map(|(k, _)| *k);
        first.zip(last)
    }

    /// Caches pulled messages; those already cached are ignored. `keep` holds them here
    /// to be taken later (orderly); otherwise only their offsets and sizes are kept.
    /// Returns how many were new.
    pub(crate) fn put(&mut self, msgs: &[MessageExt], keep: bool) -> usize {
        let mut added = 0;
        for m in msgs {
            let offset = m.queue_offset;
            if self.msgs.contains_key(&offset) || self.consuming.contains_key(&offset) {
                continue;
            }
            let size = m.message.body.len();
            let msg = keep.then(|| m.clone());
            self.msgs.insert(offset, Cached { size, msg });
            self.count += 1;
            self.bytes += size;
            self.max_offset = offset;
            added += 1;
        }
        added
    }

    /// Removes finished messages (concurrent; Java `removeMessage`): the offset to commit,
    /// that of the first message still cached or one past the last one cached, or `None`
    /// when nothing was cached.
    pub(crate) fn remove(&mut self, offsets: &[i64]) -> Option<i64> {
        if self.msgs.is_empty() {
            return None;
        }
        for offset in offsets {
            if let Some(c) = self.msgs.remove(offset) {
                self.count -= 1;
                self.bytes -= c.size;
            }
        }
        if self.count == 0 {
            self.bytes = 0;
        }
        Some(
            self.msgs
                .first_key_value()
                .map_or(self.max_offset + 1, |(k, _)| *k),
        )
    }

    /// Whether `offset` is still cached (a concurrent message not yet finished).
    pub(crate) fn contains(&self, offset: i64) -> bool {
        self.msgs.contains_key(&offset)
    }

    /// The first cached offset (for the consume timeout scan).
    pub(crate) fn first_offset(&self) -> Option<i64> {
        self.msgs.first_key_value().map(|(k, _)| *k)
    }

    /// Orderly: takes up to `n` messages in offset order for one delivery (Java
    /// `takeMessages`); they stay cached until committed or put back.
    pub(crate) fn take(&mut self, n: usize) -> Vec<MessageExt> {
        let mut taken = Vec::new();
        while taken.len() < n {
            let Some((offset, mut c)) = self.msgs.pop_first() else {
                break;
            };
            if let Some(m) = c.msg.take() {
                taken.push(m.clone());
                c.msg = Some(m);
            }
            self.consuming.insert(offset, c);
        }
        taken
    }

    /// Orderly: the taken messages are done; returns the offset to commit, one past the
    /// last taken (Java `commit`), or `None` when nothing was taken.
    pub(crate) fn commit(&mut self) -> Option<i64> {
        let last = *self.consuming.last_key_value()?.0;
        for c in std::mem::take(&mut self.consuming).into_values() {
            self.count -= 1;
            self.bytes -= c.size;
        }
        if self.count == 0 {
            self.bytes = 0;
        }
        Some(last + 1)
    }

    /// Orderly: puts taken messages back to be delivered again, their reconsume count
    /// raised by one (Java `makeMessageToConsumeAgain`).
    pub(crate) fn put_back(&mut self) {
        for (offset, mut c) in std::mem::take(&mut self.consuming) {
            if let Some(m) = &mut c.msg {
                m.reconsume_times = m.reconsume_times.saturating_add(1);
            }
            self.msgs.insert(offset, c);
        }
    }

    /// Forgets everything cached (the queue is dropped or reset).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rocketmq_proto::message::{Message, MessageExt};

    use super::ProcessQueue;

    fn msg(offset: i64, body: usize) -> MessageExt {
        MessageExt {
            message: Message::new("T", Bytes::from(vec![b'x'; body])),
            queue_id: 0,
            store_size: 0,
            queue_offset: offset,
            commit_log_offset: offset * 100,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: ([127, 0, 0, 1], 0).into(),
            store_timestamp: 0,
            store_host: ([127, 0, 0, 1], 0).into(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            msg_id: String::new(),
            offset_msg_id: String::new(),
        }
    }

    fn msgs(offsets: impl IntoIterator<Item = i64>) -> Vec<MessageExt> {
        offsets.into_iter().map(|o| msg(o, 10)).collect()
    }

    /// CONSUMER.md §3.6, golden (J).
    #[test]
    fn the_commit_offset_never_passes_a_cached_message() {
        let mut pq = ProcessQueue::default();
        assert_eq!(pq.remove(&[5]), None, "step 0");
        assert_eq!(pq.put(&msgs(10..=14), false), 5, "step 1");
        assert_eq!((pq.count(), pq.bytes(), pq.max_span()), (5, 50, 4));
        assert_eq!(pq.put(&msgs([12]), false), 0, "step 2: a duplicate");
        assert_eq!(pq.count(), 5);
        assert_eq!(pq.remove(&[12]), Some(10), "step 3");
        assert_eq!(pq.count(), 4);
        assert_eq!(pq.remove(&[10]), Some(11), "step 4");
        assert_eq!(pq.remove(&[11, 13]), Some(14), "step 5");
        assert_eq!(pq.count(), 1);
        assert_eq!(pq.remove(&[99]), Some(14), "step 6");
        assert_eq!(pq.remove(&[14]), Some(15), "step 7");
        assert_eq!((pq.count(), pq.bytes()), (0, 0));
        assert_eq!(pq.remove(&[14]), None, "step 8");
    }

    /// CONSUMER.md §4.7, golden (J).
    #[test]
    fn orderly_take_commit_and_put_back() {
        let mut pq = ProcessQueue::default();
        pq.put(&msgs(20..=23), true);
        let offsets = |v: Vec<MessageExt>| v.iter().map(|m| m.queue_offset).collect::<Vec<_>>();
        assert_eq!(offsets(pq.take(2)), [20, 21]);
        pq.put_back();
        let again = pq.take(1);
        assert_eq!(offsets(again.clone()), [20]);
        assert_eq!(again[0].reconsume_times, 1, "put back counts a reconsume");
        assert_eq!(pq.commit(), Some(21));
        assert_eq!(pq.count(), 3);
        assert_eq!(offsets(pq.take(3)), [21, 22, 23]);
        pq.put_back();
        assert_eq!((pq.count(), pq.first_offset()), (3, Some(21)));
        assert_eq!(pq.take(10).len(), 3);
        assert_eq!(pq.commit(), Some(24));
        assert_eq!(pq.count(), 0);
        assert!(pq.take(1).is_empty());
        assert_eq!(pq.commit(), None, "nothing taken");
    }
}
