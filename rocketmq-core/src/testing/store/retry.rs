//! Consume retry and delay levels: CONSUMER_SEND_MSG_BACK (36), dead letters, and the
//! schedule that holds `DELAY` messages until they are due.

use std::collections::BTreeMap;
use std::time::Instant;

use rocketmq_proto::header::ConsumerSendMsgBackRequestHeader;
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::validate::{DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};
use rocketmq_proto::message::{keys, MessageEncodeError, MessageExt};
use rocketmq_proto::{RemotingCommand, ResponseCode};

use super::send::Put;
use super::{error, invalid_header, success, BrokerStore};

/// Topic that holds delayed messages until they are due, queue `level - 1` per level.
pub(super) const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// Delayed messages waiting for their due time: (due, sequence) → commit-log offset of the
/// record in [`SCHEDULE_TOPIC`].
#[derive(Debug, Default)]
pub(super) struct Schedule {
    pending: BTreeMap<(Instant, u64), i64>,
    seq: u64,
}

impl Schedule {
    fn add(&mut self, due: Instant, phys: i64) {
        self.pending.insert((due, self.seq), phys);
        self.seq += 1;
    }

    /// Returns when the next delayed message is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.pending.keys().next().map(|(due, _)| *due)
    }

    /// Removes and returns the first delayed message due by `now`.
    fn pop_due(&mut self, now: Instant) -> Option<i64> {
        let entry = self.pending.first_entry()?;
        (entry.key().0 <= now).then(|| entry.remove())
    }
}

impl BrokerStore {
    /// Returns the delay level `ext` is stored with (`DELAY` capped to the table), or `None` if
    /// it is stored at once (no level, a transactional half message, or no table).
    pub(super) fn delay_level_of(&self, ext: &MessageExt) -> Option<usize> {
        let level = usize::try_from(ext.message.delay_level()).ok()?;
        let tx = sys_flag::transaction_type(ext.sys_flag);
        let delayable =
            tx == sys_flag::TRANSACTION_NOT_TYPE || tx == sys_flag::TRANSACTION_COMMIT_TYPE;
        (level > 0 && delayable && !self.config.delay_levels.is_empty())
            .then(|| level.min(self.config.delay_levels.len()))
    }

    /// Stores `ext` in [`SCHEDULE_TOPIC`] queue `level - 1` with its real topic and queue in
    /// `REAL_TOPIC` / `REAL_QID`, due after the level's delay.
    pub(super) fn schedule(
        &mut self,
        now: Instant,
        mut ext: MessageExt,
        level: usize,
    ) -> Result<Put, MessageEncodeError> {
        let delay = self.config.delay_levels[level - 1];
        let props = &mut ext.message.properties;
        props.insert(keys::REAL_TOPIC, ext.message.topic.clone());
        props.insert(keys::REAL_QID, ext.queue_id.to_string());
        props.insert(keys::DELAY, level.to_string());
        ext.message.topic = SCHEDULE_TOPIC.to_owned();
        ext.queue_id = level as i32 - 1;
        let stored = self.log.append(ext)?;
        self.schedule.add(now + delay, stored.commit_log_offset);
        Ok(Put {
            queue_offset: stored.queue_offset,
            offset_msg_id: stored.offset_msg_id,
        })
    }

    /// Stores the first delayed message due by `now` in its real topic and queue (without
    /// `DELAY`), stamped with `wall_ms`.
    pub(super) fn deliver_due(&mut self, now: Instant, wall_ms: i64) {
        let Some(phys) = self.schedule.pop_due(now) else {
            return;
        };
        let Some(stored) = self.log.record(phys) else {
            return; // truncated while it waited
        };
        let mut ext = stored.ext.clone();
        let props = &mut ext.message.properties;
        props.remove(keys::DELAY);
        let topic = props.get(keys::REAL_TOPIC).unwrap_or_default().to_owned();
        let queue_id = props
            .get(keys::REAL_QID)
            .and_then(|q| q.parse().ok())
            .unwrap_or(0);
        ext.message.topic = topic;
        ext.queue_id = queue_id;
        ext.store_timestamp = wall_ms;
        // It was encodable in the schedule topic, with a longer property string.
        let _ = self.put_message(now, wall_ms, ext);
    }

    /// Handles CONSUMER_SEND_MSG_BACK: the message at commit-log offset `offset` goes to
    /// `%RETRY%<group>` after its delay level, or to `%DLQ%<group>`.
    pub(super) fn send_back(
        &mut self,
        now: Instant,
        wall_ms: i64,
        cmd: &RemotingCommand,
    ) -> RemotingCommand {
        let Ok(h) = ConsumerSendMsgBackRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        let Some(stored) = self.log.record(h.offset) else {
            return error(
                cmd,
                ResponseCode::SYSTEM_ERROR,
                format!("look message by offset failed, {}", h.offset),
            );
        };
        let original = stored.ext.clone();
        if self.config.retry_queue_nums <= 0 {
            return success(cmd); // dropped, as the broker does
        }
        let max_reconsume = h
            .max_reconsume_times
            .unwrap_or(self.config.default_max_reconsume_times);
        let mut ext = original.clone();
        let props = &mut ext.message.properties;
        if !props.contains_key(keys::RETRY_TOPIC) {
            props.insert(keys::RETRY_TOPIC, original.message.topic.clone());
        }
        let origin_id = [
            props.get(keys::ORIGIN_MESSAGE_ID),
            h.origin_msg_id.as_deref(),
            props.get(keys::UNIQ_KEY),
        ]
        .into_iter()
        .flatten()
        .find(|id| !id.trim().is_empty())
        .unwrap_or(original.offset_msg_id.as_str())
        .to_owned();
        props.insert(keys::ORIGIN_MESSAGE_ID, origin_id);
        props.insert(keys::WAIT, "false");
        props.remove(keys::DELAY);
        ext.reconsume_times = original.reconsume_times.saturating_add(1);
        ext.store_timestamp = wall_ms;
        ext.store_host = self.store_host;
        ext.queue_id = 0;
        if original.reconsume_times >= max_reconsume || h.delay_level < 0 {
            ext.message.topic = format!("{DLQ_GROUP_TOPIC_PREFIX}{}", h.group);
            self.ensure_queue(&ext.message.topic, 0, 1);
        } else {
            let level = match h.delay_level {
                0 => original.reconsume_times.saturating_add(3),
                level => level,
            };
            ext.message
                .properties
                .insert(keys::DELAY, level.to_string());
            ext.message.topic = format!("{RETRY_GROUP_TOPIC_PREFIX}{}", h.group);
            self.ensure_queue(&ext.message.topic, 0, self.config.retry_queue_nums);
        }
        match self.put_message(now, wall_ms, ext) {
            Ok(_) => success(cmd),
            Err(e) => error(cmd, ResponseCode::SYSTEM_ERROR, e.to_string()),
        }
    }
}
