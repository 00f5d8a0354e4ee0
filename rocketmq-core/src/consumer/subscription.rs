//! A consumer's subscriptions: topic → expression (tags parsed as Java's `FilterAPI`, SQL92
//! passed through), the group's `%RETRY%` topic for clustering push consumers, and the
//! consumer data every heartbeat carries.

use std::collections::BTreeMap;

use rocketmq_proto::body::{ConsumeType, ConsumerData, MessageModel, SubscriptionData};
use rocketmq_proto::message::validate::RETRY_GROUP_TOPIC_PREFIX;
use rocketmq_proto::SubscriptionError;

use super::config::{ConsumerConfig, ConsumerKind};

/// How a subscription filters: by tags (Java `MessageSelector.byTag`) or by an SQL92
/// expression over properties (`bySql`, evaluated by the broker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// A tag expression: `*`, `TagA`, `TagA || TagB`.
    Tag,
    /// An SQL92 expression; needs a broker with `enablePropertyFilter=true`.
    Sql92,
}

/// See the module doc.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    by_topic: BTreeMap<String, SubscriptionData>,
    /// Counts every change of what a heartbeat carries, so its answer tells which
    /// subscriptions the broker has (versions are wall-clock milliseconds: two changes may
    /// share one).
    generation: u64,
}

impl Subscriptions {
    /// Adds or replaces the subscription of `topic`, versioned `version` (ms).
    pub(crate) fn subscribe(
        &mut self,
        topic: &str,
        expression: &str,
        selector: Selector,
        version: i64,
    ) -> Result<(), SubscriptionError> {
        let data = match selector {
            Selector::Tag => SubscriptionData::from_tag_expression(topic, expression, version)?,
            Selector::Sql92 => SubscriptionData::from_sql92(topic, expression, version)?,
        };
        self.by_topic.insert(topic.to_owned(), data);
        self.generation += 1;
        Ok(())
    }

    /// Adds the group's retry topic (`%RETRY%group`, every tag), as Java's push consumer
    /// does in clustering mode.
    pub(crate) fn subscribe_retry(&mut self, group: &str, version: i64) {
        let topic = retry_topic(group);
        let data = SubscriptionData::from_tag_expression(&*topic, "*", version).unwrap_or_default();
        self.by_topic.entry(topic).or_insert(data);
        self.generation += 1;
    }

    /// Removes a topic's subscription; whether there was one.
    pub(crate) fn unsubscribe(&mut self, topic: &str) -> bool {
        self.generation += 1;
        self.by_topic.remove(topic).is_some()
    }

    pub(crate) fn get(&self, topic: &str) -> Option<&SubscriptionData> {
        self.by_topic.get(topic)
    }

    /// The subscribed topics, sorted.
    pub(crate) fn topics(&self) -> impl Iterator<Item = &str> {
        self.by_topic.keys().map(String::as_str)
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &SubscriptionData> {
        self.by_topic.values()
    }

    /// The count of changes so far (see the field).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Marks every subscription changed at `version` (ms): the broker then refuses pulls
    /// carrying an older version until a heartbeat brings the new one (Java bumps it when a
    /// rebalance changed the queues).
    pub(crate) fn bump_version(&mut self, version: i64) {
        for s in self.by_topic.values_mut() {
            if s.sub_version != version {
                s.sub_version = version;
                self.generation += 1;
            }
        }
    }

    /// The heartbeat entry of a consumer with these subscriptions (CONSUMER.md §8.1): every
    /// field the broker requires.
    pub(crate) fn heartbeat_entry(&self, config: &ConsumerConfig, assigned: bool) -> ConsumerData {
        let (consume_type, from) = match config.kind {
            ConsumerKind::Push { .. } => {
                (ConsumeType::ConsumePassively, config.consume_from.wire())
            }
            ConsumerKind::LitePull => (
                ConsumeType::ConsumeActively,
                rocketmq_proto::body::ConsumeFromWhere::ConsumeFromLastOffset,
            ),
        };
        // An assigning lite consumer sends the subscription with every pull instead.
        let subscription_data_set = match assigned {
            true => Vec::new(),
            false => self.by_topic.values().cloned().collect(),
        };
        ConsumerData {
            consume_from_where: from,
            consume_type,
            group_name: config.group.clone(),
            message_model: config.message_model,
            subscription_data_set,
            unit_mode: false,
        }
    }
}

/// The retry topic of a group (`%RETRY%group`).
pub(crate) fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// Whether push consumers of this config subscribe the group's retry topic.
pub(crate) fn wants_retry_topic(config: &ConsumerConfig) -> bool {
    config.is_push() && config.message_model == MessageModel::Clustering
}
