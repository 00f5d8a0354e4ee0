//! The async producer API every runtime adapter exposes (Java `DefaultMQProducer`).

use std::any::TypeId;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use rocketmq_proto::message::compress::CompressionType;
use rocketmq_proto::{ResponseCode, SerializeType};

use super::inbox::{Command, Inbox};
use super::io::Driver;
use super::oneshot;
use super::registry::{Registry, Role, SharedInstance};
use super::Runtime;
use crate::client_id::client_id_for;
use crate::config::{split_name_servers, ClientConfig, ProducerConfig};
use crate::error::{ConfigError, SendError, UsageError};
use crate::ids::ProducerId;
use crate::producer::{SendOptions, SendResult};
use crate::{Client, Message};

struct Handle {
    instance: Arc<SharedInstance>,
    id: ProducerId,
    group: String,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.instance.inbox.push(Command::Shutdown {
            producer: self.id,
            reply: None,
        });
    }
}

/// A producer: cheap to clone, safe to share; many tasks may `send` at once.
pub struct Producer<R: Runtime> {
    handle: Arc<Handle>,
    _rt: PhantomData<fn() -> R>,
}

impl<R: Runtime> Clone for Producer<R> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            _rt: PhantomData,
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Producer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("group", &self.handle.group)
            .field("client_id", &self.handle.instance.client_id)
            .finish()
    }
}

impl<R: Runtime + Default> Producer<R> {
    /// Starts building a producer with Java's defaults.
    pub fn builder() -> ProducerBuilder<R> {
        ProducerBuilder::new(R::default())
    }
}

impl<R: Runtime> Producer<R> {
    /// Returns the producer group.
    pub fn group(&self) -> &str {
        &self.handle.group
    }

    /// Returns the client id of the instance this producer runs in.
    pub fn client_id(&self) -> &str {
        &self.handle.instance.client_id
    }

    /// The producer's id in its instance.
    pub(super) fn handle_id(&self) -> ProducerId {
        self.handle.id
    }

    pub(super) async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        if !self.handle.instance.inbox.push(make(tx)) {
            return None;
        }
        rx.await
    }

    /// Registers the group and starts the instance (connections open lazily on first send).
    pub async fn start(&self) -> Result<(), UsageError> {
        let producer = self.handle.id;
        self.ask(|reply| Command::Start { producer, reply })
            .await
            .unwrap_or(Err(UsageError::ClientShutdown))
    }

    /// Sends a message and waits for the broker's answer, retrying within the send timeout.
    pub async fn send(&self, msg: Message) -> Result<SendResult, SendError> {
        self.send_with(msg, SendOptions::default()).await
    }

    /// Sends with per-send options (timeout, queue).
    pub async fn send_with(
        &self,
        msg: Message,
        opts: SendOptions,
    ) -> Result<SendResult, SendError> {
        expects_result(&opts)?;
        let producer = self.handle.id;
        self.ask(|reply| Command::Send {
            producer,
            msg,
            opts,
            reply,
        })
        .await
        .unwrap_or(Err(SendError::Shutdown))
    }

    /// Sends without waiting for the broker; resolves once the request is written.
    pub async fn send_oneway(&self, msg: Message) -> Result<(), SendError> {
        let producer = self.handle.id;
        self.ask(|reply| Command::Oneway {
            producer,
            msg,
            timeout: None,
            reply,
        })
        .await
        .unwrap_or(Err(SendError::Shutdown))
    }

    /// Shuts this producer down; pending sends fail with `Shutdown`. When it was the
    /// instance's last producer, waits until every connection is closed.
    pub async fn shutdown(&self) {
        let producer = self.handle.id;
        let _ = self
            .ask(|reply| Command::Shutdown {
                producer,
                reply: Some(reply),
            })
            .await;
    }
}

/// Builds a [`Producer`] with Java's setting names.
#[derive(Debug, Clone)]
pub struct ProducerBuilder<R: Runtime> {
    rt: R,
    client: ClientConfig,
    producer: ProducerConfig,
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident($t:ty) => |$c:ident, $v:ident| $body:expr;)*) => {
        $($(#[$m])* pub fn $name(mut self, $v: $t) -> Self {
            let $c = &mut self;
            $body;
            self
        })*
    };
}

impl<R: Runtime> ProducerBuilder<R> {
    /// Starts a builder on a specific runtime handle.
    pub fn new(rt: R) -> Self {
        Self {
            rt,
            client: ClientConfig::default(),
            producer: ProducerConfig::new(""),
        }
    }

