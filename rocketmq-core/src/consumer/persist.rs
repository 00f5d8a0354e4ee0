//! Persisting consumed offsets (Java `persistConsumerOffset`, CONSUMER.md §3.6, §6): every
//! 5 s, when a queue is given up and at shutdown. The remote store sends
//! UPDATE_CONSUMER_OFFSET (oneway) to the queue's master, or any replica without one; the
//! local store (broadcasting) hands the whole file's contents to the application.

use std::collections::BTreeSet;
use std::time::Instant;

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::header::UpdateConsumerOffsetRequestHeader;
use rocketmq_proto::{RemotingCommand, RequestCode};

use super::Consumers;
use crate::client::Instance;
use crate::event::Event;
use crate::ids::ConsumerId;
use crate::lifecycle::ServiceState;

impl Consumers {
    /// Persists the offsets of every running consumer's held queues.
    pub(crate) fn persist_all(&mut self, inst: &mut Instance, now: Instant) {
        for i in 0..self.slots.len() {
            let id = ConsumerId(i as u32);
            if self
                .get(id)
                .is_some_and(|c| c.state == ServiceState::Running)
            {
                self.persist_consumer(inst, now, id);
            }
        }
    }

    /// Persists a consumer's offsets of the queues it holds, forgetting the others.
    pub(crate) fn persist_consumer(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get_mut(id) else { return };
        let held: BTreeSet<&MessageQueue> = c.queues.held().collect();
        let offsets = c.offsets.of(held.iter().copied());
        if c.offsets.is_local() {
            let file = c.offsets.persist_local(offsets);
            let group = c.config.group.clone();
            inst.push_event(Event::PersistOffsets {
                consumer: id,
                group,
                offsets: file,
            });
            return;
        }
        c.offsets.retain(&held);
        let group = c.config.group.clone();
        for (mq, offset) in offsets {
            update_offset(inst, now, &group, &mq, offset);
        }
    }

    /// Persists one queue's offset (it is being given up).
    pub(crate) fn persist_queue(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        mq: &MessageQueue,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        let Some(offset) = c.offsets.read(mq) else {
            return;
        };
        if c.offsets.is_local() {
            let file = c.offsets.persist_local(vec![(mq.clone(), offset)]);
            let group = c.config.group.clone();
            inst.push_event(Event::PersistOffsets {
                consumer: id,
                group,
                offsets: file,
            });
            return;
        }
        let group = c.config.group.clone();
        update_offset(inst, now, &group, mq, offset);
    }
}

/// Sends UPDATE_CONSUMER_OFFSET, oneway, to the queue's master (or any replica).
fn update_offset(inst: &mut Instance, now: Instant, group: &str, mq: &MessageQueue, offset: i64) {
    let Some((_, addr)) = inst.routes.find_in_subscribe(&mq.broker_name, 0) else {
        tracing::debug!(queue = ?mq, "no broker to persist the offset to");
        return;
    };
    let mut cmd = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET);
    UpdateConsumerOffsetRequestHeader {
        consumer_group: group.to_owned(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        commit_offset: offset,
        broker_name: Some(mq.broker_name.clone()),
    }
    .to_ext_fields(&mut cmd.ext_fields);
    inst.oneway(now, &addr, cmd);
}
