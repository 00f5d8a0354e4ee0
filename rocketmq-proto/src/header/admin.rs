//! Admin-style queries: view a message by offset, earliest store time.

use crate::header::fields::ext_header;

ext_header! {
    /// `ViewMessageByIdRequestHeader` (VIEW_MESSAGE_BY_ID, code 33).
    pub struct ViewMessageByIdRequestHeader {
        /// Topic (5.x).
        pub topic: Option<String> = "topic",
        /// Commit-log offset of the message.
        pub offset: i64 = "offset",
    }
}

ext_header! {
    /// `GetEarliestMsgStoretimeRequestHeader` (GET_EARLIEST_MSG_STORETIME, code 32).
    pub struct GetEarliestMsgStoretimeRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
    }
}

ext_header! {
    /// `GetEarliestMsgStoretimeResponseHeader`.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        /// Store time of the earliest message, epoch milliseconds.
        pub timestamp: i64 = "timestamp",
    }
}
