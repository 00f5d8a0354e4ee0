//! Sans-IO RocketMQ client state machines (placeholder until the core lands).
