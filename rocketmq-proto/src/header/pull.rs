//! Pull headers (spec §3.3) and the pull status of a response code (spec §8.2).
//!
//! The request's `sysFlag` bits are in [`crate::message::flags::pull_sys_flag`].

use crate::code::ResponseCode;
use crate::header::fields::ext_header;

ext_header! {
    /// `PullMessageRequestHeader` (PULL_MESSAGE 11, LITE_PULL_MESSAGE 361).
    pub struct PullMessageRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Next offset to read.
        pub queue_offset: i64 = "queueOffset",
        /// Maximum number of messages to return (push default 32).
        pub max_msg_nums: i32 = "maxMsgNums",
        /// PullSysFlag bits (spec §8.1).
        pub sys_flag: i32 = "sysFlag",
        /// Consumer offset to commit (0 if none).
        pub commit_offset: i64 = "commitOffset",
        /// Long-poll hold time in milliseconds (push 15000).
        pub suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        /// Subscription expression (only with the SUBSCRIPTION flag).
        pub subscription: Option<String> = "subscription",
        /// Subscription version.
        pub sub_version: i64 = "subVersion",
        /// Expression type (`TAG` or `SQL92`).
        pub expression_type: Option<String> = "expressionType",
        /// Maximum bytes to return (5.x; push default 262144).
        pub max_msg_bytes: Option<i32> = "maxMsgBytes",
        /// Request source (5.x proxy).
        pub request_source: Option<i32> = "requestSource",
        /// Client id forwarded by a 5.x proxy (wire name misspelt as in Java).
        pub proxy_forward_client_id: Option<String> = "proxyFrowardClientId",
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// `PullMessageResponseHeader`.
    pub struct PullMessageResponseHeader {
        /// Broker id to use for the next pull of this queue.
        pub suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        /// Offset to pull from next.
        pub next_begin_offset: i64 = "nextBeginOffset",
        /// Queue's minimum offset.
        pub min_offset: i64 = "minOffset",
        /// Queue's maximum offset.
        pub max_offset: i64 = "maxOffset",
        /// Static topics: add to each message's queue offset.
        pub offset_delta: Option<i64> = "offsetDelta",
        /// Topic sysFlag.
        pub topic_sys_flag: Option<i32> = "topicSysFlag",
        /// Group sysFlag.
        pub group_sys_flag: Option<i32> = "groupSysFlag",
        /// Why pulling is forbidden (5.x).
        pub forbidden_type: Option<i32> = "forbiddenType",
    }
}

/// What a pull response means (Java `PullStatus`); every status carries `nextBeginOffset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PullStatus {
    /// Messages found; the body holds them (`FOUND`, SUCCESS).
    Found,
    /// No new message (`NO_NEW_MSG`, PULL_NOT_FOUND 19).
    NoNewMsg,
    /// Messages exist but none matched the filter (`NO_MATCHED_MSG`,
    /// PULL_RETRY_IMMEDIATELY 20).
    NoMatchedMsg,
    /// The requested offset is out of range (`OFFSET_ILLEGAL`, PULL_OFFSET_MOVED 21).
    OffsetIllegal,
}

impl PullStatus {
    /// Maps a pull response code; `None` means an error (retry later).
    pub fn from_response_code(code: ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::SUCCESS => Some(Self::Found),
            ResponseCode::PULL_NOT_FOUND => Some(Self::NoNewMsg),
            ResponseCode::PULL_RETRY_IMMEDIATELY => Some(Self::NoMatchedMsg),
            ResponseCode::PULL_OFFSET_MOVED => Some(Self::OffsetIllegal),
            _ => None,
        }
    }

    /// Returns the Java enum name (`FOUND`, …).
    pub fn java_name(self) -> &'static str {
        match self {
            Self::Found => "FOUND",
            Self::NoNewMsg => "NO_NEW_MSG",
            Self::NoMatchedMsg => "NO_MATCHED_MSG",
            Self::OffsetIllegal => "OFFSET_ILLEGAL",
        }
    }
}
