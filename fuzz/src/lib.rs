//! Fuzz properties for rocketmq-proto and rocketmq-core.
//!
//! Each `fuzz_targets/<name>.rs` is a thin `fuzz_target!` wrapper around the function of
//! the same name here, so that `cargo test --manifest-path fuzz/Cargo.toml` compiles every
//! property and replays the committed seeds (`corpus/<target>/seed-*`) without libFuzzer.
//!
//! Every function panics when, and only when, it finds a bug: a panic inside the library,
//! or a violated property (documented on each function).

pub mod client;
pub mod consumer;
pub mod frame;
pub mod json;
pub mod route;
pub mod stored;

pub use client::{client_bytes, retry_sequence};
pub use consumer::consumer_ops;
pub use frame::frame_decode;
pub use json::json_header;
pub use route::route_json;
pub use stored::stored_messages;

/// Names of all fuzz targets, in the order `scripts/fuzz.sh` runs them.
pub const TARGETS: [&str; 7] = [
    "frame_decode",
    "json_header",
    "route_json",
    "stored_messages",
    "client_bytes",
    "retry_sequence",
    "consumer_ops",
];

/// Runs the property of target `name` on `data`; `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "frame_decode" => frame_decode(data),
        "json_header" => json_header(data),
        "route_json" => route_json(data),
        "stored_messages" => stored_messages(data),
        "client_bytes" => client_bytes(data),
        "retry_sequence" => retry_sequence(data),
        "consumer_ops" => consumer_ops(data),
        _ => return false,
    }
    true
}
