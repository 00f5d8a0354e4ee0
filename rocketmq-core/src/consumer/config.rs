//! Consumer settings with Java's names and defaults (`DefaultMQPushConsumer`,
//! `DefaultLitePullConsumer`), and their checks (`DefaultMQPushConsumerImpl#checkConfig`).

use std::time::Duration;

use rocketmq_proto::body::{ConsumeFromWhere, MessageModel};
use rocketmq_proto::message::validate::{validate_group, DEFAULT_CONSUMER_GROUP};

use super::allocate::AllocateStrategy;
use crate::error::ConfigError;

/// What kind of consumer a config describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerKind {
    /// A push consumer (`DefaultMQPushConsumer`): the client pulls and hands messages to
    /// the application as deliveries.
    Push {
        /// Orderly (`MessageListenerOrderly`): one delivery per queue at a time, in offset
        /// order, only while the queue's broker lock is held; else concurrent.
        orderly: bool,
    },
    /// A lite pull consumer (`DefaultLitePullConsumer`): the application polls.
    LitePull,
}

/// Where a group that has no stored offset for a queue starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumeFrom {
    /// The queue's end (`CONSUME_FROM_LAST_OFFSET`; Java's default).
    Last,
    /// The queue's start (`CONSUME_FROM_FIRST_OFFSET`).
    First,
    /// The first message stored at or after this wall-clock time, epoch milliseconds
    /// (`CONSUME_FROM_TIMESTAMP`).
    Timestamp(i64),
}

impl ConsumeFrom {
    /// The heartbeat's name of it.
    pub fn wire(&self) -> ConsumeFromWhere {
        match self {
            Self::Last => ConsumeFromWhere::ConsumeFromLastOffset,
            Self::First => ConsumeFromWhere::ConsumeFromFirstOffset,
            Self::Timestamp(_) => ConsumeFromWhere::ConsumeFromTimestamp,
        }
    }
}

/// Settings of one consumer group; build with [`push`](Self::push),
/// [`push_orderly`](Self::push_orderly) or [`lite_pull`](Self::lite_pull) for Java's
/// defaults of each kind.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ConsumerConfig {
    /// Push (concurrent or orderly) or lite pull.
    pub kind: ConsumerKind,
    /// Consumer group (`consumerGroup`).
    pub group: String,
    /// Clustering (each message to one member) or broadcasting (to every member).
    pub message_model: MessageModel,
    /// Where to start without a stored offset (`consumeFromWhere` + `consumeTimestamp`).
    pub consume_from: ConsumeFrom,
    /// How queues are divided among the group's members (`allocateMessageQueueStrategy`).
    pub allocate: AllocateStrategy,
    /// Most messages one pull asks for (`pullBatchSize`: push 32, lite 10).
    pub pull_batch_size: u32,
    /// Most bytes one pull asks for (`pullBatchSizeInBytes`, 256 KiB).
    pub pull_batch_size_in_bytes: u32,
    /// A queue with more messages cached (pulled, not yet consumed) pauses its pulls
    /// (`pullThresholdForQueue`, 1000).
    pub pull_threshold_for_queue: u32,
    /// A queue with more MiB cached pauses its pulls (`pullThresholdSizeForQueue`, 100).
    pub pull_threshold_size_for_queue: u32,
    /// When set, the per-queue count threshold is this divided by the queues held
    /// (`pullThresholdForTopic`, unset).
    pub pull_threshold_for_topic: Option<u32>,
    /// When set, the per-queue size threshold (MiB) is this divided by the queues held
    /// (`pullThresholdSizeForTopic`, unset).
    pub pull_threshold_size_for_topic: Option<u32>,
    /// Lite pull: pulls pause while more than this many messages wait to be polled
    /// (`pullThresholdForAll`, 10000).
    pub pull_threshold_for_all: u32,
    /// Pause after each found batch before the next pull (`pullInterval`, 0).
    pub pull_interval: Duration,
    /// Most messages in one delivery (`consumeMessageBatchMaxSize`, 1).
    pub consume_message_batch_max_size: u32,
    /// Most deliveries in flight at once across the consumer's queues (Java's consume
    /// thread count, `consumeThreadMax`, 20).
    pub consume_thread_max: u32,
    /// Concurrent: a queue whose cached offsets span more than this pauses its pulls
    /// (`consumeConcurrentlyMaxSpan`, 2000).
    pub consume_concurrently_max_span: u32,
    /// Deliveries of a message before it goes to the dead-letter queue
    /// (`maxReconsumeTimes`; `None`: 16 concurrent, unlimited orderly).
    pub max_reconsume_times: Option<u32>,
    /// A message delivered this long ago without an answer is sent back for a later retry
    /// (`consumeTimeout`, 15 min; concurrent only).
    pub consume_timeout: Duration,
    /// Orderly: how long a queue waits after a failed delivery by default
    /// (`suspendCurrentQueueTimeMillis`, 1 s).
    pub suspend_current_queue_time: Duration,
    /// How long the broker may hold a pull that finds nothing (push 15 s, lite 20 s).
    pub broker_suspend_max_time: Duration,
    /// Timeout of a long-polling pull request (`consumerTimeoutMillisWhenSuspend`, 30 s).
    pub consumer_timeout_when_suspend: Duration,
    /// Send the subscription with every pull (`postSubscriptionWhenPull`, false).
    pub post_subscription_when_pull: bool,
    /// Lite pull: commit consumed offsets on their own (`autoCommit`, true).
    pub auto_commit: bool,
    /// Lite pull: how often offsets are committed on their own (`autoCommitIntervalMillis`,
    /// 5 s; at least 1 s).
    pub auto_commit_interval: Duration,
    /// How long shutdown waits for deliveries in flight before revoking them
    /// (`awaitTerminationMillisWhenShutdown`, 0).
    pub await_termination_when_shutdown: Duration,
}

