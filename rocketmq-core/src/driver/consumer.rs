//! The async push consumer every runtime adapter exposes (Java `DefaultMQPushConsumer`),
//! and what it shares with the lite pull consumer: the handle to an instance's driver and
//! the builder's settings.

use std::any::TypeId;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocketmq_proto::body::{MessageModel, MessageQueue};
use rocketmq_proto::SerializeType;

use super::inbox::{Command, ConsumerOp, Inbox, NewConsumer};
use super::io::Driver;
use super::listener::MessageListener;
use super::offsets_file;
use super::oneshot;
use super::registry::{Registry, Role, SharedInstance};
use super::Runtime;
use crate::client_id::client_id_for;
use crate::config::{split_name_servers, ClientConfig, DEFAULT_INSTANCE_NAME};
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::config::{ConsumeFrom, ConsumerConfig, ConsumerKind};
use crate::consumer::Selector;
use crate::error::{ConfigError, UsageError};
use crate::ids::ConsumerId;
use crate::Client;

/// A consumer's link to its instance's driver; dropping the last one shuts it down.
pub(crate) struct ConsumerHandle {
    pub(crate) instance: Arc<SharedInstance>,
    pub(crate) id: ConsumerId,
    pub(crate) group: String,
    /// How long lookups made for the application wait (`mq_client_api_timeout`).
    pub(crate) api_timeout: Duration,
}

impl Drop for ConsumerHandle {
    fn drop(&mut self) {
        self.instance.inbox.push(Command::Consumer {
            consumer: self.id,
            op: ConsumerOp::Shutdown(None),
        });
    }
}

impl ConsumerHandle {
    /// Sends an operation and waits for its answer; `None` once the instance has gone.
    pub(crate) async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> ConsumerOp,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let cmd = Command::Consumer {
            consumer: self.id,
            op: make(tx),
        };
        if !self.instance.inbox.push(cmd) {
            return None;
        }
        rx.await
    }

    /// Sends an operation that needs no answer.
    pub(crate) fn tell(&self, op: ConsumerOp) {
        self.instance.inbox.push(Command::Consumer {
            consumer: self.id,
            op,
        });
    }

    /// Starts the consumer (either kind).
    pub(crate) async fn start(&self) -> Result<(), UsageError> {
        self.ask(ConsumerOp::Start)
            .await
            .unwrap_or(Err(UsageError::ClientShutdown))
    }

    /// Subscribes to `topic` with a tag expression.
    pub(crate) async fn subscribe(&self, topic: &str, expression: &str) -> Result<(), UsageError> {
        let (topic, expression) = (topic.to_owned(), expression.to_owned());
        self.ask(|reply| ConsumerOp::Subscribe {
            topic,
            expression,
            selector: Selector::Tag,
            reply,
        })
        .await
        .unwrap_or(Err(UsageError::ClientShutdown))
    }

    /// The queues the consumer holds now (none once the instance has gone).
    pub(crate) async fn assignment(&self) -> Vec<MessageQueue> {
        self.ask(ConsumerOp::Assignment).await.unwrap_or_default()
    }

    /// Shuts the consumer down and waits until it has.
    pub(crate) async fn shutdown(&self) {
        let _ = self.ask(|reply| ConsumerOp::Shutdown(Some(reply))).await;
    }
}

/// The settings a consumer builder gathers.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) client: ClientConfig,
    pub(crate) consumer: ConsumerConfig,
    pub(crate) subscriptions: Vec<(String, String, Selector)>,
    pub(crate) offset_store_dir: Option<PathBuf>,
}

impl Settings {
    pub(crate) fn new(consumer: ConsumerConfig) -> Self {
        Self {
            client: ClientConfig::default(),
            consumer,
            subscriptions: Vec::new(),
            offset_store_dir: None,
        }
    }

