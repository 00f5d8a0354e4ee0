//! Failed messages going back to the broker (CONSUMER.md §3.5, PROTOCOL.md §8.6):
//! CONSUMER_SEND_MSG_BACK to the master of the message's broker; if that fails, a new
//! message to `%RETRY%group` through the instance's inner producer; if that fails too, the
//! message is delivered again locally after 5 s. A message stays cached, so its queue's
//! offset never passes it, until the broker has it back. Orderly dead letters take the
//! second path directly (Java's orderly `sendMessageBack`).

use std::time::Instant;

use rocketmq_proto::header::ConsumerSendMsgBackRequestHeader;
use rocketmq_proto::message::{keys as property, Message, MessageExt};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::deliver::LOCAL_RETRY_DELAY;
use super::queue::QueueKey;
use super::subscription::retry_topic;
use super::{ConsumerRequest, ConsumerTimer, Consumers, SendBack};
use crate::client::rpc::RequestKind;
use crate::client::Instance;
use crate::ids::ConsumerId;
use crate::timer::TimerKey;

/// A message the instance's inner producer should send for a consumer.
#[derive(Debug)]
pub(crate) struct InternalSend {
    /// The send-back it belongs to.
    pub(crate) send_back: u64,
    pub(crate) msg: Message,
}

/// Timeout of CONSUMER_SEND_MSG_BACK (Java: 5 s).
const SEND_BACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Consumers {
    /// Sends a failed message back with `delay_level`; `orderly` dead-letters it through
    /// the retry topic instead.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_back(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        msg: MessageExt,
        delay_level: i32,
        orderly: bool,
    ) {
        if self.is_sending_back(id, key, msg.queue_offset) && !orderly {
            return;
        }
        let sb = self.next_send_back;
        self.next_send_back += 1;
        let Some(c) = self.get(id) else { return };
        let max = c.config.effective_max_reconsume_times();
        let Some(q) = c.queues.get(key) else { return };
        let broker = q.mq.broker_name.clone();
        let mut cmd = RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK);
        ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: c.config.group.clone(),
            delay_level,
            origin_msg_id: Some(msg.msg_id.clone()),
            origin_topic: Some(msg.message.topic.clone()),
            unit_mode: false,
            max_reconsume_times: Some(i32::try_from(max).unwrap_or(i32::MAX)),
            broker_name: Some(broker.clone()),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        let record = SendBack {
            consumer: id,
            queue: key,
            msg,
            orderly,
        };
        self.send_backs.insert(sb, record);
        if orderly {
            return self.resend(sb);
        }
        match inst.routes.master_of(&broker).cloned() {
            Some(addr) => {
                let kind = RequestKind::Consumer(ConsumerRequest::SendBack(id, sb));
                inst.request(now, &addr, cmd, kind, SEND_BACK_TIMEOUT);
            }
            None => self.resend(sb),
        }
    }

    /// Whether a send-back of this message is under way.
    fn is_sending_back(&self, id: ConsumerId, key: QueueKey, offset: i64) -> bool {
        self.send_backs
            .values()
            .any(|s| s.consumer == id && s.queue == key && s.msg.queue_offset == offset)
    }

    /// The broker's answer to a send-back: on success the message is done.
    pub(crate) fn on_send_back_answer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        sb: u64,
        code: ResponseCode,
    ) {
        if code == ResponseCode::SUCCESS {
            self.send_back_done(inst, now, sb, true);
        } else {
            tracing::debug!(%code, "send-back refused; re-sending to the retry topic");
            self.resend(sb);
        }
    }

    /// The send-back request failed: re-send through the inner producer.
    pub(crate) fn on_send_back_failure(&mut self, sb: u64) {
        self.resend(sb);
    }

    /// Queues a new message to `%RETRY%group` (Java's fallback) for the inner producer.
    fn resend(&mut self, sb: u64) {
        let Some(s) = self.send_backs.get(&sb) else {
            return;
        };
        let Some(c) = self.get(s.consumer) else {
            return;
        };
        let max = c.config.effective_max_reconsume_times();
        let m = &s.msg;
        let mut msg = Message::new(retry_topic(&c.config.group), m.message.body.clone());
        msg.flag = m.message.flag;
        msg.properties = m.message.properties.clone();
        if !msg.properties.contains_key(property::ORIGIN_MESSAGE_ID) {
            msg.properties
                .insert(property::ORIGIN_MESSAGE_ID, m.msg_id.clone());
        }
        msg.properties
            .insert(property::RETRY_TOPIC, m.message.topic.clone());
        msg.properties.insert(
            property::RECONSUME_TIME,
            (m.reconsume_times.saturating_add(1)).to_string(),
        );
        msg.properties.insert(
            property::MAX_RECONSUME_TIMES,
            max.min(i32::MAX as u32).to_string(),
        );
        msg.properties.remove(property::TRAN_MSG);
        let level = 3i32.saturating_add(m.reconsume_times);
        msg.properties.insert(property::DELAY, level.to_string());
        self.wants.sends.push(InternalSend { send_back: sb, msg });
    }

    /// The inner producer's send of a send-back finished.
    pub(crate) fn on_resend_done(&mut self, inst: &mut Instance, now: Instant, sb: u64, ok: bool) {
        self.send_back_done(inst, now, sb, ok);
    }

    /// A send-back ended: the message is done, or delivered again locally later.
    fn send_back_done(&mut self, inst: &mut Instance, now: Instant, sb: u64, ok: bool) {
        let Some(s) = self.send_backs.remove(&sb) else {
            return;
        };
        let (id, key) = (s.consumer, s.queue);
        if s.orderly {
            return self.orderly_dead_lettered(inst, now, id, key, ok);
        }
        if ok {
            return self.finish_messages(id, key, &[s.msg.queue_offset]);
        }
        tracing::warn!(msg_id = %s.msg.msg_id, "could not send a failed message back; retrying it here");
        let Some(c) = self.get_mut(id) else { return };
        let mut msg = s.msg;
        msg.reconsume_times = msg.reconsume_times.saturating_add(1);
        let at = now + LOCAL_RETRY_DELAY;
        c.local_retry.push((at, key, msg));
        inst.timers
            .set(at, TimerKey::Consumer(ConsumerTimer::LocalRetry(id)));
    }

    /// Delivers again the messages whose local retry is due.
    pub(crate) fn on_local_retry(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get_mut(id) else { return };
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut c.local_retry)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        c.local_retry = later;
        for (_, key, msg) in due {
            let cached = c
                .queues
                .get(key)
                .is_some_and(|q| q.is_active() && q.pq.contains(msg.queue_offset));
            if cached {
                c.waiting.push_back((key, vec![msg]));
            }
        }
        self.dispatch_waiting(inst, now, id);
    }
}