/// Java's `pullThresholdForTopic` and size range: −1 (unset) or 1..=this.
const MAX_TOPIC_THRESHOLD: u32 = 6_553_500;
const MAX_TOPIC_SIZE_THRESHOLD: u32 = 102_400;

impl ConsumerConfig {
    /// A concurrent push consumer of `group` with Java's defaults.
    pub fn push(group: impl Into<String>) -> Self {
        Self {
            kind: ConsumerKind::Push { orderly: false },
            group: group.into(),
            message_model: MessageModel::Clustering,
            consume_from: ConsumeFrom::Last,
            allocate: AllocateStrategy::default(),
            pull_batch_size: 32,
            pull_batch_size_in_bytes: 256 * 1024,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            pull_threshold_for_topic: None,
            pull_threshold_size_for_topic: None,
            pull_threshold_for_all: 10_000,
            pull_interval: Duration::ZERO,
            consume_message_batch_max_size: 1,
            consume_thread_max: 20,
            consume_concurrently_max_span: 2000,
            max_reconsume_times: None,
            consume_timeout: Duration::from_secs(15 * 60),
            suspend_current_queue_time: Duration::from_secs(1),
            broker_suspend_max_time: Duration::from_secs(15),
            consumer_timeout_when_suspend: Duration::from_secs(30),
            post_subscription_when_pull: false,
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            await_termination_when_shutdown: Duration::ZERO,
        }
    }

    /// An orderly push consumer of `group` with Java's defaults.
    pub fn push_orderly(group: impl Into<String>) -> Self {
        Self {
            kind: ConsumerKind::Push { orderly: true },
            ..Self::push(group)
        }
    }

    /// A lite pull consumer of `group` with Java's defaults.
    pub fn lite_pull(group: impl Into<String>) -> Self {
        Self {
            kind: ConsumerKind::LitePull,
            pull_batch_size: 10,
            broker_suspend_max_time: Duration::from_secs(20),
            ..Self::push(group)
        }
    }

    /// Whether this is an orderly push consumer.
    pub fn is_orderly(&self) -> bool {
        self.kind == ConsumerKind::Push { orderly: true }
    }

    /// Whether this is a push consumer.
    pub fn is_push(&self) -> bool {
        matches!(self.kind, ConsumerKind::Push { .. })
    }

    /// The reconsume limit in effect: the setting, else 16 concurrent and unlimited orderly.
    pub fn effective_max_reconsume_times(&self) -> u32 {
        match (self.max_reconsume_times, self.is_orderly()) {
            (Some(n), _) => n,
            (None, true) => u32::MAX,
            (None, false) => 16,
        }
    }

