//! Malformed requests get error answers, never a panic; other traffic is not the store's.

use std::time::Instant;

use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode, FLAG_RESPONSE};

use super::*;

/// Every request code the store handles.
const HANDLED: [RequestCode; 17] = [
    RequestCode::SEND_MESSAGE,
    RequestCode::SEND_MESSAGE_V2,
    RequestCode::SEND_BATCH_MESSAGE,
    RequestCode::PULL_MESSAGE,
    RequestCode::LITE_PULL_MESSAGE,
    RequestCode::QUERY_CONSUMER_OFFSET,
    RequestCode::UPDATE_CONSUMER_OFFSET,
    RequestCode::GET_MAX_OFFSET,
    RequestCode::GET_MIN_OFFSET,
    RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
    RequestCode::HEART_BEAT,
    RequestCode::UNREGISTER_CLIENT,
    RequestCode::GET_CONSUMER_LIST_BY_GROUP,
    RequestCode::LOCK_BATCH_MQ,
    RequestCode::UNLOCK_BATCH_MQ,
    RequestCode::CONSUMER_SEND_MSG_BACK,
    RequestCode::VIEW_MESSAGE_BY_ID,
];

#[test]
fn requests_without_header_are_invalid_parameter() {
    let t0 = Instant::now();
    let mut s = store();
    for code in HANDLED {
        let cmd = RemotingCommand::request(code)
            .with_opaque(42)
            .with_body(&b"\xff{garbage"[..]);
        let r = call(&mut s, t0, &cmd);
        assert_eq!(
            r.response_code(),
            ResponseCode::INVALID_PARAMETER,
            "{code:?}"
        );
        assert_eq!(
            (r.opaque, r.flag, r.version),
            (42, FLAG_RESPONSE, 474),
            "{code:?}"
        );
        let remark = r.remark_str();
        assert!(
            remark == "Request header is invalid" || remark == "Request body is invalid",
            "{code:?}: {remark}"
        );
    }
}

#[test]
fn a_bad_number_in_a_header_is_invalid_parameter() {
    let t0 = Instant::now();
    let mut s = store();
    let mut cmd = Pull::at(0).cmd();
    cmd.ext_fields.insert("queueOffset", "12x");
    let r = call(&mut s, t0, &cmd);
    assert_eq!(r.response_code(), ResponseCode::INVALID_PARAMETER);
    assert_eq!(r.remark_str(), "Request header is invalid");
}

#[test]
fn a_bad_batch_body_is_invalid_parameter() {
    let t0 = Instant::now();
    let mut s = store();
    let mut cmd = send_cmd(&Message::new(TOPIC, "x"), 0);
    cmd.code = RequestCode::SEND_BATCH_MESSAGE.0;
    cmd.body = Bytes::from_static(&[0, 0, 0, 99, 1, 2]);
    let r = call(&mut s, t0, &cmd);
    assert_eq!(r.response_code(), ResponseCode::INVALID_PARAMETER);
    assert_eq!(r.remark_str(), "Request body is invalid");
}

#[test]
fn other_requests_and_responses_are_not_mine() {
    let t0 = Instant::now();
    let mut s = store();
    let route = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    assert!(matches!(s.handle(t0, WALL, 1, &route), Handled::NotMine));
    let answer = RemotingCommand::response(ResponseCode::SUCCESS, 1, None);
    assert!(matches!(s.handle(t0, WALL, 1, &answer), Handled::NotMine));
}
