//! The broker's tag filter: by tag hash, with collisions passing.

use std::time::Instant;

use rocketmq_proto::body::java_string_hash;
use rocketmq_proto::message::Message;
use rocketmq_proto::ResponseCode;

use super::*;

#[test]
fn tag_filter_returns_only_matching_messages() {
    let t0 = Instant::now();
    let mut s = store();
    for (tag, body) in [
        ("TagA", "a1"),
        ("TagB", "b1"),
        ("TagC", "c1"),
        ("TagA", "a2"),
    ] {
        s.put(t0, WALL, TOPIC, 0, tagged(tag, body));
    }
    let r = call(&mut s, t0, &Pull::at(0).tags("TagA || TagC").cmd());
    assert_eq!(bodies(&pulled(&r)), ["a1", "c1", "a2"]);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 4);
}

#[test]
fn filtered_messages_after_the_last_match_are_skipped() {
    let t0 = Instant::now();
    let mut s = store();
    for (tag, body) in [("TagA", "a"), ("TagB", "b1"), ("TagB", "b2")] {
        s.put(t0, WALL, TOPIC, 0, tagged(tag, body));
    }
    let r = call(&mut s, t0, &Pull::at(0).tags("TagA").cmd());
    assert_eq!(bodies(&pulled(&r)), ["a"]);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 3);
}

#[test]
fn all_filtered_is_retry_immediately_past_them() {
    let t0 = Instant::now();
    let mut s = store();
    for _ in 0..3 {
        s.put(t0, WALL, TOPIC, 0, tagged("TagB", "b"));
    }
    let r = call(&mut s, t0, &Pull::at(0).tags("TagA").suspend(15_000).cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_RETRY_IMMEDIATELY);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 3);
    assert!(r.body.is_empty());
}

#[test]
fn a_filtering_pull_scans_at_most_800_entries() {
    let t0 = Instant::now();
    let mut s = store();
    for _ in 0..1000 {
        s.put(t0, WALL, TOPIC, 0, tagged("TagB", "b"));
    }
    let r = call(&mut s, t0, &Pull::at(0).tags("TagA").cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_RETRY_IMMEDIATELY);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 800);
}

#[test]
fn a_hash_collision_passes_the_broker_filter() {
    assert_eq!(java_string_hash("Aa"), java_string_hash("BB"));
    let t0 = Instant::now();
    let mut s = store();
    s.put(t0, WALL, TOPIC, 0, tagged("BB", "collides"));
    let r = call(&mut s, t0, &Pull::at(0).tags("Aa").cmd());
    assert_eq!(bodies(&pulled(&r)), ["collides"]);
}

#[test]
fn untagged_messages_do_not_match_a_tag_subscription() {
    let t0 = Instant::now();
    let mut s = store();
    s.put(t0, WALL, TOPIC, 0, Message::new(TOPIC, "untagged"));
    let r = call(&mut s, t0, &Pull::at(0).tags("TagA").cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_RETRY_IMMEDIATELY);
    let r = call(&mut s, t0, &Pull::at(0).tags("*").cmd());
    assert_eq!(bodies(&pulled(&r)), ["untagged"]);
}

#[test]
fn sql92_subscriptions_match_every_message() {
    let t0 = Instant::now();
    let mut s = store();
    s.put(t0, WALL, TOPIC, 0, tagged("TagB", "b"));
    let r = call(&mut s, t0, &Pull::at(0).sql("a > 5").cmd());
    assert_eq!(bodies(&pulled(&r)), ["b"]);
}
