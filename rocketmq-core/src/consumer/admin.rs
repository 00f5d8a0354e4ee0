//! Requests a broker sends a client's consumers (CONSUMER.md §7): reset offsets (220),
//! consumer status (221), running info (307, with the properties Java admin tools need),
//! and consume one message directly (309, answered by the application).

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::{
    ConsumerRunningInfo, GetConsumerStatusBody, MessageModel, ProcessQueueInfo, ResetOffsetBody,
};
use rocketmq_proto::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
    GetConsumerStatusRequestHeader, ResetOffsetRequestHeader,
};
use rocketmq_proto::message::decode_stored_message;
use rocketmq_proto::{version, RemotingCommand, ResponseCode};

use super::queue::Phase;
use super::Consumers;
use crate::client::Instance;
use crate::event::Event;
use crate::ids::{ConnId, ConsumerId, DirectId};
use crate::lifecycle::ServiceState;

impl Consumers {
    /// The running consumer of `group`.
    fn by_group(&self, group: &str) -> Option<ConsumerId> {
        self.slots
            .iter()
            .find(|c| c.config.group == group && c.state == ServiceState::Running)
            .map(|c| c.id)
    }

    /// RESET_CONSUMER_CLIENT_OFFSET: the push consumer of the group drops the queues named,
    /// sets and persists their new offsets, and takes them again by a rebalance (Java
    /// `MQClientInstance#resetOffset`, without its 10 s sleep: deliveries are revoked).
    pub(crate) fn reset_offsets(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        cmd: &RemotingCommand,
    ) {
        let Ok(h) = ResetOffsetRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return tracing::warn!("bad reset offset header");
        };
        let table = match ResetOffsetBody::from_json(&cmd.body) {
            Ok(b) => b.offset_table,
            Err(e) => return tracing::warn!(error = %e, "bad reset offset body"),
        };
        let Some(id) = self.by_group(&h.group) else {
            return;
        };
        if !self.get(id).is_some_and(|c| c.config.is_push()) {
            return;
        }
        for (mq, offset) in table.into_iter().filter(|(mq, _)| mq.topic == h.topic) {
            tracing::info!(queue = ?mq, offset, "offset reset by the broker");
            let Some(c) = self.get_mut(id) else { return };
            let key = c.queues.key_of(&mq);
            self.revoke_named(inst, id, &mq);
            let Some(c) = self.get_mut(id) else { return };
            c.offsets.update(&mq, offset, false);
            self.persist_queue(inst, now, id, &mq);
            if let Some(key) = key {
                self.remove_queue(inst, now, id, key, false);
            }
        }
        self.rebalance(inst, now, id);
    }

    /// GET_CONSUMER_STATUS_FROM_CLIENT: the group's offsets of a topic.
    pub(crate) fn consumer_status(&self, cmd: &RemotingCommand) -> RemotingCommand {
        let mut table = BTreeMap::new();
        if let Ok(h) = GetConsumerStatusRequestHeader::from_ext_fields(&cmd.ext_fields) {
            // Java answers push (and old pull) consumers' tables; a lite pull's is empty.
            let push = |c: &&super::Consumer| c.config.is_push();
            if let Some(c) = self
                .by_group(&h.group)
                .and_then(|id| self.get(id))
                .filter(push)
            {
                table.extend(
                    (c.offsets.table().iter())
                        .filter(|(mq, _)| mq.topic == h.topic)
                        .map(|(mq, o)| (mq.clone(), *o)),
                );
            }
        }
        let body = GetConsumerStatusBody {
            message_queue_table: table,
        };
        success(cmd, body.to_json())
    }

    /// GET_CONSUMER_RUNNING_INFO: the consumer's settings, subscriptions and queues.
    pub(crate) fn running_info(
        &self,
        inst: &Instance,
        now: Instant,
        cmd: &RemotingCommand,
    ) -> RemotingCommand {
        let group = GetConsumerRunningInfoRequestHeader::from_ext_fields(&cmd.ext_fields)
            .map(|h| h.consumer_group)
            .unwrap_or_default();
        let Some(c) = self.by_group(&group).and_then(|id| self.get(id)) else {
            return failure(
                cmd,
                &format!("The Consumer Group <{group}> not exist in this consumer"),
            );
        };
        // Instants as wall-clock milliseconds, counted from the consumer's start.
        let ms = |t: Option<Instant>| -> i64 {
            let since = |t: Instant| t.saturating_duration_since(c.started_at.unwrap_or(now));
            t.map_or(0, |t| {
                c.started_ms + i64::try_from(since(t).as_millis()).unwrap_or(0)
            })
        };
        let mut info = ConsumerRunningInfo::default();
        let p = &mut info.properties;
        let push = c.config.is_push();
        let consume_type = if push {
            "CONSUME_PASSIVELY"
        } else {
            "CONSUME_ACTIVELY"
        };
        p.insert(
            ConsumerRunningInfo::PROP_CONSUME_TYPE.into(),
            consume_type.into(),
        );
        p.insert(
            ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP.into(),
            c.started_ms.to_string(),
        );
        let addrs: String = inst
            .config
            .name_servers
            .iter()
            .map(|a| format!("{a};"))
            .collect();
        p.insert(ConsumerRunningInfo::PROP_NAMESERVER_ADDR.into(), addrs);
        p.insert(
            ConsumerRunningInfo::PROP_CLIENT_VERSION.into(),
            version_name(),
        );
        if push {
            p.insert(
                ConsumerRunningInfo::PROP_CONSUME_ORDERLY.into(),
                c.config.is_orderly().to_string(),
            );
            p.insert(
                ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE.into(),
                c.config.consume_thread_max.to_string(),
            );
        }
        for (k, v) in settings(c) {
            p.insert(k.into(), v);
        }
        info.subscription_set = c.subs.all().cloned().collect();
        for (_, q) in c.queues.iter().filter(|(_, q)| q.phase != Phase::Dropped) {
            let (min, max) = q.pq.offset_range().unwrap_or((0, 0));
            let pq = ProcessQueueInfo {
                commit_offset: c.offsets.read(&q.mq).unwrap_or(-1),
                cached_msg_min_offset: min,
                cached_msg_max_offset: max,
                cached_msg_count: q.pq.count() as i32,
                cached_msg_size_in_mib: (q.pq.bytes() / (1024 * 1024)) as i32,
                locked: q.locked,
                last_lock_timestamp: ms(q.last_lock),
                last_pull_timestamp: ms(q.last_pull),
                last_consume_timestamp: ms(q.last_consume),
                ..ProcessQueueInfo::default()
            };
            info.mq_table.insert(q.mq.clone(), pq);
        }
        success(cmd, info.to_json())
    }

    /// CONSUME_MESSAGE_DIRECTLY: hands the message to the application (or answers that the
    /// group is not here, or the message unreadable).
    pub(crate) fn consume_directly(
        &mut self,
        inst: &mut Instance,
        conn: ConnId,
        cmd: &RemotingCommand,
    ) -> Option<RemotingCommand> {
        let group = ConsumeMessageDirectlyResultRequestHeader::from_ext_fields(&cmd.ext_fields)
            .map(|h| h.consumer_group)
            .unwrap_or_default();
        let id = self
            .by_group(&group)
            .filter(|id| self.get(*id).is_some_and(|c| c.config.is_push()));
        let Some(id) = id else {
            return Some(failure(
                cmd,
                &format!("The Consumer Group <{group}> not exist in this consumer"),
            ));
        };
        let mut message = match decode_stored_message(&mut &cmd.body[..]) {
            Ok(m) => m,
            Err(e) => return Some(failure(cmd, &format!("undecodable message: {e}"))),
        };
        super::deliver::restore_retry_topic(&mut message, &group);
        let request = DirectId(self.next_direct);
        self.next_direct += 1;
        self.directs.insert(request, (conn, cmd.opaque, id));
        inst.push_event(Event::ConsumeDirectly {
            request,
            consumer: id,
            message,
        });
        None
    }
}