    /// Checks the settings and joins (or creates) the instance of the consumer's client id.
    pub(crate) fn build<R: Runtime>(
        mut self,
        rt: R,
        listener: Option<Arc<dyn MessageListener>>,
    ) -> Result<(Arc<ConsumerHandle>, Option<Driver<R>>), ConfigError> {
        let broadcasting = self.consumer.message_model == MessageModel::Broadcasting;
        // Java keeps a broadcasting consumer's DEFAULT instance name (its offsets file is
        // found again by client id).
        if broadcasting && self.client.instance_name == DEFAULT_INSTANCE_NAME {
            self.client.keep_default_instance_name = true;
        }
        self.client.validate()?;
        self.consumer.validate()?;
        let env = rt.env();
        let client_id = client_id_for(&self.client, &env);
        let offsets_file = broadcasting.then(|| {
            let dir = self
                .offset_store_dir
                .clone()
                .unwrap_or_else(offsets_file::default_dir);
            offsets_file::path(&dir, &client_id, &self.consumer.group)
        });
        let key = (TypeId::of::<R>(), client_id);
        let group = self.consumer.group.clone();
        let (consumer, subscriptions) = (self.consumer, self.subscriptions);
        let create = |id| {
            Command::CreateConsumer(Box::new(NewConsumer {
                config: consumer.clone(),
                subscriptions: subscriptions.clone(),
                listener: listener.clone(),
                offsets_file: offsets_file.clone(),
                expected: ConsumerId(id),
            }))
        };
        let client_config = self.client;
        let api_timeout = client_config.mq_client_api_timeout;
        let (instance, id, driver) =
            Registry::global().join_or_create(key, Role::Consumer, create, || {
                let inbox = Inbox::default();
                let client = Client::new(client_config, env);
                let driver = Driver::new(rt.clone(), client, inbox.clone());
                (inbox, driver)
            });
        let handle = Arc::new(ConsumerHandle {
            instance,
            id: ConsumerId(id),
            group,
            api_timeout,
        });
        Ok((handle, driver))
    }
}

/// Setters shared by the consumer builders (Java's names).
macro_rules! consumer_setters {
    () => {
        /// Name server addresses, `"host:port"` or `"h1:p1;h2:p2"` (`namesrvAddr`).
        pub fn name_server(mut self, addrs: &str) -> Self {
            self.settings.client.name_servers = split_name_servers(addrs);
            self
        }
        /// Consumer group (`consumerGroup`).
        pub fn group(mut self, group: &str) -> Self {
            self.settings.consumer.group = group.to_owned();
            self
        }
        /// Subscribes to `topic` with a tag expression (`*`, `TagA || TagB`).
        pub fn subscribe(mut self, topic: &str, expression: &str) -> Self {
            let s = (topic.to_owned(), expression.to_owned(), Selector::Tag);
            self.settings.subscriptions.push(s);
            self
        }
        /// Subscribes to `topic` with an SQL92 expression (the broker needs
        /// `enablePropertyFilter=true`).
        pub fn subscribe_sql92(mut self, topic: &str, expression: &str) -> Self {
            let s = (topic.to_owned(), expression.to_owned(), Selector::Sql92);
            self.settings.subscriptions.push(s);
            self
        }
        /// Where a group with no stored offset starts (`consumeFromWhere`; Java: the end).
        pub fn consume_from(mut self, from: ConsumeFrom) -> Self {
            self.settings.consumer.consume_from = from;
            self
        }
        /// Clustering (each message to one member, the default) or broadcasting.
        pub fn message_model(mut self, model: MessageModel) -> Self {
            self.settings.consumer.message_model = model;
            self
        }
        /// How the group divides queues (`allocateMessageQueueStrategy`; AVG).
        pub fn allocate(mut self, strategy: AllocateStrategy) -> Self {
            self.settings.consumer.allocate = strategy;
            self
        }
        /// Most messages per pull (`pullBatchSize`).
        pub fn pull_batch_size(mut self, n: u32) -> Self {
            self.settings.consumer.pull_batch_size = n;
            self
        }
        /// Cached messages per queue above which pulls pause (`pullThresholdForQueue`).
        pub fn pull_threshold_for_queue(mut self, n: u32) -> Self {
            self.settings.consumer.pull_threshold_for_queue = n;
            self
        }
        /// Cached MiB per queue above which pulls pause (`pullThresholdSizeForQueue`).
        pub fn pull_threshold_size_for_queue(mut self, mib: u32) -> Self {
            self.settings.consumer.pull_threshold_size_for_queue = mib;
            self
        }
        /// Cached messages per topic, divided among its queues (`pullThresholdForTopic`).
        pub fn pull_threshold_for_topic(mut self, n: u32) -> Self {
            self.settings.consumer.pull_threshold_for_topic = Some(n);
            self
        }
        /// Cached MiB per topic, divided among its queues (`pullThresholdSizeForTopic`).
        pub fn pull_threshold_size_for_topic(mut self, mib: u32) -> Self {
            self.settings.consumer.pull_threshold_size_for_topic = Some(mib);
            self
        }
        /// How long the broker may hold a pull that finds nothing (push 15 s, lite 20 s).
        pub fn broker_suspend_max_time(mut self, d: Duration) -> Self {
            self.settings.consumer.broker_suspend_max_time = d;
            self
        }
        /// Instance name; consumers and producers with the same client id share one instance.
        pub fn instance_name(mut self, name: &str) -> Self {
            self.settings.client.instance_name = name.to_owned();
            self
        }
        /// Unit name, appended to the client id.
        pub fn unit_name(mut self, name: &str) -> Self {
            self.settings.client.unit_name = Some(name.to_owned());
            self
        }
        /// Client IP for the client id (default: the local address).
        pub fn client_ip(mut self, ip: &str) -> Self {
            self.settings.client.client_ip = Some(ip.to_owned());
            self
        }
        /// How often the group is rebalanced (20 s); the broker announces members joining,
        /// not leaving.
        pub fn rebalance_interval(mut self, d: Duration) -> Self {
            self.settings.client.rebalance_interval = d;
            self
        }
        /// How often offsets are persisted (`persistConsumerOffsetInterval`, 5 s).
        pub fn persist_consumer_offset_interval(mut self, d: Duration) -> Self {
            self.settings.client.persist_consumer_offset_interval = d;
            self
        }
        /// Route refresh interval (`pollNameServerInterval`, 30 s).
        pub fn poll_name_server_interval(mut self, d: Duration) -> Self {
            self.settings.client.poll_name_server_interval = d;
            self
        }
        /// Heartbeat interval (`heartbeatBrokerInterval`, 30 s).
        pub fn heartbeat_broker_interval(mut self, d: Duration) -> Self {
            self.settings.client.heartbeat_broker_interval = d;
            self
        }
        /// Timeout of name server and housekeeping requests (`mqClientApiTimeout`).
        pub fn mq_client_api_timeout(mut self, d: Duration) -> Self {
            self.settings.client.mq_client_api_timeout = d;
            self
        }
        /// Header encoding of requests (JSON, or the cheaper ROCKETMQ binary form).
        pub fn serialize_type(mut self, ser: SerializeType) -> Self {
            self.settings.client.serialize_type = ser;
            self
        }
        /// Broadcasting: the directory of the local offsets file
        /// (`rocketmq.client.localOffsetStoreDir`; `~/.rocketmq_offsets`).
        pub fn offset_store_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
            self.settings.offset_store_dir = Some(dir.into());
            self
        }
        /// The whole consumer config at once (Java's names and defaults).
        pub fn config(mut self, f: impl FnOnce(&mut ConsumerConfig)) -> Self {
            f(&mut self.settings.consumer);
            self
        }
        /// The whole client config at once.
        pub fn client_config(mut self, f: impl FnOnce(&mut ClientConfig)) -> Self {
            f(&mut self.settings.client);
            self
        }
    };
}
pub(crate) use consumer_setters;

