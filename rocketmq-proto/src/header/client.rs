//! Client-management headers: unregister, consumer lists, broker→client requests.

use crate::error::HeaderError;
use crate::ext_fields::ExtFields;
use crate::header::fields::ext_header;

ext_header! {
    /// `UnregisterClientRequestHeader` (UNREGISTER_CLIENT, code 35).
    pub struct UnregisterClientRequestHeader {
        /// Client id (spec §6.1).
        pub client_id: String = "clientID",
        /// Producer group to unregister.
        pub producer_group: Option<String> = "producerGroup",
        /// Consumer group to unregister.
        pub consumer_group: Option<String> = "consumerGroup",
    }
}

ext_header! {
    /// `GetConsumerListByGroupRequestHeader` (GET_CONSUMER_LIST_BY_GROUP, code 38).
    pub struct GetConsumerListByGroupRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
    }
}

ext_header! {
    /// `NotifyConsumerIdsChangedRequestHeader` (NOTIFY_CONSUMER_IDS_CHANGED, code 40).
    pub struct NotifyConsumerIdsChangedRequestHeader {
        /// Consumer group whose membership changed.
        pub consumer_group: String = "consumerGroup",
    }
}

ext_header! {
    /// `GetConsumerRunningInfoRequestHeader` (GET_CONSUMER_RUNNING_INFO, code 307).
    pub struct GetConsumerRunningInfoRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Client id.
        pub client_id: String = "clientId",
        /// Include thread stacks; `false` when absent (Java primitive).
        pub jstack_enable: bool = "jstackEnable" or false,
    }
}

ext_header! {
    /// `ResetOffsetRequestHeader` (RESET_CONSUMER_CLIENT_OFFSET, code 220); body
    /// `ResetOffsetBody`.
    pub struct ResetOffsetRequestHeader {
        /// Consumer group.
        pub group: String = "group",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id; −1 (all queues) when absent.
        pub queue_id: i32 = "queueId" or -1,
        /// Target offset.
        pub offset: Option<i64> = "offset",
        /// Reset to this store timestamp, epoch milliseconds.
        pub timestamp: i64 = "timestamp",
        /// Reset even to a larger offset.
        pub is_force: bool = "isForce",
    }
}

ext_header! {
    /// `GetConsumerStatusRequestHeader` (GET_CONSUMER_STATUS_FROM_CLIENT, code 221);
    /// answered with `GetConsumerStatusBody`.
    pub struct GetConsumerStatusRequestHeader {
        /// Topic whose offsets are asked for.
        pub topic: String = "topic",
        /// Consumer group.
        pub group: String = "group",
        /// Address of the client asked (admin-side filter).
        pub client_addr: Option<String> = "clientAddr",
    }
}

ext_header! {
    /// `ConsumeMessageDirectlyResultRequestHeader` (CONSUME_MESSAGE_DIRECTLY, code 309);
    /// the body is one stored message, the answer a `ConsumeMessageDirectlyResult`.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Client id of the consumer asked.
        pub client_id: Option<String> = "clientId",
        /// Message id.
        pub msg_id: Option<String> = "msgId",
        /// Broker that stores the message.
        pub broker_name: Option<String> = "brokerName",
        /// Topic of the message.
        pub topic: Option<String> = "topic",
        /// Topic sysFlag.
        pub topic_sys_flag: Option<i32> = "topicSysFlag",
        /// Group sysFlag.
        pub group_sys_flag: Option<i32> = "groupSysFlag",
    }
}

/// `HeartbeatRequestHeader` (HEART_BEAT, code 34): no fields; the data is the body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeartbeatRequestHeader;

impl HeartbeatRequestHeader {
    /// Writes nothing: the header has no fields.
    pub fn to_ext_fields(&self, _ext: &mut ExtFields) {}

    /// Always succeeds: the header has no fields.
    pub fn from_ext_fields(_ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(Self)
    }
}
