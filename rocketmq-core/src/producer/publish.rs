//! A topic's publish queues in use: the queues, the round-robin cursor, and each producer's
//! JSON send-header template for the topic.

use std::sync::Arc;

use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::header::{SendHeaderFixed, SendHeaderTemplate};

use super::publish_info::TopicPublishInfo;
use super::select::QueueCursor;
use super::Producers;
use crate::env::Rng;
use crate::ids::ProducerId;

/// Publish queues of a topic in use and its round-robin cursor.
#[derive(Debug)]
pub(crate) struct PublishEntry {
    pub(crate) info: TopicPublishInfo,
    pub(crate) cursor: QueueCursor,
    /// The broker name of each queue, shared: an attempt holds one without allocating.
    pub(crate) broker_names: Vec<Arc<str>>,
    /// Each producer's JSON send header for this topic, written on its first send here.
    headers: Vec<(ProducerId, SendHeaderTemplate)>,
}

impl PublishEntry {
    fn new(info: TopicPublishInfo, cursor: QueueCursor) -> Self {
        let mut e = Self {
            info: TopicPublishInfo::default(),
            cursor,
            broker_names: Vec::new(),
            headers: Vec::new(),
        };
        e.set_info(info);
        e
    }

    /// Replaces the queues, sharing one name per broker.
    fn set_info(&mut self, info: TopicPublishInfo) {
        self.broker_names.clear();
        for q in &info.queues {
            let name = match self.broker_names.last() {
                Some(last) if **last == *q.broker_name => last.clone(),
                _ => Arc::from(q.broker_name.as_str()),
            };
            self.broker_names.push(name);
        }
        self.info = info;
    }

    /// `producer`'s send header template for this topic, written from `fixed` the first time.
    pub(crate) fn header_template<'a>(
        &mut self,
        producer: ProducerId,
        fixed: impl FnOnce() -> SendHeaderFixed<'a>,
    ) -> &SendHeaderTemplate {
        let i = match self.headers.iter().position(|(p, _)| *p == producer) {
            Some(i) => i,
            None => {
                self.headers
                    .push((producer, SendHeaderTemplate::new(&fixed())));
                self.headers.len() - 1
            }
        };
        &self.headers[i].1
    }

    /// Drops a producer's send header (it has shut down).
    pub(crate) fn forget_producer(&mut self, producer: ProducerId) {
        self.headers.retain(|(p, _)| *p != producer);
    }
}

impl Producers {
    /// Whether `topic` has queues to send to.
    pub(crate) fn can_publish(&self, topic: &str) -> bool {
        self.publish.get(topic).is_some_and(|e| e.info.ok())
    }

    /// A topic's route changed: its publish queues follow.
    pub(crate) fn on_route(&mut self, rng: &mut Rng, topic: &str, route: &TopicRouteData) {
        let info = TopicPublishInfo::from_route(topic, route);
        match self.publish.get_mut(topic) {
            Some(e) => e.set_info(info),
            None => {
                let cursor = QueueCursor::new(rng.next_u32());
                self.publish
                    .insert(topic.to_owned(), PublishEntry::new(info, cursor));
            }
        }
    }
}
