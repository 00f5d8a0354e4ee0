//! Producer helpers: start, send, and what became of each send.

use std::time::Instant;

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::Message;

use super::Harness;
use crate::{
    Event, ProducerConfig, ProducerId, SendError, SendId, SendOptions, SendResult, SendTarget,
    UsageError,
};

impl Harness {
    /// Creates and starts a producer, then drives until idle.
    pub fn start_producer(&mut self, config: ProducerConfig) -> ProducerId {
        let p = self.client.create_producer(config);
        let started = self.client.producer(p).and_then(|h| h.start(self.now));
        started.expect("producer starts");
        self.drive();
        p
    }

    /// Sends a message with default options (does not drive).
    pub fn send(&mut self, producer: ProducerId, msg: Message) -> SendId {
        self.send_with(producer, msg, SendOptions::default())
    }

    /// Sends a message with options (does not drive); panics if the client refuses it.
    pub fn send_with(&mut self, producer: ProducerId, msg: Message, opts: SendOptions) -> SendId {
        self.try_send(producer, msg, opts).expect("send accepted")
    }

    /// Sends a message with options (does not drive), returning the client's refusal if any.
    pub fn try_send(
        &mut self,
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
    ) -> Result<SendId, UsageError> {
        let id = self.client.producer(producer)?.send(self.now, msg, opts)?;
        self.pump();
        Ok(id)
    }

    /// Sends a message to `target` (does not drive), returning the client's refusal if any.
    pub fn try_send_to(
        &mut self,
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
        target: SendTarget,
    ) -> Result<SendId, UsageError> {
        let id = (self.client.producer(producer)?).send_to(self.now, msg, opts, target)?;
        self.pump();
        Ok(id)
    }

    /// Sends a batch, to `queue` when given (does not drive), returning the client's
    /// refusal if any.
    pub fn try_send_batch(
        &mut self,
        producer: ProducerId,
        msgs: Vec<Message>,
        opts: SendOptions,
        queue: Option<MessageQueue>,
    ) -> Result<SendId, UsageError> {
        let id = (self.client.producer(producer)?).send_batch(self.now, msgs, opts, queue)?;
        self.pump();
        Ok(id)
    }

    /// Every event the client emitted so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events emitted so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.event_times.clear();
        self.deliveries.heard = 0;
        std::mem::take(&mut self.events)
    }

    /// Returns the virtual time at which a send completed.
    pub fn completed_at(&self, id: SendId) -> Option<Instant> {
        self.events
            .iter()
            .zip(&self.event_times)
            .find_map(|(e, t)| match e {
                Event::SendCompleted { id: i, .. } | Event::OnewayCompleted { id: i, .. }
                    if *i == id =>
                {
                    Some(*t)
                }
                _ => None,
            })
    }

    /// Returns the outcome of a sync/async send, if it completed.
    pub fn send_result(&self, id: SendId) -> Option<Result<SendResult, SendError>> {
        self.events.iter().find_map(|e| match e {
            Event::SendCompleted { id: i, result } if *i == id => Some(result.clone()),
            _ => None,
        })
    }

    /// Returns how many completion events a send produced (must be 0 or 1).
    pub fn completions(&self, id: SendId) -> usize {
        self.events
            .iter()
            .filter(|e| {
                matches!(e, Event::SendCompleted { id: i, .. } | Event::OnewayCompleted { id: i, .. } if *i == id)
            })
            .count()
    }

    /// Returns how many send requests for a completed send reached brokers.
    ///
    /// Counts requests carrying the send's `UNIQ_KEY`; for a failed send, the attempts the
    /// error reports.
    pub fn send_attempts(&self, id: SendId) -> u32 {
        match self.send_result(id) {
            Some(Ok(r)) => self
                .brokers
                .values()
                .flat_map(|b| b.received())
                .filter(|c| {
                    c.request_code() == rocketmq_proto::RequestCode::SEND_MESSAGE_V2
                        && c.ext_fields.get("i").is_some_and(|p| p.contains(&r.msg_id))
                })
                .count() as u32,
            Some(Err(SendError::RetriesExhausted { attempts, .. }))
            | Some(Err(SendError::Timeout { attempts, .. })) => attempts,
            Some(Err(_)) => 1,
            None => 0,
        }
    }

    /// Returns how many send requests all brokers received.
    pub fn send_requests(&self) -> usize {
        self.brokers
            .values()
            .map(|b| b.received_count(rocketmq_proto::RequestCode::SEND_MESSAGE_V2))
            .sum()
    }
}
