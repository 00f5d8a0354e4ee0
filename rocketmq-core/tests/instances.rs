//! Client ids: different instance or unit names are different instances (the driver's
//! registry, `driver/registry.rs`, shares one instance per id).

use std::time::Instant;
mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use common::*;
use rocketmq_core::client_id::client_id_for;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ClientConfig, ClientEnv, Message};
use rocketmq_proto::RequestCode;

fn env() -> ClientEnv {
    ClientEnv {
        local_ip: IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
        pid: 777,
        instance_nonce: 55,
        rng_seed: 1,
        wall_clock: Arc::new(|| 0i64),
    }
}

#[test]
fn client_id_follows_instance_and_unit_names() {
    let e = env();
    let mut c = ClientConfig::default();
    assert_eq!(client_id_for(&c, &e), "10.1.2.3@777#55");
    c.instance_name = "orders".into();
    assert_eq!(client_id_for(&c, &e), "10.1.2.3@orders");
    c.unit_name = Some("u1".into());
    assert_eq!(client_id_for(&c, &e), "10.1.2.3@orders@u1");
    c.client_ip = Some("192.168.9.9".into());
    assert_eq!(client_id_for(&c, &e), "192.168.9.9@orders@u1");
}

#[test]
fn two_clients_for_two_clusters_do_not_see_each_other() {
    let mut h1 = Harness::builder(Instant::now())
        .name_servers(&["ns-a:9876"])
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .config(|c| c.instance_name = "one".into())
        .build();
    let mut h2 = Harness::builder(Instant::now())
        .name_servers(&["ns-b:9876"])
        .broker("broker-b", "10.0.0.2:10911")
        .topic("T", &[("broker-b", 4)])
        .config(|c| c.instance_name = "two".into())
        .build();
    assert_ne!(h1.client.client_id(), h2.client.client_id());
    let p1 = producer(&mut h1, |_| {});
    let p2 = producer(&mut h2, |_| {});
    for _ in 0..5 {
        assert_eq!(send_one(&mut h1, p1).unwrap().queue.broker_name, "broker-a");
        assert_eq!(send_one(&mut h2, p2).unwrap().queue.broker_name, "broker-b");
    }
    assert!(h1.client.broker_addrs().keys().all(|b| b == "broker-a"));
    assert!(h2.client.broker_addrs().keys().all(|b| b == "broker-b"));
    let id = h1.send(p1, Message::new("T", "x"));
    h1.drive();
    assert!(h1.send_result(id).unwrap().is_ok());
    assert_eq!(
        h2.broker("broker-b")
            .received_count(RequestCode::SEND_MESSAGE_V2),
        5
    );
}