/// A push consumer: it pulls by itself and runs its listener on each delivery, up to
/// `consume_thread_max` at once, each on a task of its own. Cheap to clone.
pub struct PushConsumer<R: Runtime> {
    pub(crate) handle: Arc<ConsumerHandle>,
    _rt: PhantomData<fn() -> R>,
}

impl<R: Runtime> Clone for PushConsumer<R> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            _rt: PhantomData,
        }
    }
}

impl<R: Runtime> std::fmt::Debug for PushConsumer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConsumer")
            .field("group", &self.handle.group)
            .field("client_id", &self.handle.instance.client_id)
            .finish()
    }
}

impl<R: Runtime + Default> PushConsumer<R> {
    /// Starts building a push consumer with Java's defaults.
    pub fn builder() -> PushConsumerBuilder<R> {
        PushConsumerBuilder::new(R::default())
    }
}

impl<R: Runtime> PushConsumer<R> {
    /// Returns the consumer group.
    pub fn group(&self) -> &str {
        &self.handle.group
    }

    /// Returns the client id of the instance this consumer runs in.
    pub fn client_id(&self) -> &str {
        &self.handle.instance.client_id
    }

    /// Starts consuming: registers the group, takes queues and pulls.
    pub async fn start(&self) -> Result<(), UsageError> {
        self.handle.start().await
    }

    /// Subscribes to another topic (or changes a subscription), also while running.
    pub async fn subscribe(&self, topic: &str, expression: &str) -> Result<(), UsageError> {
        self.handle.subscribe(topic, expression).await
    }

