//! Sends spread round-robin over every queue of every broker.

use std::time::Instant;
mod common;

use std::collections::BTreeMap;

use common::*;

#[test]
fn sends_spread_evenly_over_all_queues() {
    for seed in [0, 1, 99] {
        let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
            .broker("broker-a", "10.0.0.1:10911")
            .broker("broker-b", "10.0.0.2:10911")
            .topic("T", &[("broker-a", 4), ("broker-b", 4)])
            .seed(seed)
            .build();
        let p = producer(&mut h, |_| {});
        let mut hits: BTreeMap<(String, i32), u32> = BTreeMap::new();
        for _ in 0..80 {
            let r = send_one(&mut h, p).unwrap();
            *hits
                .entry((r.queue.broker_name, r.queue.queue_id))
                .or_default() += 1;
        }
        assert_eq!(hits.len(), 8, "seed {seed}: {hits:?}");
        assert!(hits.values().all(|&n| n == 10), "seed {seed}: {hits:?}");
    }
}

#[test]
fn different_seeds_start_at_different_queues() {
    let first = |seed| {
        let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
            .broker("broker-a", "10.0.0.1:10911")
            .topic("T", &[("broker-a", 8)])
            .seed(seed)
            .build();
        let p = producer(&mut h, |_| {});
        send_one(&mut h, p).unwrap().queue.queue_id
    };
    let starts: std::collections::BTreeSet<_> = (0..16).map(first).collect();
    assert!(starts.len() > 1, "start index must be random: {starts:?}");
}
