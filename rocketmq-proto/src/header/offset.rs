//! Offset headers (spec §3.4, §3.6): consumer offsets, queue max/min, search by time.

use crate::header::fields::{ext_header, WireValue};

ext_header! {
    /// `QueryConsumerOffsetRequestHeader` (QUERY_CONSUMER_OFFSET, code 14).
    pub struct QueryConsumerOffsetRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Answer 0 instead of QUERY_NOT_FOUND (5.x).
        pub set_zero_if_not_found: Option<bool> = "setZeroIfNotFound",
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// `QueryConsumerOffsetResponseHeader`.
    pub struct QueryConsumerOffsetResponseHeader {
        /// Stored consumer offset; may be absent on SUCCESS (a broker asked with
        /// `setZeroIfNotFound=true` that found none; Java reads it as `null`).
        pub offset: Option<i64> = "offset",
    }
}

ext_header! {
    /// `UpdateConsumerOffsetRequestHeader` (UPDATE_CONSUMER_OFFSET, code 15).
    pub struct UpdateConsumerOffsetRequestHeader {
        /// Consumer group.
        pub consumer_group: String = "consumerGroup",
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Offset to store.
        pub commit_offset: i64 = "commitOffset",
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// `GetMaxOffsetRequestHeader` (GET_MAX_OFFSET, code 30).
    pub struct GetMaxOffsetRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Only committed messages (5.x; broker default true).
        pub committed: Option<bool> = "committed",
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// `GetMinOffsetRequestHeader` (GET_MIN_OFFSET, code 31).
    pub struct GetMinOffsetRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

/// Which offset SEARCH_OFFSET_BY_TIMESTAMP returns when several messages match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BoundaryType {
    /// The first matching offset (Java `LOWER`, the default).
    #[default]
    Lower,
    /// The last matching offset (Java `UPPER`).
    Upper,
}

impl BoundaryType {
    /// Parses as Java's `BoundaryType.getType`: `upper` in any case is `Upper`,
    /// anything else is `Lower`.
    pub fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("upper") {
            Self::Upper
        } else {
            Self::Lower
        }
    }

    /// Returns the Java name, `LOWER` or `UPPER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lower => "LOWER",
            Self::Upper => "UPPER",
        }
    }
}

impl WireValue for BoundaryType {
    const EXPECTED: &'static str = "boundary type";

    fn parse_wire(s: &str) -> Option<Self> {
        Some(Self::parse(s))
    }

    fn to_wire(&self) -> String {
        self.as_str().to_owned()
    }
}

ext_header! {
    /// `SearchOffsetRequestHeader` (SEARCH_OFFSET_BY_TIMESTAMP, code 29).
    pub struct SearchOffsetRequestHeader {
        /// Topic.
        pub topic: String = "topic",
        /// Queue id.
        pub queue_id: i32 = "queueId",
        /// Store timestamp to search for, epoch milliseconds.
        pub timestamp: i64 = "timestamp",
        /// Which match to return; `Lower` when absent (5.x; older brokers ignore it).
        pub boundary_type: BoundaryType = "boundaryType" or BoundaryType::Lower,
        /// Target broker name (5.x).
        pub broker_name: Option<String> = "bname",
    }
}

ext_header! {
    /// Response header of GET_MAX_OFFSET, GET_MIN_OFFSET and SEARCH_OFFSET_BY_TIMESTAMP.
    pub struct OffsetResponseHeader {
        /// The queue offset.
        pub offset: i64 = "offset",
    }
}
