//! Client and producer configuration, with Java's names and defaults.

use std::time::Duration;

use rocketmq_proto::message::compress::CompressionType;
use rocketmq_proto::{LanguageCode, ResponseCode, SerializeType};

use crate::error::ConfigError;

/// Instance-wide settings of a client (Java `ClientConfig`).
///
/// Producers that resolve to the same client id share one client and its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Name server addresses (`host:port`), in the order given.
    pub name_servers: Vec<String>,
    /// Instance name; `"DEFAULT"` is replaced by `<pid>#<nanos>` as in Java ≥ 4.9, unless
    /// [`keep_default_instance_name`](Self::keep_default_instance_name).
    pub instance_name: String,
    /// Keep the instance name `"DEFAULT"` as it is (Java's broadcasting consumers: their
    /// client id, and so their local offsets file, must stay the same across restarts).
    pub keep_default_instance_name: bool,
    /// Unit name, appended to the client id when set.
    pub unit_name: Option<String>,
    /// Client IP used in the client id; the environment's local IP when `None`.
    pub client_ip: Option<String>,
    /// Namespace prefixed to topics and groups (`ns%topic`).
    pub namespace: Option<String>,
    /// How often routes of topics in use are refreshed (`pollNameServerInterval`).
    pub poll_name_server_interval: Duration,
    /// How often every broker gets a heartbeat (`heartbeatBrokerInterval`).
    pub heartbeat_broker_interval: Duration,
    /// Timeout of name server and housekeeping requests (`mqClientApiTimeout`).
    pub mq_client_api_timeout: Duration,
    /// Timeout of a TCP connect.
    pub connect_timeout: Duration,
    /// Send to the broker's VIP port (`port - 2`).
    pub vip_channel_enabled: bool,
    /// Language stamped on requests.
    pub language: LanguageCode,
    /// Header serialization of requests.
    pub serialize_type: SerializeType,
    /// Longest a send waits to go out with others, or an answer to be read with others,
    /// while its broker is backlogged (see [batching](crate#batching)); zero writes every
    /// send at once and reads every answer as it comes.
    pub batch_delay: Duration,
    /// How often consumers rebalance (Java `rocketmq.client.rebalance.waitInterval`, 20 s);
    /// the broker announces members joining but not leaving, so this bounds how long a
    /// departed member's queues wait.
    pub rebalance_interval: Duration,
    /// How often consumers persist their offsets (`persistConsumerOffsetInterval`, 5 s).
    pub persist_consumer_offset_interval: Duration,
    /// How long a queue waits to pull again after a failed pull
    /// (`pullTimeDelayMillsWhenException`, 1 s).
    pub pull_time_delay_when_exception: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            name_servers: Vec::new(),
            instance_name: DEFAULT_INSTANCE_NAME.to_owned(),
            keep_default_instance_name: false,
            unit_name: None,
            client_ip: None,
            namespace: None,
            poll_name_server_interval: Duration::from_secs(30),
            heartbeat_broker_interval: Duration::from_secs(30),
            mq_client_api_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(3),
            vip_channel_enabled: false,
            language: LanguageCode::RUST,
            serialize_type: SerializeType::Json,
            batch_delay: Duration::from_millis(10),
            rebalance_interval: Duration::from_secs(20),
            persist_consumer_offset_interval: Duration::from_secs(5),
            pull_time_delay_when_exception: Duration::from_secs(1),
        }
    }
}

/// The instance name Java renames to a per-process one.
pub const DEFAULT_INSTANCE_NAME: &str = "DEFAULT";

impl ClientConfig {
    /// Creates a config for the name servers in `addrs` (`"h:p;h:p"`).
    pub fn with_name_servers(addrs: &str) -> Self {
        Self {
            name_servers: split_name_servers(addrs),
            ..Self::default()
        }
    }

    /// Checks the settings; called by [`crate::Client::new`]'s users before use.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for a in &self.name_servers {
            if !is_host_port(a) {
                return Err(ConfigError::InvalidNameServer(a.clone()));
            }
        }
        if self.instance_name.is_empty() {
            return Err(ConfigError::Empty("instance_name"));
        }
        for (name, d) in [
            ("poll_name_server_interval", self.poll_name_server_interval),
            ("heartbeat_broker_interval", self.heartbeat_broker_interval),
            ("mq_client_api_timeout", self.mq_client_api_timeout),
            ("connect_timeout", self.connect_timeout),
            ("rebalance_interval", self.rebalance_interval),
            (
                "persist_consumer_offset_interval",
                self.persist_consumer_offset_interval,
            ),
        ] {
            if d.is_zero() {
                return Err(ConfigError::ZeroDuration(name));
            }
        }
        Ok(())
    }
}

