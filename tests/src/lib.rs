//! Shared helpers for cross-crate and real-broker tests.