    /// Removes a topic's subscription.
    pub fn unsubscribe(&self, topic: &str) {
        self.handle.tell(ConsumerOp::Unsubscribe(topic.to_owned()));
    }

    /// Stops pulling for now (deliveries in flight go on); `resume` takes up again.
    pub fn suspend(&self) {
        self.handle.tell(ConsumerOp::Suspend(true));
    }

    /// Resumes a suspended consumer.
    pub fn resume(&self) {
        self.handle.tell(ConsumerOp::Suspend(false));
    }

    /// The queues the consumer holds now.
    pub async fn assignment(&self) -> Vec<MessageQueue> {
        self.handle.assignment().await
    }

    /// Shuts the consumer down: pulls stop, listeners in flight may finish (up to
    /// `await_termination_when_shutdown`, then they are cancelled), offsets are persisted,
    /// locks released and the group unregistered. Nothing of it runs afterwards.
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }
}

/// Builds a [`PushConsumer`] with Java's setting names.
#[derive(Debug, Clone)]
pub struct PushConsumerBuilder<R: Runtime> {
    rt: R,
    settings: Settings,
}

impl<R: Runtime> PushConsumerBuilder<R> {
    /// Starts a builder on a specific runtime handle.
    pub fn new(rt: R) -> Self {
        Self {
            rt,
            settings: Settings::new(ConsumerConfig::push("")),
        }
    }

    consumer_setters!();

    /// Messages per delivery (`consumeMessageBatchMaxSize`, 1).
    pub fn consume_message_batch_max_size(mut self, n: u32) -> Self {
        self.settings.consumer.consume_message_batch_max_size = n;
        self
    }

    /// Listeners running at once (`consumeThreadMax`, 20).
    pub fn consume_thread_max(mut self, n: u32) -> Self {
        self.settings.consumer.consume_thread_max = n;
        self
    }

    /// Deliveries of a message before the dead-letter queue (`maxReconsumeTimes`; 16).
    pub fn max_reconsume_times(mut self, n: u32) -> Self {
        self.settings.consumer.max_reconsume_times = Some(n);
        self
    }

    /// How long shutdown waits for listeners in flight (`awaitTerminationMillisWhenShutdown`).
    pub fn await_termination_when_shutdown(mut self, d: Duration) -> Self {
        self.settings.consumer.await_termination_when_shutdown = d;
        self
    }

    /// Builds a concurrent consumer: deliveries of a queue may run at once, in any order.
    pub fn build_concurrent(
        self,
        listener: impl MessageListener,
    ) -> Result<PushConsumer<R>, ConfigError> {
        self.build(false, Arc::new(listener))
    }

    /// Builds an orderly consumer: one delivery per queue at a time, in offset order, while
    /// the queue's broker lock is held.
    pub fn build_orderly(
        self,
        listener: impl MessageListener,
    ) -> Result<PushConsumer<R>, ConfigError> {
        self.build(true, Arc::new(listener))
    }

    /// Like [`build_concurrent`](Self::build_concurrent) or
    /// [`build_orderly`](Self::build_orderly), handing a new instance's driver to the
    /// caller instead of spawning it (`None` when the consumer joined a running instance).
    pub fn build_with_driver(
        mut self,
        orderly: bool,
        listener: impl MessageListener,
    ) -> Result<(PushConsumer<R>, Option<Driver<R>>), ConfigError> {
        self.settings.consumer.kind = ConsumerKind::Push { orderly };
        let (handle, driver) = self.settings.build(self.rt, Some(Arc::new(listener)))?;
        let consumer = PushConsumer {
            handle,
            _rt: PhantomData,
        };
        Ok((consumer, driver))
    }

    fn build(
        mut self,
        orderly: bool,
        listener: Arc<dyn MessageListener>,
    ) -> Result<PushConsumer<R>, ConfigError> {
        self.settings.consumer.kind = ConsumerKind::Push { orderly };
        let rt = self.rt.clone();
        let (handle, driver) = self.settings.build(self.rt, Some(listener))?;
        if let Some(d) = driver {
            rt.spawn(d);
        }
        Ok(PushConsumer {
            handle,
            _rt: PhantomData,
        })
    }
}

/// The instant a poll with `timeout` gives up.
pub(crate) fn deadline_after(rt: &impl Runtime, timeout: Duration) -> Instant {
    rt.now() + timeout
}
