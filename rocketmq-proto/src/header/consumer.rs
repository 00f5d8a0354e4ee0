//! Consumer headers: message retry (spec §3.6, §8.6) and queue locks (CONSUMER §4.1).

use crate::header::fields::ext_header;

ext_header! {
    /// `ConsumerSendMsgBackRequestHeader` (CONSUMER_SEND_MSG_BACK, code 36).
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit-log offset of the failed message.
        pub offset: i64 = "offset",
        /// Consumer group.
        pub group: String = "group",
        /// Delay level: 0 = broker decides, < 0 = straight to the DLQ.
        pub delay_level: i32 = "delayLevel",
        /// Message id of the original message.
        pub origin_msg_id: Option<String> = "originMsgId",
        /// Topic of the original message.
        pub origin_topic: Option<String> = "originTopic",
        /// Unit mode; `false` when absent (Java primitive).
        pub unit_mode: bool = "unitMode" or false,
        /// Max reconsume count before the DLQ.
        pub max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// `LockBatchMqRequestHeader` (LOCK_BATCH_MQ, code 41): no own fields; the request
    /// is the `LockBatchRequestBody`.
    pub struct LockBatchMqRequestHeader {
        /// Target broker name (5.x, inherited).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// `UnlockBatchMqRequestHeader` (UNLOCK_BATCH_MQ, code 42): no own fields; the
    /// request is the `LockBatchRequestBody`.
    pub struct UnlockBatchMqRequestHeader {
        /// Target broker name (5.x, inherited).
        pub broker_name: Option<String> = "bname",
    }
}
