//! Prints the scenario of a `consumer_ops` input and runs it: a crash artifact given as the
//! argument, else the first pseudo-random input of the seed test that fails (a debugging
//! aid: `cargo run --example consumer_repro [FILE]`).

use arbitrary::{Arbitrary, Unstructured};
use rocketmq_fuzz::consumer::ConsumerScenario;

fn pseudo_random(state: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn main() {
    if let Some(path) = std::env::args().nth(1) {
        let data = std::fs::read(&path).expect("readable input");
        let s = ConsumerScenario::arbitrary(&mut Unstructured::new(&data)).unwrap();
        println!("{path}: {s:#?}");
        rocketmq_fuzz::consumer_ops(&data);
        return;
    }
    let mut state = 0x9E37_79B9_7F4A_7C15;
    let targets = rocketmq_fuzz::TARGETS;
    for target in targets {
        for i in 0..200 {
            let data = pseudo_random(&mut state, i * 7 % 1024);
            if target != "consumer_ops" {
                continue;
            }
            let ok = std::panic::catch_unwind(|| rocketmq_fuzz::consumer_ops(&data)).is_ok();
            if !ok {
                let s = ConsumerScenario::arbitrary(&mut Unstructured::new(&data)).unwrap();
                println!("input {i}: {s:#?}");
                return;
            }
        }
    }
}
