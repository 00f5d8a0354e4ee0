//! Request headers use the configured serialization on every connection.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::proto::SerializeType;

fn header_types_with(ty: Option<SerializeType>) -> (Vec<u8>, Vec<u8>) {
    let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .config(|c| {
            if let Some(ty) = ty {
                c.serialize_type = ty;
            }
        })
        .build();
    let p = producer(&mut h, |_| {});
    for _ in 0..3 {
        send_one(&mut h, p).unwrap();
    }
    (
        h.header_types("ns1:9876").to_vec(),
        h.header_types("10.0.0.1:10911").to_vec(),
    )
}

#[test]
fn json_headers_by_default() {
    let (ns, broker) = header_types_with(None);
    assert!(!ns.is_empty() && ns.iter().all(|&t| t == 0), "{ns:?}");
    // Heartbeat and three sends at least.
    assert!(
        broker.len() >= 4 && broker.iter().all(|&t| t == 0),
        "{broker:?}"
    );
}

#[test]
fn rocketmq_binary_headers_when_configured() {
    let (ns, broker) = header_types_with(Some(SerializeType::RocketMq));
    assert!(!ns.is_empty() && ns.iter().all(|&t| t == 1), "{ns:?}");
    assert!(
        broker.len() >= 4 && broker.iter().all(|&t| t == 1),
        "{broker:?}"
    );
}
