#![no_main]
//! Fuzz target `client_bytes`: see `rocketmq_fuzz::client_bytes` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::client_bytes(data);
});
