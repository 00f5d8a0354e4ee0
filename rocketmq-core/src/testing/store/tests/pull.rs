//! Pull statuses, batch limits, commit offset, subscriptions, scripted errors.

use std::time::Instant;

use rocketmq_proto::ResponseCode;

use super::*;

#[test]
fn pull_returns_at_most_max_msg_nums() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 10);
    let r = call(&mut s, t0, &Pull::at(2).max(5).cmd());
    assert_eq!(bodies(&pulled(&r)), ["m2", "m3", "m4", "m5", "m6"]);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 7);
}

#[test]
fn pull_is_capped_at_max_pull_batch() {
    let t0 = Instant::now();
    let mut s = store_with(|c| c.max_pull_batch = 4);
    put_n(&mut s, t0, 10);
    let r = call(&mut s, t0, &Pull::at(0).max(32).cmd());
    assert_eq!(pulled(&r).len(), 4);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 4);
}

#[test]
fn max_msg_bytes_limits_the_batch_but_one_record_always_fits() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 3);
    let mut pull = Pull::at(0);
    pull.0.max_msg_bytes = Some(1);
    let r = call(&mut s, t0, &pull.cmd());
    assert_eq!(pulled(&r).len(), 1);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 1);
}

#[test]
fn pull_below_min_offset_is_moved_to_min() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 5);
    s.truncate_before(TOPIC, 0, 3);
    assert_eq!(s.min_offset(TOPIC, 0), 3);
    let r = call(&mut s, t0, &Pull::at(1).cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_OFFSET_MOVED);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 3);
    assert_eq!((ext_i64(&r, "minOffset"), ext_i64(&r, "maxOffset")), (3, 5));
}

#[test]
fn pull_above_max_offset_is_moved_to_max() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 2);
    let r = call(&mut s, t0, &Pull::at(5).cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_OFFSET_MOVED);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 2);
}

#[test]
fn pull_at_max_without_suspend_is_not_found_at_once() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 2);
    let r = call(&mut s, t0, &Pull::at(2).cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_NOT_FOUND);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 2);
    assert!(r.body.is_empty());
}

#[test]
fn pull_with_suspend_but_zero_timeout_is_not_found_at_once() {
    let t0 = Instant::now();
    let mut s = store();
    let r = call(&mut s, t0, &Pull::at(0).suspend(0).cmd());
    assert_eq!(r.response_code(), ResponseCode::PULL_NOT_FOUND);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn commit_offset_flag_stores_the_group_offset() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 10);
    call(&mut s, t0, &Pull::at(7).commit(7).cmd());
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(7));
    call(&mut s, t0, &Pull::at(8).commit(0).cmd());
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(7));
    let mut without_flag = Pull::at(8);
    without_flag.0.commit_offset = 8;
    call(&mut s, t0, &without_flag.cmd());
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(7));
}

#[test]
fn pull_without_subscription_of_an_unknown_group_is_subscription_not_exist() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 1);
    let r = call(&mut s, t0, &Pull::at(0).registered(1).cmd());
    assert_eq!(r.response_code(), ResponseCode::SUBSCRIPTION_NOT_EXIST);
}

#[test]
fn pull_of_a_topic_the_group_does_not_subscribe_is_subscription_not_exist() {
    let t0 = Instant::now();
    let mut s = store();
    join(&mut s, t0, 1, CLIENT_A, "*");
    let r = call(
        &mut s,
        t0,
        &Pull::at(0).topic("Other", 0).registered(1).cmd(),
    );
    assert_eq!(r.response_code(), ResponseCode::SUBSCRIPTION_NOT_EXIST);
}

#[test]
fn pull_without_subscription_uses_the_heartbeat_subscription() {
    let t0 = Instant::now();
    let mut s = store();
    join(&mut s, t0, 1, CLIENT_A, "TagA");
    s.put(t0, WALL, TOPIC, 0, tagged("TagB", "b"));
    s.put(t0, WALL, TOPIC, 0, tagged("TagA", "a"));
    let r = call(&mut s, t0, &Pull::at(0).registered(1).cmd());
    assert_eq!(bodies(&pulled(&r)), ["a"]);
}

#[test]
fn pull_newer_than_the_registered_subscription_is_refused() {
    let t0 = Instant::now();
    let mut s = store();
    join(&mut s, t0, 1, CLIENT_A, "*");
    put_n(&mut s, t0, 1);
    let r = call(&mut s, t0, &Pull::at(0).registered(2).cmd());
    assert_eq!(r.response_code(), ResponseCode::SUBSCRIPTION_NOT_EXIST);
    let r = call(&mut s, t0, &Pull::at(0).registered(1).cmd());
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
}

#[test]
fn scripted_error_answers_the_next_pull_only() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 1);
    s.script_pull_error(ResponseCode::SYSTEM_BUSY, "busy");
    let r = call(&mut s, t0, &Pull::at(0).commit(1).cmd());
    assert_eq!(r.response_code(), ResponseCode::SYSTEM_BUSY);
    assert_eq!(r.remark_str(), "busy");
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), None);
    assert_eq!(
        call(&mut s, t0, &Pull::at(0).cmd()).response_code(),
        ResponseCode::SUCCESS
    );
}

#[test]
fn lite_pull_is_served_like_a_pull() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 1);
    let mut cmd = Pull::at(0).cmd();
    cmd.code = RequestCode::LITE_PULL_MESSAGE.0;
    assert_eq!(bodies(&pulled(&call(&mut s, t0, &cmd))), ["m0"]);
}

#[test]
fn an_unknown_expression_type_is_parse_failed() {
    let t0 = Instant::now();
    let mut s = store();
    let mut pull = Pull::at(0);
    pull.0.expression_type = Some("XPATH".into());
    let r = call(&mut s, t0, &pull.cmd());
    assert_eq!(r.response_code(), ResponseCode::SUBSCRIPTION_PARSE_FAILED);
}
