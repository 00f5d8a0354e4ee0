//! tokio adapter for the RocketMQ client (placeholder until the adapter lands).
