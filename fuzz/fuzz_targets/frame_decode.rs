#![no_main]
//! Fuzz target `frame_decode`: see `rocketmq_fuzz::frame_decode` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rocketmq_fuzz::frame_decode(data);
});
