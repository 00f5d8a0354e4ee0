//! A topic unknown to the name server is sent through TBW102's route so the broker creates it.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::Message;
use rocketmq_proto::RequestCode;

#[test]
fn unknown_topic_uses_tbw102_route_capped_at_default_queue_nums() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .auto_create_topics()
        .build();
    let p = producer(&mut h, |_| {});
    let id = h.send(p, Message::new("NewTopic", "x"));
    h.drive();
    let r = h.send_result(id).unwrap().unwrap();
    assert_eq!(r.queue.topic, "NewTopic");
    assert!(r.queue.queue_id < 4);
    let asked: Vec<_> = h
        .name_server("ns1:9876")
        .received()
        .iter()
        .map(|c| c.ext_fields.get("topic").unwrap().to_owned())
        .collect();
    assert_eq!(asked, ["NewTopic", "TBW102"]);
    // min(defaultTopicQueueNums = 4, TBW102's 8 read queues) = 4 publish queues.
    let route = h.client.route("NewTopic").unwrap();
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    let send = &h
        .broker("broker-a")
        .received()
        .iter()
        .find(|c| c.request_code() == RequestCode::SEND_MESSAGE_V2)
        .unwrap()
        .ext_fields;
    assert_eq!(send.get("c"), Some("TBW102"));
    assert_eq!(send.get("d"), Some("4"));
}

#[test]
fn refresh_after_auto_create_switches_to_the_real_route() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .auto_create_topics()
        .build();
    let p = producer(&mut h, |c| c.default_topic_queue_nums = 2);
    let id = h.send(p, Message::new("NewTopic", "x"));
    h.drive();
    h.send_result(id).unwrap().unwrap();
    // The broker created the topic; the next refresh finds it under its own name.
    h.advance(std::time::Duration::from_secs(31));
    assert_eq!(
        h.client.route("NewTopic").unwrap().queue_datas[0].write_queue_nums,
        2
    );
    assert_eq!(
        h.name_server("ns1:9876")
            .received()
            .last()
            .unwrap()
            .ext_fields
            .get("topic"),
        Some("NewTopic")
    );
}