    /// Checks the settings as Java's `checkConfig` does; a bad one is a typed error naming it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_group(&self.group).map_err(ConfigError::InvalidGroup)?;
        if self.group == DEFAULT_CONSUMER_GROUP {
            return Err(ConfigError::ReservedGroup(self.group.clone()));
        }
        let ranges: [(&'static str, u32, u32, u32); 7] = [
            ("consume_thread_max", self.consume_thread_max, 1, 1000),
            (
                "consume_concurrently_max_span",
                self.consume_concurrently_max_span,
                1,
                65535,
            ),
            (
                "pull_threshold_for_queue",
                self.pull_threshold_for_queue,
                1,
                65535,
            ),
            (
                "pull_threshold_size_for_queue",
                self.pull_threshold_size_for_queue,
                1,
                1024,
            ),
            (
                "consume_message_batch_max_size",
                self.consume_message_batch_max_size,
                1,
                1024,
            ),
            ("pull_batch_size", self.pull_batch_size, 1, 1024),
            (
                "pull_threshold_for_all",
                self.pull_threshold_for_all,
                1,
                u32::MAX,
            ),
        ];
        for (name, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(out_of_range(name, i64::from(value)));
            }
        }
        let topic = [
            (
                "pull_threshold_for_topic",
                self.pull_threshold_for_topic,
                MAX_TOPIC_THRESHOLD,
            ),
            (
                "pull_threshold_size_for_topic",
                self.pull_threshold_size_for_topic,
                MAX_TOPIC_SIZE_THRESHOLD,
            ),
        ];
        for (name, value, max) in topic {
            if let Some(v) = value.filter(|v| !(1..=max).contains(v)) {
                return Err(out_of_range(name, i64::from(v)));
            }
        }
        if self.pull_interval > Duration::from_millis(65535) {
            return Err(out_of_range(
                "pull_interval",
                self.pull_interval.as_millis().min(i64::MAX as u128) as i64,
            ));
        }
        for (name, d) in [
            ("consume_timeout", self.consume_timeout),
            (
                "consumer_timeout_when_suspend",
                self.consumer_timeout_when_suspend,
            ),
        ] {
            if d.is_zero() {
                return Err(ConfigError::ZeroDuration(name));
            }
        }
        // The broker holds a pull up to its suspend time; the request must outlive it.
        if self.consumer_timeout_when_suspend < self.broker_suspend_max_time {
            return Err(ConfigError::Inconsistent(
                "consumer_timeout_when_suspend must not be shorter than broker_suspend_max_time",
            ));
        }
        if self.auto_commit_interval < Duration::from_secs(1) {
            return Err(ConfigError::Inconsistent(
                "auto_commit_interval must be at least 1 s",
            ));
        }
        Ok(())
    }
}

fn out_of_range(name: &'static str, value: i64) -> ConfigError {
    ConfigError::OutOfRange { name, value }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{ConsumerConfig, ConsumerKind};
    use crate::error::ConfigError;

    #[test]
    fn defaults_are_javas() {
        let p = ConsumerConfig::push("cg");
        assert_eq!(p.pull_batch_size, 32);
        assert_eq!(p.pull_threshold_for_queue, 1000);
        assert_eq!(p.pull_threshold_size_for_queue, 100);
        assert_eq!(p.consume_message_batch_max_size, 1);
        assert_eq!(p.consume_thread_max, 20);
        assert_eq!(p.consume_concurrently_max_span, 2000);
        assert_eq!(p.consume_timeout, Duration::from_secs(900));
        assert_eq!(p.broker_suspend_max_time, Duration::from_secs(15));
        assert_eq!(p.effective_max_reconsume_times(), 16);
        assert!(p.validate().is_ok());
        let o = ConsumerConfig::push_orderly("cg");
        assert_eq!(o.effective_max_reconsume_times(), u32::MAX);
        let l = ConsumerConfig::lite_pull("cg");
        assert_eq!(l.kind, ConsumerKind::LitePull);
        assert_eq!(l.pull_batch_size, 10);
        assert_eq!(l.broker_suspend_max_time, Duration::from_secs(20));
        assert!(l.auto_commit);
        assert!(l.validate().is_ok());
    }

    #[test]
    fn invalid_settings_are_typed_errors() {
        let mut c = ConsumerConfig::push("DEFAULT_CONSUMER");
        assert!(matches!(c.validate(), Err(ConfigError::ReservedGroup(_))));
        c.group = "bad group".into();
        assert!(matches!(c.validate(), Err(ConfigError::InvalidGroup(_))));
        c.group = "cg".into();
        c.consume_thread_max = 0;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::OutOfRange {
                name: "consume_thread_max",
                ..
            })
        ));
        c.consume_thread_max = 20;
        c.pull_threshold_size_for_queue = 1025;
        assert!(c.validate().is_err());
        c.pull_threshold_size_for_queue = 100;
        c.pull_threshold_for_topic = Some(0);
        assert!(matches!(
            c.validate(),
            Err(ConfigError::OutOfRange {
                name: "pull_threshold_for_topic",
                ..
            })
        ));
        c.pull_threshold_for_topic = None;
        c.consumer_timeout_when_suspend = Duration::from_secs(10);
        assert!(matches!(c.validate(), Err(ConfigError::Inconsistent(_))));
    }
}
