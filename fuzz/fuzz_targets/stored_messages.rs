#![no_main]
//! Fuzz target `stored_messages`: see `rocketmq_fuzz::stored_messages` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::stored_messages(data);
});
