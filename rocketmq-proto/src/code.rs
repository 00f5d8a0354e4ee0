//! Wire codes as newtypes: request, response and language codes.
//!
//! Each code type wraps the raw integer and has a named constant for every code the
//! protocol defines. `Debug` prints the name, or the number for an unknown code, so
//! unknown codes survive a round trip.

use std::fmt;

macro_rules! code_type {
    ($(#[$meta:meta])* $name:ident($repr:ty) { $($(#[$cmeta:meta])* $cname:ident = $val:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub $repr);

        impl $name {
            $($(#[$cmeta])* pub const $cname: Self = Self($val);)*

            /// Returns the protocol name of this code, or `None` if it is unknown.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some(stringify!($cname)),)*
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", n, self.0),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> $repr {
                v.0
            }
        }
    };
}

code_type! {
    /// A request code (`RequestCode.java`), client→server and server→client.
    RequestCode(i32) {
        /// Send a message with the v1 header (long field names).
        SEND_MESSAGE = 10,
        /// Pull messages from a queue.
        PULL_MESSAGE = 11,
        /// Query messages by key.
        QUERY_MESSAGE = 12,
        /// Query a consumer group's stored offset.
        QUERY_CONSUMER_OFFSET = 14,
        /// Store a consumer group's offset.
        UPDATE_CONSUMER_OFFSET = 15,
        /// Create or update a topic (admin).
        UPDATE_AND_CREATE_TOPIC = 17,
        /// Search a queue offset by timestamp.
        SEARCH_OFFSET_BY_TIMESTAMP = 29,
        /// Get the max offset of a queue.
        GET_MAX_OFFSET = 30,
        /// Get the min offset of a queue.
        GET_MIN_OFFSET = 31,
        /// Get the store time of the earliest message in a queue.
        GET_EARLIEST_MSG_STORETIME = 32,
        /// Fetch one stored message by its commit-log offset.
        VIEW_MESSAGE_BY_ID = 33,
        /// Client heartbeat with HeartbeatData body.
        HEART_BEAT = 34,
        /// Unregister a client's producer/consumer group.
        UNREGISTER_CLIENT = 35,
        /// Send a failed message back to the broker for redelivery.
        CONSUMER_SEND_MSG_BACK = 36,
        /// Commit or roll back a transactional message (oneway).
        END_TRANSACTION = 37,
        /// List the client ids of a consumer group.
        GET_CONSUMER_LIST_BY_GROUP = 38,
        /// Broker asks a producer for a transaction's state (oneway).
        CHECK_TRANSACTION_STATE = 39,
        /// Broker tells consumers that the group membership changed (oneway).
        NOTIFY_CONSUMER_IDS_CHANGED = 40,
        /// Lock queues for orderly consumption.
        LOCK_BATCH_MQ = 41,
        /// Unlock queues.
        UNLOCK_BATCH_MQ = 42,
        /// Ask a name server for a topic's route.
        GET_ROUTEINFO_BY_TOPIC = 105,
        /// Ask a name server for the cluster layout.
        GET_BROKER_CLUSTER_INFO = 106,
        /// Broker resets a consumer's offsets.
        RESET_CONSUMER_CLIENT_OFFSET = 220,
        /// Broker asks a consumer for its status.
        GET_CONSUMER_STATUS_FROM_CLIENT = 221,
        /// Admin asks a consumer for its running info.
        GET_CONSUMER_RUNNING_INFO = 307,
        /// Admin asks a consumer to consume one message directly.
        CONSUME_MESSAGE_DIRECTLY = 309,
        /// Send a message with the V2 header (short field names).
        SEND_MESSAGE_V2 = 310,
        /// Send a batch of messages.
        SEND_BATCH_MESSAGE = 320,
        /// Send a reply message (request/reply).
        SEND_REPLY_MESSAGE = 324,
        /// Send a reply message with the V2 header.
        SEND_REPLY_MESSAGE_V2 = 325,
        /// Broker pushes a reply to the requesting client.
        PUSH_REPLY_MESSAGE_TO_CLIENT = 326,
        /// Lite pull (PullSysFlag bit 4).
        LITE_PULL_MESSAGE = 361,
        /// 5.x server-side rebalance query.
        QUERY_ASSIGNMENT = 400,
        /// 5.x POP consumption.
        POP_MESSAGE = 200050,
        /// 5.x POP acknowledgement.
        ACK_MESSAGE = 200051,
    }
}

code_type! {
    /// A response code (`RemotingSysResponseCode.java`, `ResponseCode.java`).
    ResponseCode(i32) {
        /// The request succeeded.
        SUCCESS = 0,
        /// Generic server error.
        SYSTEM_ERROR = 1,
        /// The server is overloaded.
        SYSTEM_BUSY = 2,
        /// The server does not handle this request code.
        REQUEST_CODE_NOT_SUPPORTED = 3,
        /// A transaction failed.
        TRANSACTION_FAILED = 4,
        /// Stored, but the disk flush timed out.
        FLUSH_DISK_TIMEOUT = 10,
        /// Stored, but no slave was available.
        SLAVE_NOT_AVAILABLE = 11,
        /// Stored, but the slave flush timed out.
        FLUSH_SLAVE_TIMEOUT = 12,
        /// The message is illegal.
        MESSAGE_ILLEGAL = 13,
        /// The service is not available.
        SERVICE_NOT_AVAILABLE = 14,
        /// The version is not supported.
        VERSION_NOT_SUPPORTED = 15,
        /// No permission for this operation.
        NO_PERMISSION = 16,
        /// The topic does not exist.
        TOPIC_NOT_EXIST = 17,
        /// The topic already exists.
        TOPIC_EXIST_ALREADY = 18,
        /// Pull found no new message.
        PULL_NOT_FOUND = 19,
        /// Pull should be retried immediately.
        PULL_RETRY_IMMEDIATELY = 20,
        /// The pull offset moved.
        PULL_OFFSET_MOVED = 21,
        /// The query found nothing.
        QUERY_NOT_FOUND = 22,
        /// The subscription expression could not be parsed.
        SUBSCRIPTION_PARSE_FAILED = 23,
        /// The subscription does not exist.
        SUBSCRIPTION_NOT_EXIST = 24,
        /// The subscription is not the latest.
        SUBSCRIPTION_NOT_LATEST = 25,
        /// The subscription group does not exist.
        SUBSCRIPTION_GROUP_NOT_EXIST = 26,
        /// An invalid parameter.
        INVALID_PARAMETER = 29,
        /// Transaction should commit.
        TRANSACTION_SHOULD_COMMIT = 200,
        /// Transaction should roll back.
        TRANSACTION_SHOULD_ROLLBACK = 201,
        /// Transaction state unknown.
        TRANSACTION_STATE_UNKNOW = 202,
        /// Transaction state group wrong.
        TRANSACTION_STATE_GROUP_WRONG = 203,
        /// No buyer id.
        NO_BUYER_ID = 204,
        /// Not in the current unit.
        NOT_IN_CURRENT_UNIT = 205,
        /// The consumer is not online.
        CONSUMER_NOT_ONLINE = 206,
        /// Consuming the message timed out.
        CONSUME_MSG_TIMEOUT = 207,
        /// No message.
        NO_MESSAGE = 208,
        /// Polling queue is full.
        POLLING_FULL = 209,
        /// Polling timed out.
        POLLING_TIMEOUT = 210,
        /// Flow control.
        FLOW_CONTROL = 215,
        /// Not the leader for this queue.
        NOT_LEADER_FOR_QUEUE = 501,
        /// The broker is going away.
        GO_AWAY = 1500,
    }
}

code_type! {
    /// The sender's language (`LanguageCode.java`); informational.
    LanguageCode(u8) {
        /// Java.
        JAVA = 0,
        /// C++.
        CPP = 1,
        /// .NET.
        DOTNET = 2,
        /// Python.
        PYTHON = 3,
        /// Delphi.
        DELPHI = 4,
        /// Erlang.
        ERLANG = 5,
        /// Ruby.
        RUBY = 6,
        /// Other.
        OTHER = 7,
        /// HTTP.
        HTTP = 8,
        /// Go.
        GO = 9,
        /// PHP.
        PHP = 10,
        /// OMS.
        OMS = 11,
        /// Rust (servers ≥ 4.9.4).
        RUST = 12,
        /// Node.js.
        NODE_JS = 13,
    }
}

impl LanguageCode {
    /// Looks up a language by its protocol name (`"JAVA"`, `"RUST"`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        (0u8..=13).map(Self).find(|l| l.name() == Some(name))
    }
}

/// Serialization of a frame's header (`SerializeType.java`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SerializeType {
    /// JSON header (type byte 0), Java's default.
    #[default]
    Json,
    /// ROCKETMQ binary header (type byte 1).
    RocketMq,
}

