//! Consumer offsets and queue offsets.

use std::time::Instant;

use rocketmq_proto::message::Message;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::*;

/// A request with `topic`/`queueId` 0 plus `fields`.
fn offset_cmd(code: RequestCode, fields: &[(&'static str, &str)]) -> RemotingCommand {
    let mut cmd = RemotingCommand::request(code);
    cmd.ext_fields.insert("topic", TOPIC);
    cmd.ext_fields.insert("queueId", "0");
    cmd.ext_fields.insert("consumerGroup", GROUP);
    for (k, v) in fields {
        cmd.ext_fields.insert(*k, *v);
    }
    cmd
}

/// QUERY_CONSUMER_OFFSET with extra fields.
fn query(s: &mut BrokerStore, fields: &[(&'static str, &str)]) -> RemotingCommand {
    call(
        s,
        Instant::now(),
        &offset_cmd(RequestCode::QUERY_CONSUMER_OFFSET, fields),
    )
}

#[test]
fn query_without_stored_offset_is_zero_while_the_queue_holds_its_first_message() {
    let mut s = store();
    put_n(&mut s, Instant::now(), 2);
    let r = query(&mut s, &[]);
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
    assert_eq!(ext_i64(&r, "offset"), 0);
}

#[test]
fn query_without_stored_offset_on_an_empty_queue_is_not_found() {
    let mut s = store();
    assert_eq!(
        query(&mut s, &[]).response_code(),
        ResponseCode::QUERY_NOT_FOUND
    );
}

#[test]
fn query_without_stored_offset_after_truncation_is_not_found() {
    let mut s = store();
    put_n(&mut s, Instant::now(), 2);
    s.truncate_before(TOPIC, 0, 1);
    assert_eq!(
        query(&mut s, &[]).response_code(),
        ResponseCode::QUERY_NOT_FOUND
    );
}

#[test]
fn query_with_set_zero_false_is_not_found() {
    let mut s = store();
    put_n(&mut s, Instant::now(), 2);
    let r = query(&mut s, &[("setZeroIfNotFound", "false")]);
    assert_eq!(r.response_code(), ResponseCode::QUERY_NOT_FOUND);
}

#[test]
fn query_with_set_zero_true_is_success_without_offset() {
    let mut s = store();
    let r = query(&mut s, &[("setZeroIfNotFound", "true")]);
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
    assert_eq!(r.ext_fields.get("offset"), None);
}

#[test]
fn update_stores_what_it_is_given_even_a_smaller_offset() {
    let t0 = Instant::now();
    let mut s = store();
    for offset in ["9", "4"] {
        let cmd = offset_cmd(
            RequestCode::UPDATE_CONSUMER_OFFSET,
            &[("commitOffset", offset)],
        );
        assert_eq!(
            call(&mut s, t0, &cmd).response_code(),
            ResponseCode::SUCCESS
        );
    }
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(4));
    assert_eq!(
        ext_i64(&query(&mut s, &[("setZeroIfNotFound", "false")]), "offset"),
        4
    );
}

#[test]
fn oneway_update_is_stored_without_reply() {
    let t0 = Instant::now();
    let mut s = store();
    let mut cmd = offset_cmd(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &[("commitOffset", "3")],
    );
    cmd.flag |= rocketmq_proto::FLAG_ONEWAY;
    assert!(matches!(s.handle(t0, WALL, 1, &cmd), Handled::NoReply));
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(3));
}

#[test]
fn max_and_min_offsets_follow_puts_and_truncation() {
    let t0 = Instant::now();
    let mut s = store();
    let max = || offset_cmd(RequestCode::GET_MAX_OFFSET, &[]);
    let min = || offset_cmd(RequestCode::GET_MIN_OFFSET, &[]);
    assert_eq!(ext_i64(&call(&mut s, t0, &max()), "offset"), 0);
    put_n(&mut s, t0, 3);
    s.truncate_before(TOPIC, 0, 2);
    assert_eq!(ext_i64(&call(&mut s, t0, &max()), "offset"), 3);
    assert_eq!(ext_i64(&call(&mut s, t0, &min()), "offset"), 2);
}

#[test]
fn search_by_timestamp_lower_and_upper() {
    let t0 = Instant::now();
    let mut s = store();
    for wall in [100, 200, 200, 300] {
        s.put(t0, wall, TOPIC, 0, Message::new(TOPIC, "x"));
    }
    let search = |s: &mut BrokerStore, ts: &str, boundary: &str| {
        let cmd = offset_cmd(
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
            &[("timestamp", ts), ("boundaryType", boundary)],
        );
        ext_i64(&call(s, t0, &cmd), "offset")
    };
    assert_eq!(search(&mut s, "200", "LOWER"), 1);
    assert_eq!(search(&mut s, "200", "upper"), 2);
    assert_eq!(search(&mut s, "150", "LOWER"), 1);
    assert_eq!(search(&mut s, "150", "UPPER"), 0);
    assert_eq!(search(&mut s, "400", "LOWER"), 4);
    assert_eq!(search(&mut s, "50", "UPPER"), 0);
}
