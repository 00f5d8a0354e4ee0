//! Requests from brokers that the client does not handle get REQUEST_CODE_NOT_SUPPORTED.

mod common;

use common::*;
use rocketmq_proto::{RemotingCommand, RequestCode};

#[test]
fn unsupported_server_requests_are_answered_not_left_hanging() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    let req = RemotingCommand::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_opaque(4242);
    assert!(h.inject("10.0.0.1:10911", &req));
    let notice = RemotingCommand::oneway(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
    assert!(h.inject("10.0.0.1:10911", &notice));
    h.drive();
    // The mock broker logs what the client wrote back, responses included.
    let replies: Vec<_> = h
        .broker("broker-a")
        .received()
        .iter()
        .filter(|c| c.is_response())
        .cloned()
        .collect();
    assert_eq!(replies.len(), 1, "one reply, none for the oneway notice");
    assert_eq!(replies[0].opaque, 4242);
    assert_eq!(replies[0].code, 3);
    assert_eq!(replies[0].remark_str(), " request type 307 not supported");
}
