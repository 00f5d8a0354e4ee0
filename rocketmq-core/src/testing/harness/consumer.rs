//! Consumer helpers of the harness: start a consumer, see its deliveries, answer them by
//! hand or with a listener, as an application would.

use std::collections::BTreeSet;

use rocketmq_proto::message::MessageExt;

use super::Harness;
use crate::consumer::Delivery;
use crate::{ConsumeResult, ConsumerConfig, ConsumerId, DeliveryId, Event};

/// Answers deliveries as the application would (see [`Harness::set_listener`]).
pub(super) struct Listener(pub(super) Box<dyn FnMut(&Delivery) -> ConsumeResult>);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener")
    }
}

/// What the harness knows of deliveries: those it answered and the first event not yet
/// seen by the listener.
#[derive(Debug, Default)]
pub(super) struct Deliveries {
    pub(super) answered: BTreeSet<DeliveryId>,
    pub(super) listener: Option<Listener>,
    /// Events before this index were offered to the listener.
    pub(super) heard: usize,
}

impl Harness {
    /// Creates a consumer, subscribes it to `(topic, tag expression)` pairs, starts it and
    /// drives until settled.
    pub fn start_consumer(
        &mut self,
        config: ConsumerConfig,
        subscriptions: &[(&str, &str)],
    ) -> ConsumerId {
        let id = self.client.create_consumer(config);
        for (topic, expr) in subscriptions {
            let now = self.now;
            let subscribed = self
                .client
                .consumer(id)
                .and_then(|c| c.subscribe(now, topic, expr));
            subscribed.expect("subscription accepted");
        }
        let now = self.now;
        let started = self.client.consumer(id).and_then(|c| c.start(now));
        started.expect("consumer starts");
        self.drive();
        id
    }

    /// Deliveries neither answered (through the harness) nor revoked, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        let revoked: BTreeSet<DeliveryId> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::DeliveryRevoked { delivery, .. } => Some(*delivery),
                _ => None,
            })
            .collect();
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Deliver(d) => Some(d),
                _ => None,
            })
            .filter(|d| !self.deliveries.answered.contains(&d.id) && !revoked.contains(&d.id))
            .cloned()
            .collect()
    }

    /// Every message delivered to `consumer` so far, in delivery order (redeliveries again).
    pub fn delivered(&self, consumer: ConsumerId) -> Vec<MessageExt> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Deliver(d) if d.consumer == consumer => Some(d.messages.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The deliveries revoked so far.
    pub fn revoked(&self) -> Vec<DeliveryId> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::DeliveryRevoked { delivery, .. } => Some(*delivery),
                _ => None,
            })
            .collect()
    }

    /// Answers a delivery (does not drive); panics if the client refuses the answer.
    pub fn ack(&mut self, delivery: DeliveryId, result: ConsumeResult) {
        self.deliveries.answered.insert(delivery);
        let now = self.now;
        self.client
            .consume_result(now, delivery, result)
            .expect("a delivery the client handed out");
        self.pump();
    }

    /// Answers every pending delivery with `result` (does not drive); returns how many.
    pub fn ack_all(&mut self, result: ConsumeResult) -> usize {
        let pending = self.deliveries();
        for d in &pending {
            self.ack(d.id, result);
        }
        pending.len()
    }

    /// From now on answers every delivery at once with `listener`, as an application's
    /// message listener would (deliveries already pending are answered at the next pump).
    pub fn set_listener(&mut self, listener: impl FnMut(&Delivery) -> ConsumeResult + 'static) {
        self.deliveries.listener = Some(Listener(Box::new(listener)));
        self.deliveries.heard = 0;
    }

    /// Stops answering deliveries automatically.
    pub fn clear_listener(&mut self) {
        self.deliveries.listener = None;
    }

    /// Offers new deliveries to the listener; whether it answered any.
    pub(super) fn hear(&mut self) -> bool {
        let Some(mut listener) = self.deliveries.listener.take() else {
            return false;
        };
        let mut answered = false;
        while self.deliveries.heard < self.events.len() {
            let i = self.deliveries.heard;
            self.deliveries.heard += 1;
            let Event::Deliver(d) = &self.events[i] else {
                continue;
            };
            let d = d.clone();
            let revoked = self.events[i..]
                .iter()
                .any(|e| matches!(e, Event::DeliveryRevoked { delivery, .. } if *delivery == d.id));
            if revoked || self.deliveries.answered.contains(&d.id) {
                continue;
            }
            let result = (listener.0)(&d);
            self.deliveries.answered.insert(d.id);
            let now = self.now;
            // A delivery revoked meanwhile takes the answer as late; never refused.
            let _ = self.client.consume_result(now, d.id, result);
            answered = true;
        }
        self.deliveries.listener = Some(listener);
        answered
    }
}
