//! SEND_BATCH_MESSAGE bodies: the V5 vector, decode errors, batch rules, inner batches.

use super::*;

// ---------------------------------------------------------------- V5 batch

fn v5_messages() -> Vec<Message> {
    vec![
        Message::new("TopicTest", "A"),
        Message::new("TopicTest", "BC").with_keys(["k1", "k2"]),
    ]
}

#[test]
fn v5_batch_byte_for_byte() {
    let wire = encode_batch(&v5_messages()).unwrap();
    assert_eq!(wire.len(), 78);
    assert_eq!(wire.as_ref(), v5().as_slice());
    let mut out = BytesMut::from(&b"xy"[..]);
    encode_batch_into(&v5_messages(), &mut out).unwrap();
    assert_eq!(&out[2..], v5().as_slice());
    let entries = decode_batch(&Bytes::from(v5())).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].body, Bytes::from_static(b"BC"));
    assert_eq!(
        entries[1].properties,
        props(&[("KEYS", "k1 k2"), ("WAIT", "true")])
    );
}

#[test]
fn batch_decode_errors() {
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (v5()[..40].to_vec(), |e| {
            matches!(
                e,
                MessageDecodeError::Truncated {
                    index: 1,
                    field: "record",
                    offset: 33,
                    ..
                }
            )
        }),
        (
            {
                let mut b = v5();
                b[3] = 0x20;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::FieldExceedsRecord {
                        index: 0,
                        field: "PROPERTIES",
                        ..
                    }
                )
            },
        ),
        (
            {
                let mut b = v5();
                b[3] = 0x05;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::BadTotalSize {
                        index: 0,
                        total_size: 5,
                        ..
                    }
                )
            },
        ),
        (
            {
                let mut b = v5();
                b[16] = 0x80;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::NegativeLength {
                        field: "BODYLEN",
                        ..
                    }
                )
            },
        ),
        (
            {
                let mut b = v5();
                b[23] = 0xFF;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::InvalidUtf8 {
                        field: "PROPERTIES",
                        ..
                    }
                )
            },
        ),
    ];
    for (bytes, check) in cases {
        let r = decode_batch(&Bytes::from(bytes));
        assert!(matches!(r, Err(ref e) if check(e)), "{r:?}");
    }
}

#[test]
fn batch_rules() {
    let m = |t: &str| Message::new(t, "x");
    let cases: Vec<(Vec<Message>, BatchError)> = vec![
        (vec![], BatchError::Empty),
        (
            vec![m("%RETRY%g"), m("%RETRY%g")],
            BatchError::RetryTopic("%RETRY%g".into()),
        ),
        (
            vec![m("A"), m("B")],
            BatchError::MixedTopics {
                index: 1,
                expected: "A".into(),
                found: "B".into(),
            },
        ),
        (
            vec![m("A"), m("A").with_wait_store_msg_ok(false)],
            BatchError::MixedWaitStoreMsgOk {
                index: 1,
                expected: true,
                found: false,
            },
        ),
        (
            vec![m("A"), m("A").with_delay_level(3)],
            BatchError::DelayNotSupported {
                index: 1,
                value: "3".into(),
            },
        ),
        (
            vec![m("A").with_property("DELAY", "x")],
            BatchError::DelayNotSupported {
                index: 0,
                value: "x".into(),
            },
        ),
        (
            vec![m("A").with_property("p", "v".repeat(40_000))],
            BatchError::PropertiesTooLong {
                index: 0,
                len: 40_000 + "p\u{1}\u{2}".len() + "WAIT\u{1}true\u{2}".len(),
                max: 32767,
            },
        ),
    ];
    for (msgs, want) in cases {
        assert_eq!(validate_batch(&msgs), Err(want.clone()));
        let mut out = BytesMut::new();
        assert_eq!(encode_batch_into(&msgs, &mut out), Err(want));
        assert!(out.is_empty());
    }
    // Absent WAIT equals WAIT=true; DELAY=0 is allowed.
    let mut no_wait = m("A");
    no_wait.properties.clear();
    assert!(validate_batch(&[m("A"), no_wait, m("A").with_delay_level(0)]).is_ok());
}

#[test]
fn inner_batch_unwraps() {
    let inner = vec![
        Message::new("T", "one").with_property(keys::UNIQ_KEY, "AAAA"),
        Message::new("T", "two"),
    ];
    let mut outer = sample_ext();
    outer.message.body = encode_batch(&inner).unwrap();
    outer.queue_offset = 10;
    outer.sys_flag = sys_flag::INNER_BATCH_FLAG | sys_flag::NEED_UNWRAP_FLAG;
    let outer = decode_one(&encode_stored_message(&outer).unwrap()).unwrap();
    assert!(sys_flag::is_inner_batch(outer.sys_flag));
    let msgs = unwrap_inner_batch(&outer).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].message.body, Bytes::from_static(b"one"));
    assert_eq!(msgs[0].msg_id, "AAAA");
    assert_eq!(msgs[1].msg_id, outer.offset_msg_id);
    assert_eq!(msgs[1].queue_offset, 11);
    assert_eq!(msgs[1].message.topic, "TopicTest");
    assert!(!sys_flag::is_inner_batch(msgs[1].sys_flag));
}
