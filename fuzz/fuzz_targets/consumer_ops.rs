#![no_main]
//! Fuzz target `consumer_ops`: see `rocketmq_fuzz::consumer_ops` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::consumer_ops(data);
});
