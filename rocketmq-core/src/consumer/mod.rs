//! The consumer role: which queues a consumer takes (allocation strategies, CONSUMER.md §1).

pub mod allocate;
