//! Requests from brokers that the client does not handle get REQUEST_CODE_NOT_SUPPORTED;
//! consumer requests for a group the client does not run get Java's SYSTEM_ERROR.

mod common;

use common::*;
use rocketmq_proto::{RemotingCommand, RequestCode};

#[test]
fn unsupported_server_requests_are_answered_not_left_hanging() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    let req = RemotingCommand::request(RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT).with_opaque(4242);
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
    assert_eq!(replies[0].remark_str(), " request type 326 not supported");
}

#[test]
fn running_info_for_a_group_not_here_is_a_system_error_with_javas_remark() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    let mut req = RemotingCommand::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_opaque(77);
    req.ext_fields.insert("consumerGroup", "nobody");
    req.ext_fields.insert("clientId", "x");
    assert!(h.inject("10.0.0.1:10911", &req));
    h.drive();
    let reply = h
        .broker("broker-a")
        .received()
        .iter()
        .find(|c| c.is_response() && c.opaque == 77)
        .cloned()
        .expect("answered");
    assert_eq!(reply.code, 1);
    assert_eq!(
        reply.remark_str(),
        "The Consumer Group <nobody> not exist in this consumer"
    );
}
