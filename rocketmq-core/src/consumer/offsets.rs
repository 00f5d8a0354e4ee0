//! A consumer's offsets (Java `RemoteBrokerOffsetStore` / `LocalFileOffsetStore`): the
//! consumed offset of each queue in memory, and, for broadcasting, what the local file holds.
//!
//! The remote store reaches the broker by UPDATE_CONSUMER_OFFSET and with every pull; the
//! local store cannot write a file itself, so it hands its table to the application
//! ([`Event::PersistOffsets`](crate::Event::PersistOffsets)) and takes the file's contents
//! back at start.

use std::collections::{BTreeMap, BTreeSet};

use rocketmq_proto::body::MessageQueue;

/// See the module doc.
#[derive(Debug, Default)]
pub(crate) struct OffsetStore {
    /// Broadcasting: offsets live in a local file.
    local: bool,
    /// Consumed offsets in memory.
    table: BTreeMap<MessageQueue, i64>,
    /// Queues whose offset was set after OFFSET_ILLEGAL: later updates are ignored until
    /// the queue is removed (Java `updateAndFreezeOffset`).
    frozen: BTreeSet<MessageQueue>,
    /// Local store: the offsets the file holds (loaded at start, then as persisted).
    file: BTreeMap<MessageQueue, i64>,
}

impl OffsetStore {
    /// A store kept by the broker (`local == false`) or in a local file.
    pub(crate) fn new(local: bool) -> Self {
        Self {
            local,
            ..Self::default()
        }
    }

    /// Whether offsets live in a local file (broadcasting).
    pub(crate) fn is_local(&self) -> bool {
        self.local
    }

    /// Sets a queue's consumed offset; with `increase_only`, only forward. Whether it changed.
    pub(crate) fn update(&mut self, mq: &MessageQueue, offset: i64, increase_only: bool) -> bool {
        if self.frozen.contains(mq) {
            return false;
        }
        match self.table.get_mut(mq) {
            Some(old) if increase_only && offset <= *old => false,
            Some(old) => {
                let changed = *old != offset;
                *old = offset;
                changed
            }
            None => {
                self.table.insert(mq.clone(), offset);
                true
            }
        }
    }

    /// Sets a queue's offset and ignores updates until it is removed.
    pub(crate) fn update_and_freeze(&mut self, mq: &MessageQueue, offset: i64) {
        self.table.insert(mq.clone(), offset);
        self.frozen.insert(mq.clone());
    }

    /// The consumed offset in memory.
    pub(crate) fn read(&self, mq: &MessageQueue) -> Option<i64> {
        self.table.get(mq).copied()
    }

    /// The offset the local file holds.
    pub(crate) fn read_file(&self, mq: &MessageQueue) -> Option<i64> {
        self.file.get(mq).copied()
    }

    /// Forgets a queue's offset in memory (it was persisted, or is stale).
    pub(crate) fn remove(&mut self, mq: &MessageQueue) {
        self.table.remove(mq);
        self.frozen.remove(mq);
    }

    /// Keeps only the queues in `held` (Java `persistAll` forgets the others).
    pub(crate) fn retain(&mut self, held: &BTreeSet<&MessageQueue>) {
        self.table.retain(|mq, _| held.contains(mq));
    }

    /// The offsets in memory of the queues `held` names.
    pub(crate) fn of<'a>(
        &'a self,
        held: impl IntoIterator<Item = &'a MessageQueue>,
    ) -> Vec<(MessageQueue, i64)> {
        held.into_iter()
            .filter_map(|mq| Some((mq.clone(), *self.table.get(mq)?)))
            .collect()
    }

    /// The whole table in memory.
    pub(crate) fn table(&self) -> &BTreeMap<MessageQueue, i64> {
        &self.table
    }

    /// Local store: takes the file's contents (at start).
    pub(crate) fn load(&mut self, file: BTreeMap<MessageQueue, i64>) {
        self.table.extend(file.iter().map(|(k, v)| (k.clone(), *v)));
        self.file = file;
    }

    /// Local store: the file's contents after persisting `offsets` (entries of other queues
    /// kept, as Java's `persistAll` reads the file and overlays them).
    pub(crate) fn persist_local(
        &mut self,
        offsets: Vec<(MessageQueue, i64)>,
    ) -> BTreeMap<MessageQueue, i64> {
        self.file.extend(offsets);
        self.file.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rocketmq_proto::body::MessageQueue;

    use super::OffsetStore;

    #[test]
    fn increase_only_freeze_and_retain() {
        let (a, b) = (
            MessageQueue::new("T", "a", 0),
            MessageQueue::new("T", "a", 1),
        );
        let mut s = OffsetStore::new(false);
        assert!(s.update(&a, 10, true));
        assert!(!s.update(&a, 5, true), "never backwards when increase-only");
        assert!(s.update(&a, 5, false), "a reset may go back");
        s.update_and_freeze(&a, 100);
        assert!(!s.update(&a, 101, false), "frozen");
        assert_eq!(s.read(&a), Some(100));
        s.remove(&a);
        assert!(s.update(&a, 1, true), "removal thaws");
        s.update(&b, 7, true);
        s.retain(&BTreeSet::from([&b]));
        assert_eq!((s.read(&a), s.read(&b)), (None, Some(7)));
    }

    #[test]
    fn the_local_file_keeps_other_queues() {
        let (a, b) = (
            MessageQueue::new("T", "a", 0),
            MessageQueue::new("T", "a", 1),
        );
        let mut s = OffsetStore::new(true);
        s.load([(a.clone(), 3), (b.clone(), 9)].into());
        assert_eq!(s.read(&a), Some(3));
        let file = s.persist_local(vec![(a.clone(), 5)]);
        assert_eq!(file.get(&a), Some(&5));
        assert_eq!(file.get(&b), Some(&9));
        assert_eq!(s.read_file(&a), Some(5));
    }
}
