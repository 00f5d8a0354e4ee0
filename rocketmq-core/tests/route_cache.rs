//! Routes are fetched once, cached, refreshed every poll interval, and changes are detected.

mod common;

use std::time::Duration;

use common::*;
use rocketmq_core::Event;
use rocketmq_proto::RequestCode;

#[test]
fn route_is_fetched_once_then_served_from_cache() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    for _ in 0..5 {
        send_one(&mut h, p).unwrap();
    }
    assert_eq!(
        h.name_server("ns1:9876")
            .received_count(RequestCode::GET_ROUTEINFO_BY_TOPIC),
        1
    );
    let req = &h.name_server("ns1:9876").received()[0];
    assert_eq!(req.ext_fields.get("topic"), Some("T"));
    assert_eq!(req.ext_fields.get("acceptStandardJsonOnly"), Some("true"));
    assert!(req.version >= 401, "standard JSON needs version >= 401");
    assert_eq!(h.client.route("T").unwrap().broker_datas.len(), 2);
}

#[test]
fn routes_in_use_refresh_every_poll_interval() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    let ns = |h: &rocketmq_core::testing::Harness| {
        h.name_server("ns1:9876")
            .received_count(RequestCode::GET_ROUTEINFO_BY_TOPIC)
    };
    assert_eq!(ns(&h), 1);
    h.advance(Duration::from_secs(29));
    assert_eq!(ns(&h), 1);
    h.advance(Duration::from_secs(2));
    assert_eq!(ns(&h), 2);
    h.advance(Duration::from_secs(60));
    assert_eq!(ns(&h), 4);
}

#[test]
fn a_changed_route_is_detected_and_used() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    h.take_events();
    // Unchanged route: no event.
    h.advance(Duration::from_secs(31));
    assert_eq!(
        count_events(&h, |e| matches!(e, Event::RouteUpdated { .. })),
        0
    );
    // broker-b leaves the topic.
    h.set_topic("T", &[("broker-a", 2)]);
    h.advance(Duration::from_secs(30));
    assert_eq!(
        count_events(
            &h,
            |e| matches!(e, Event::RouteUpdated { topic } if topic == "T")
        ),
        1
    );
    for _ in 0..6 {
        let r = send_one(&mut h, p).unwrap();
        assert_eq!(r.queue.broker_name, "broker-a");
        assert!(r.queue.queue_id < 2);
    }
}

#[test]
fn an_unknown_topic_fails_with_no_route() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let id = h.send(p, rocketmq_core::Message::new("Nope", "x"));
    h.drive();
    let err = h.send_result(id).unwrap().unwrap_err();
    assert!(
        matches!(&err, rocketmq_core::SendError::NoRoute { topic, .. } if topic == "Nope"),
        "{err}"
    );
    assert!(err.to_string().contains("No route info of this topic"));
    assert_eq!(h.send_requests(), 0);
}
