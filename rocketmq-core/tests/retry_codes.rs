//! Which broker codes are retried (configurable; default the 5.x set) and which fail at once.

mod common;

use common::*;
use rocketmq_core::config::DEFAULT_RETRY_CODES;
use rocketmq_core::testing::Reply;
use rocketmq_core::SendError;
use rocketmq_proto::header::SendStatus;
use rocketmq_proto::ResponseCode;

#[test]
fn every_default_retry_code_is_retried() {
    for code in DEFAULT_RETRY_CODES {
        let mut h = two_brokers();
        let p = producer(&mut h, |_| {});
        h.broker_mut("broker-a").push_reply(Reply::Code(code));
        h.broker_mut("broker-b").push_reply(Reply::Code(code));
        let r = send_one(&mut h, p);
        assert!(r.is_ok(), "{code:?}: {r:?}");
        assert_eq!(h.send_requests(), 3, "{code:?}");
    }
}

#[test]
fn non_retryable_codes_fail_after_one_attempt_with_the_broker_error() {
    for code in [
        ResponseCode::MESSAGE_ILLEGAL,
        ResponseCode::INVALID_PARAMETER,
        ResponseCode(9999),
    ] {
        let mut h = two_brokers();
        let p = producer(&mut h, |_| {});
        h.broker_mut("broker-a")
            .set_default_reply(Reply::CodeWithRemark(code, "nope".into()));
        h.broker_mut("broker-b")
            .set_default_reply(Reply::CodeWithRemark(code, "nope".into()));
        let err = send_one(&mut h, p).unwrap_err();
        assert_eq!(h.send_requests(), 1, "{code:?}");
        match err {
            SendError::Broker {
                code: c, remark, ..
            } => {
                assert_eq!(c, code);
                assert_eq!(remark, "nope");
            }
            e => panic!("{code:?}: {e}"),
        }
    }
}

#[test]
fn exhausted_retries_say_attempts_brokers_and_last_cause() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b)
            .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    }
    let err = send_one(&mut h, p).unwrap_err();
    match &err {
        SendError::RetriesExhausted {
            attempts,
            brokers,
            last,
            topic,
            ..
        } => {
            assert_eq!(*attempts, 3);
            assert_eq!(brokers.len(), 3);
            assert_ne!(brokers[0], brokers[1]);
            assert_ne!(brokers[1], brokers[2]);
            assert_eq!(topic, "T");
            assert_eq!(last.broker_code(), Some(ResponseCode::SYSTEM_BUSY));
        }
        e => panic!("{e}"),
    }
    let text = err.to_string();
    assert!(text.starts_with("Send [3] times, still failed"), "{text}");
    assert!(text.contains("BrokersSent"), "{text}");
    assert_eq!(err.broker_code(), Some(ResponseCode::SYSTEM_BUSY));
}

#[test]
fn the_retry_set_is_configurable() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| {
        c.retry_response_codes = vec![ResponseCode::MESSAGE_ILLEGAL]
    });
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::MESSAGE_ILLEGAL));
    h.broker_mut("broker-b")
        .push_reply(Reply::Code(ResponseCode::MESSAGE_ILLEGAL));
    assert!(send_one(&mut h, p).is_ok());
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    h.broker_mut("broker-b")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    assert!(send_one(&mut h, p).is_err());
}

#[test]
fn retries_count_is_configurable() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.retry_times_when_send_failed = 0);
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    h.broker_mut("broker-b")
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    let err = send_one(&mut h, p).unwrap_err();
    assert!(
        matches!(err, SendError::RetriesExhausted { attempts: 1, .. }),
        "{err}"
    );
}

#[test]
fn not_stored_ok_statuses_complete_unless_the_flag_asks_for_another_broker() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Code(ResponseCode::FLUSH_DISK_TIMEOUT));
    h.broker_mut("broker-b")
        .set_default_reply(Reply::Code(ResponseCode::FLUSH_DISK_TIMEOUT));
    let r = send_one(&mut h, p).unwrap();
    assert_eq!(r.status, SendStatus::FlushDiskTimeout);
    assert_eq!(h.send_requests(), 1);

    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.retry_another_broker_when_not_store_ok = true);
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Code(ResponseCode::SLAVE_NOT_AVAILABLE));
    h.broker_mut("broker-b")
        .set_default_reply(Reply::Code(ResponseCode::SLAVE_NOT_AVAILABLE));
    let r = send_one(&mut h, p).unwrap();
    assert_eq!(r.status, SendStatus::SlaveNotAvailable);
    assert_eq!(
        h.send_requests(),
        3,
        "retried, then the last stored result is returned"
    );
}