    setters! {
        /// Name server addresses, `"host:port"` or `"h1:p1;h2:p2"` (`namesrvAddr`).
        name_server(&str) => |b, v| b.client.name_servers = split_name_servers(v);
        /// Producer group (`producerGroup`).
        group(&str) => |b, v| b.producer.group = v.to_owned();
        /// Instance name; producers with different instance names get separate instances.
        instance_name(&str) => |b, v| b.client.instance_name = v.to_owned();
        /// Unit name, appended to the client id.
        unit_name(&str) => |b, v| b.client.unit_name = Some(v.to_owned());
        /// Namespace prefixed to topics.
        namespace(&str) => |b, v| b.client.namespace = Some(v.to_owned());
        /// Client IP for the client id (default: the local address).
        client_ip(&str) => |b, v| b.client.client_ip = Some(v.to_owned());
        /// Total time budget of one send, retries included (`sendMsgTimeout`).
        send_timeout(Duration) => |b, v| b.producer.send_timeout = v;
        /// Retries of a send (`retryTimesWhenSendFailed`, also used for async).
        retries(u32) => |b, v| { b.producer.retry_times_when_send_failed = v; b.producer.retry_times_when_send_async_failed = v };
        /// Retry on another broker when stored but not `SEND_OK`.
        retry_another_broker_when_not_store_ok(bool) => |b, v| b.producer.retry_another_broker_when_not_store_ok = v;
        /// Broker codes after which a send is retried.
        retry_response_codes(Vec<ResponseCode>) => |b, v| b.producer.retry_response_codes = v;
        /// Compress bodies of at least this many bytes (`compressMsgBodyOverHowmuch`).
        compress_msg_body_over_howmuch(usize) => |b, v| b.producer.compress_msg_body_over_howmuch = v;
        /// Compression level (`rocketmq.message.compressLevel`, 5): 0–9 for ZLIB, 1–22 for
        /// ZSTD; LZ4 ignores it.
        compress_level(u32) => |b, v| b.producer.compress_level = v;
        /// Compression algorithm of large bodies (`rocketmq.message.compressType`): ZLIB (the
        /// default), LZ4 or ZSTD.
        compress_type(CompressionType) => |b, v| b.producer.compress_type = v;
        /// Largest body accepted (`maxMessageSize`).
        max_message_size(usize) => |b, v| b.producer.max_message_size = v;
        /// Queues of auto-created topics (`defaultTopicQueueNums`).
        default_topic_queue_nums(i32) => |b, v| b.producer.default_topic_queue_nums = v;
        /// Template topic for auto-creation (`createTopicKey`).
        create_topic_key(&str) => |b, v| b.producer.create_topic_key = v.to_owned();
        /// Avoid slow or failed brokers for a while (`sendLatencyFaultEnable`).
        send_latency_fault_enable(bool) => |b, v| b.producer.send_latency_fault_enable = v;
        /// Send to brokers' VIP port.
        vip_channel_enabled(bool) => |b, v| b.client.vip_channel_enabled = v;
        /// Route refresh interval (`pollNameServerInterval`).
        poll_name_server_interval(Duration) => |b, v| b.client.poll_name_server_interval = v;
        /// Heartbeat interval (`heartbeatBrokerInterval`).
        heartbeat_broker_interval(Duration) => |b, v| b.client.heartbeat_broker_interval = v;
        /// Timeout of name server and housekeeping requests (`mqClientApiTimeout`).
        mq_client_api_timeout(Duration) => |b, v| b.client.mq_client_api_timeout = v;
        /// TCP connect timeout.
        connect_timeout(Duration) => |b, v| b.client.connect_timeout = v;
        /// Header encoding of requests: JSON (Java's default) or the cheaper ROCKETMQ binary
        /// form, which every broker since 4.0 decodes (Java: `rocketmq.serialize.type`).
        serialize_type(SerializeType) => |b, v| b.client.serialize_type = v;
        /// Longest a send waits to go out with others, or an answer to be read with others,
        /// while its broker is backlogged (10 ms); zero turns batching off. See the core's
        /// batching.
        batch_delay(Duration) => |b, v| b.client.batch_delay = v;
    }

    /// Checks the settings and joins (or creates) the client instance for its client id.
    ///
    /// A new instance's driver is started with the runtime's `spawn`.
    pub fn build(self) -> Result<Producer<R>, ConfigError> {
        let rt = self.rt.clone();
        let (producer, driver) = self.build_with_driver()?;
        if let Some(d) = driver {
            rt.spawn(d);
        }
        Ok(producer)
    }

    /// Like [`build`](Self::build), but hands a new instance's driver to the caller instead of
    /// spawning it (`None` when the producer joined a running instance).
    ///
    /// Run it on your executor (`smol::spawn(driver).detach()`) or beside your code in one
    /// task (`futures_lite::future::zip(driver, app)`): nothing then crosses threads.
    ///
    /// With no name server set, the addresses come from the `NAMESRV_ADDR` environment
    /// variable, as in Java.
    pub fn build_with_driver(mut self) -> Result<(Producer<R>, Option<Driver<R>>), ConfigError> {
        self.client
            .fill_name_servers_from(|k| std::env::var(k).ok());
        self.client.validate()?;
        self.producer.validate()?;
        let env = self.rt.env();
        let client_id = client_id_for(&self.client, &env);
        let key = (TypeId::of::<R>(), client_id);
        let group = self.producer.group.clone();
        let config = self.producer;
        let create = |id| Command::CreateProducer {
            config: config.clone(),
            expected: ProducerId(id),
        };
        let (rt, client_config) = (self.rt, self.client);
        let (instance, id, driver) =
            Registry::global().join_or_create(key, Role::Producer, create, || {
                let inbox = Inbox::default();
                let client = Client::new(client_config, env);
                let driver = Driver::new(rt.clone(), client, inbox.clone());
                (inbox, driver)
            });
        let id = ProducerId(id);
        let producer = Producer {
            handle: Arc::new(Handle {
                instance,
                id,
                group,
            }),
            _rt: PhantomData,
        };
        Ok((producer, driver))
    }
}

/// Refuses a oneway mode where a result is awaited (it would never come).
pub(super) fn expects_result(opts: &SendOptions) -> Result<(), SendError> {
    if opts.mode == crate::producer::SendMode::Oneway {
        return Err(SendError::Usage(UsageError::OnewayHasNoResult));
    }
    Ok(())
}
