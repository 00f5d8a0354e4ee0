//! async-io adapter (async-std and smol) for the RocketMQ client (placeholder).