impl SerializeType {
    /// Returns the type byte written in the frame.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::Json => 0,
            Self::RocketMq => 1,
        }
    }

    /// Parses a type byte.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Json),
            1 => Some(Self::RocketMq),
            _ => None,
        }
    }
}

/// `MQVersion.Version` ordinals a client may send.
pub mod version {
    /// V4_9_4: first version answered with standard route JSON.
    pub const V4_9_4: i32 = 401;
    /// V5_3_3, the Java client's current version.
    pub const V5_3_3: i32 = 479;
    /// The version this crate stamps on requests.
    pub const CURRENT: i32 = V5_3_3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_name_or_number() {
        assert_eq!(
            format!("{:?}", RequestCode::SEND_MESSAGE_V2),
            "SEND_MESSAGE_V2"
        );
        assert_eq!(format!("{:?}", RequestCode(9999)), "RequestCode(9999)");
        assert_eq!(format!("{:?}", ResponseCode(17)), "TOPIC_NOT_EXIST");
        assert_eq!(format!("{}", ResponseCode(17)), "TOPIC_NOT_EXIST(17)");
        assert_eq!(format!("{:?}", LanguageCode(200)), "LanguageCode(200)");
    }

    #[test]
    fn language_names_round_trip() {
        for b in 0u8..=13 {
            let l = LanguageCode(b);
            assert_eq!(LanguageCode::from_name(l.name().unwrap()), Some(l));
        }
        assert_eq!(LanguageCode::from_name("KOTLIN"), None);
    }
}
