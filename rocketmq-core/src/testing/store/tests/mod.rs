//! Tests of the broker store.
