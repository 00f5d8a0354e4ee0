//! Pull headers (spec §3.3).

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