/// The answer to a server request with a JSON body.
fn success(cmd: &RemotingCommand, body: String) -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, cmd.opaque, None)
        .with_body(Bytes::from(body.into_bytes()))
}

/// A SYSTEM_ERROR answer to a server request.
pub(crate) fn failure(cmd: &RemotingCommand, remark: &str) -> RemotingCommand {
    RemotingCommand::response(
        ResponseCode::SYSTEM_ERROR,
        cmd.opaque,
        Some(remark.to_owned()),
    )
}

/// The client's version as Java names it (`V5_3_3`).
fn version_name() -> String {
    match version::CURRENT {
        version::V5_3_3 => "V5_3_3".to_owned(),
        v => v.to_string(),
    }
}

/// The consumer's settings by their Java names (Java adds every config field).
fn settings(c: &super::Consumer) -> Vec<(&'static str, String)> {
    let cfg = &c.config;
    let model = match cfg.message_model {
        MessageModel::Clustering => "CLUSTERING",
        MessageModel::Broadcasting => "BROADCASTING",
    };
    vec![
        ("consumerGroup", cfg.group.clone()),
        ("messageModel", model.to_owned()),
        ("pullBatchSize", cfg.pull_batch_size.to_string()),
        (
            "pullThresholdForQueue",
            cfg.pull_threshold_for_queue.to_string(),
        ),
        (
            "pullThresholdSizeForQueue",
            cfg.pull_threshold_size_for_queue.to_string(),
        ),
        (
            "consumeMessageBatchMaxSize",
            cfg.consume_message_batch_max_size.to_string(),
        ),
        ("consumeThreadMax", cfg.consume_thread_max.to_string()),
        (
            "consumeConcurrentlyMaxSpan",
            cfg.consume_concurrently_max_span.to_string(),
        ),
        (
            "maxReconsumeTimes",
            cfg.effective_max_reconsume_times().to_string(),
        ),
        (
            "consumeTimeout",
            (cfg.consume_timeout.as_secs() / 60).to_string(),
        ),
        ("allocateMessageQueueStrategy", cfg.allocate.name()),
    ]
}
