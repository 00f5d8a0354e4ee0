#![no_main]
//! Fuzz target `json_header`: see `rocketmq_fuzz::json_header` for the property checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::json_header(data);
});
