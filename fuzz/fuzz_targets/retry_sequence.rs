#![no_main]
//! Fuzz target `retry_sequence`: see `rocketmq_fuzz::retry_sequence` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::retry_sequence(data);
});
