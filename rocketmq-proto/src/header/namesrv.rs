//! Name-server request headers (spec §3.5).

use crate::header::fields::ext_header;

ext_header! {
    /// `GetRouteInfoRequestHeader` (GET_ROUTEINFO_BY_TOPIC, code 105).
    pub struct GetRouteInfoRequestHeader {
        /// Topic whose route is requested.
        pub topic: String = "topic",
        /// Ask for standard JSON (quoted map keys); since 4.9.4.
        pub accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
    }
}

impl GetRouteInfoRequestHeader {
    /// A request for `topic` that asks for standard JSON, as clients should send it.
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            accept_standard_json_only: Some(true),
        }
    }
}
