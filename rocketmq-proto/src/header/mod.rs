//! Command headers: the two serializations, and typed custom headers over `extFields`.
//!
//! Each typed header is a plain struct with `to_ext_fields` / `from_ext_fields`, using
//! the Java field names as keys. `Option` fields are optional; the others are required
//! (`HeaderError::Missing` when absent) unless documented otherwise. Booleans parse like
//! Java's `Boolean.parseBoolean`: `"true"` in any case is true, anything else false.

pub(crate) mod binary;
pub(crate) mod json;
pub(crate) mod json_scan;

pub mod admin;
pub mod client;
pub mod consumer;
mod fields;
pub mod namesrv;
pub mod offset;
pub mod pull;
pub mod send;
mod send_json;
pub mod transaction;

pub use admin::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    ViewMessageByIdRequestHeader,
};
pub use client::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerListByGroupRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetConsumerStatusRequestHeader, HeartbeatRequestHeader,
    NotifyConsumerIdsChangedRequestHeader, ResetOffsetRequestHeader, UnregisterClientRequestHeader,
};
pub use consumer::{
    ConsumerSendMsgBackRequestHeader, LockBatchMqRequestHeader, UnlockBatchMqRequestHeader,
};
pub use namesrv::GetRouteInfoRequestHeader;
pub use offset::{
    BoundaryType, GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader, OffsetResponseHeader,
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
pub use pull::{PullMessageRequestHeader, PullMessageResponseHeader, PullStatus};
pub use send::{
    SendMessageRequestHeader, SendMessageResponseHeader, SendResponseFields, SendStatus,
};
pub use send_json::{
    SendHeaderFields, SendHeaderFixed, SendHeaderTemplate, SendHeaderVars, SendProperties,
};
pub use transaction::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader, TransactionState,
};

/// Decodes a JSON header by the fast path (`None` when it defers) and by the full decoder,
/// so tests and fuzzers can check that the two agree. Not part of the stable API.
#[doc(hidden)]
pub fn json_decode_both_ways(
    header: &[u8],
) -> (
    Option<crate::RemotingCommand>,
    Result<crate::RemotingCommand, crate::DecodeError>,
) {
    match std::str::from_utf8(header) {
        Ok(text) => (json_scan::decode(text), json::decode_full(text)),
        Err(_) => (None, json::decode(header)),
    }
}