/// The environment variable Java reads name servers from when none is configured.
pub const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";

impl ClientConfig {
    /// With no name server set, takes them from `NAMESRV_ADDR` as `lookup` reads it (Java's
    /// `NameServerAddressUtils`; the driver passes the process environment). Returns whether
    /// the list was filled.
    pub fn fill_name_servers_from(&mut self, lookup: impl FnOnce(&str) -> Option<String>) -> bool {
        if !self.name_servers.is_empty() {
            return false;
        }
        let Some(addrs) = lookup(NAMESRV_ADDR_ENV) else {
            return false;
        };
        self.name_servers = split_name_servers(&addrs);
        !self.name_servers.is_empty()
    }
}

/// Splits a Java-style name server list (`;`-separated, blanks ignored).
pub fn split_name_servers(addrs: &str) -> Vec<String> {
    addrs
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_host_port(a: &str) -> bool {
    match a.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0),
        None => false,
    }
}

/// Settings of one producer group (Java `DefaultMQProducer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerConfig {
    /// Producer group name.
    pub group: String,
    /// Total time budget of one send, all retries included (`sendMsgTimeout`).
    pub send_timeout: Duration,
    /// Extra attempts of a sync send (`retryTimesWhenSendFailed`).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of an async send (`retryTimesWhenSendAsyncFailed`).
    pub retry_times_when_send_async_failed: u32,
    /// Retry on another broker when the status is not `SEND_OK`.
    pub retry_another_broker_when_not_store_ok: bool,
    /// Compress bodies of at least this many bytes (`compressMsgBodyOverHowmuch`).
    pub compress_msg_body_over_howmuch: usize,
    /// Algorithm of compressed bodies (`rocketmq.message.compressType`, ZLIB by default).
    pub compress_type: CompressionType,
    /// Level of compressed bodies (`rocketmq.message.compressLevel`, 5): 0–9 for ZLIB, 1–22
    /// for ZSTD; LZ4 ignores it, as Java does.
    pub compress_level: u32,
    /// Largest body accepted (`maxMessageSize`).
    pub max_message_size: usize,
    /// Queues of a topic auto-created through the create-topic key.
    pub default_topic_queue_nums: i32,
    /// Template topic for auto-creation (`createTopicKey`).
    pub create_topic_key: String,
    /// Avoid slow or failed brokers for a while (`sendLatencyFaultEnable`).
    pub send_latency_fault_enable: bool,
    /// Broker response codes after which a send is retried.
    pub retry_response_codes: Vec<ResponseCode>,
}

