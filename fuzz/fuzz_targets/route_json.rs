#![no_main]
//! Fuzz target `route_json`: see `rocketmq_fuzz::route_json` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::route_json(data);
});
