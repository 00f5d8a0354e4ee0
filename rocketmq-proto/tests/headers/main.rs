//! Typed custom headers: round trips, missing and invalid fields, V2 short names.

use std::fmt::Debug;

use rocketmq_proto::header::*;
use rocketmq_proto::{ExtFields, HeaderError, RequestCode, ResponseCode};

/// Conversion functions of one header type.
struct Codec<H> {
    to: fn(&H, &mut ExtFields),
    from: fn(&ExtFields) -> Result<H, HeaderError>,
}

/// Checks a fully populated header: round trip, `Missing` for each required key,
/// `Invalid` for each listed numeric key, and that `Default` round-trips too.
fn check<H: PartialEq + Debug + Default>(
    c: &Codec<H>,
    full: &H,
    required: &[&'static str],
    numeric: &[(&'static str, &'static str)],
) {
    let mut ext = ExtFields::new();
    (c.to)(full, &mut ext);
    assert_eq!((c.from)(&ext).as_ref(), Ok(full), "round trip via {ext:?}");

    for &field in required {
        let mut e = ext.clone();
        assert!(e.remove(field).is_some(), "{field} was not written");
        assert_eq!(
            (c.from)(&e),
            Err(HeaderError::Missing { field }),
            "without {field}"
        );
    }
    for &(field, expected) in numeric {
        let mut e = ext.clone();
        e.insert(field, "12x");
        assert_eq!(
            (c.from)(&e),
            Err(HeaderError::Invalid {
                field,
                value: "12x".into(),
                expected
            }),
            "bad {field}"
        );
    }

    let default = H::default();
    let mut ext = ExtFields::new();
    (c.to)(&default, &mut ext);
    assert_eq!((c.from)(&ext), Ok(default));
}

fn ext_of(pairs: &[(&'static str, &str)]) -> ExtFields {
    pairs.iter().map(|&(k, v)| (k, v)).collect()
}

fn full_send() -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0x300,
        born_timestamp: 1_700_000_000_000,
        flag: 7,
        properties: Some("WAIT\u{1}true\u{2}".into()),
        reconsume_times: Some(2),
        unit_mode: Some(false),
        max_reconsume_times: Some(16),
        batch: Some(true),
        broker_name: Some("broker-a".into()),
    }
}

const SEND_REQUIRED_V1: [&str; 8] = [
    "producerGroup",
    "topic",
    "defaultTopic",
    "defaultTopicQueueNums",
    "queueId",
    "sysFlag",
    "bornTimestamp",
    "flag",
];

mod consume;
mod other;
mod send;