impl ProducerConfig {
    /// Creates a config for `group` with Java's defaults.
    pub fn new(group: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            send_timeout: Duration::from_secs(3),
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_another_broker_when_not_store_ok: false,
            compress_msg_body_over_howmuch: 4096,
            compress_type: CompressionType::Zlib,
            compress_level: 5,
            max_message_size: 4 * 1024 * 1024,
            default_topic_queue_nums: 4,
            create_topic_key: rocketmq_proto::message::validate::AUTO_CREATE_TOPIC_KEY.to_owned(),
            send_latency_fault_enable: false,
            retry_response_codes: DEFAULT_RETRY_CODES.to_vec(),
        }
    }

    /// Checks the settings; invalid ones are a typed error naming the setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        rocketmq_proto::message::validate::validate_producer_group(&self.group)
            .map_err(ConfigError::InvalidGroup)?;
        if self.send_timeout.is_zero() {
            return Err(ConfigError::ZeroDuration("send_timeout"));
        }
        if !self.compress_type.levels().contains(&self.compress_level) {
            return Err(ConfigError::OutOfRange {
                name: "compress_level",
                value: i64::from(self.compress_level),
            });
        }
        if self.max_message_size == 0 {
            return Err(ConfigError::OutOfRange {
                name: "max_message_size",
                value: 0,
            });
        }
        if self.default_topic_queue_nums <= 0 {
            return Err(ConfigError::OutOfRange {
                name: "default_topic_queue_nums",
                value: i64::from(self.default_topic_queue_nums),
            });
        }
        rocketmq_proto::message::validate::validate_topic(&self.create_topic_key)
            .or_else(|e| {
                // TBW102 is a system topic that may not be sent to, but it is the template.
                if self.create_topic_key == rocketmq_proto::message::validate::AUTO_CREATE_TOPIC_KEY
                {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(ConfigError::InvalidCreateTopicKey)?;
        Ok(())
    }
}

/// Retryable response codes of the 5.x Java producer.
pub const DEFAULT_RETRY_CODES: [ResponseCode; 8] = [
    ResponseCode::TOPIC_NOT_EXIST,
    ResponseCode::SERVICE_NOT_AVAILABLE,
    ResponseCode::SYSTEM_ERROR,
    ResponseCode::SYSTEM_BUSY,
    ResponseCode::NO_PERMISSION,
    ResponseCode::NO_BUYER_ID,
    ResponseCode::NOT_IN_CURRENT_UNIT,
    ResponseCode::GO_AWAY,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_javas() {
        let c = ClientConfig::default();
        assert_eq!(c.poll_name_server_interval, Duration::from_secs(30));
        assert_eq!(c.heartbeat_broker_interval, Duration::from_secs(30));
        assert_eq!(c.instance_name, "DEFAULT");
        assert!(!c.vip_channel_enabled);
        let p = ProducerConfig::new("pg");
        assert_eq!(p.send_timeout, Duration::from_secs(3));
        assert_eq!(p.retry_times_when_send_failed, 2);
        assert_eq!(p.retry_times_when_send_async_failed, 2);
        assert_eq!(p.compress_msg_body_over_howmuch, 4096);
        assert_eq!(p.compress_level, 5);
        assert_eq!(p.compress_type, CompressionType::Zlib);
        assert_eq!(p.max_message_size, 4 * 1024 * 1024);
        assert_eq!(p.default_topic_queue_nums, 4);
        assert_eq!(p.create_topic_key, "TBW102");
        assert!(!p.send_latency_fault_enable);
        assert!(!p.retry_another_broker_when_not_store_ok);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn name_server_list_splits_on_semicolons() {
        let c = ClientConfig::with_name_servers(" 127.0.0.1:9876; ;10.0.0.1:9876;");
        assert_eq!(c.name_servers, ["127.0.0.1:9876", "10.0.0.1:9876"]);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn name_servers_come_from_namesrv_addr_only_when_none_is_set() {
        let env =
            |k: &str| (k == "NAMESRV_ADDR").then(|| "10.0.0.1:9876; 10.0.0.2:9876".to_owned());
        let mut c = ClientConfig::default();
        assert!(c.fill_name_servers_from(env));
        assert_eq!(c.name_servers, ["10.0.0.1:9876", "10.0.0.2:9876"]);
        let mut c = ClientConfig::with_name_servers("127.0.0.1:9876");
        assert!(!c.fill_name_servers_from(env));
        assert_eq!(c.name_servers, ["127.0.0.1:9876"]);
        let mut c = ClientConfig::default();
        assert!(!c.fill_name_servers_from(|_| None));
        assert!(!c.fill_name_servers_from(|_| Some(" ; ".into())));
        assert!(c.name_servers.is_empty());
    }

    #[test]
    fn invalid_settings_are_typed_errors() {
        let c = ClientConfig::with_name_servers("localhost");
        assert!(matches!(c.validate(), Err(ConfigError::InvalidNameServer(a)) if a == "localhost"));
        let mut p = ProducerConfig::new("bad group!");
        assert!(matches!(p.validate(), Err(ConfigError::InvalidGroup(_))));
        p.group = "DEFAULT_PRODUCER".into();
        assert!(matches!(p.validate(), Err(ConfigError::InvalidGroup(_))));
        p.group = "pg".into();
        p.send_timeout = Duration::ZERO;
        assert!(matches!(
            p.validate(),
            Err(ConfigError::ZeroDuration("send_timeout"))
        ));
        p.send_timeout = Duration::from_secs(1);
        p.compress_level = 10;
        assert!(matches!(
            p.validate(),
            Err(ConfigError::OutOfRange {
                name: "compress_level",
                ..
            })
        ));
        p.compress_type = CompressionType::Zstd;
        assert!(p.validate().is_ok(), "zstd goes up to 22");
        p.compress_level = 0;
        assert!(p.validate().is_err(), "zstd starts at 1");
        p.compress_type = CompressionType::Lz4;
        assert!(p.validate().is_ok(), "lz4 ignores the level");
    }
}
