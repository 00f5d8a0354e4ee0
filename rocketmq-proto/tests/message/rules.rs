//! Properties edge rules, message defaults and client-side validation.

use super::*;

// ---------------------------------------------------------------- properties

#[test]
fn decode_properties_edge_rules() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("", &[]),
        ("a\u{1}b", &[("a", "b")]),
        ("a\u{1}b\u{2}", &[("a", "b")]),
        ("\u{2}\u{2}a\u{1}b\u{2}\u{2}", &[("a", "b")]),
        ("ab", &[]),
        ("a\u{1}", &[]),
        ("\u{1}b", &[]),
        ("\u{1}bc\u{2}", &[]),
        ("ab\u{1}\u{2}", &[]),
        ("abc", &[]),
        ("k\u{1}v\u{1}w", &[("k", "v\u{1}w")]),
        ("k\u{1}\u{1}v", &[("k", "\u{1}v")]),
        ("k\u{1}1\u{2}k\u{1}2\u{2}", &[("k", "2")]),
        (
            "x\u{1}y\u{2}noval\u{2}é\u{1}ü\u{2}",
            &[("x", "y"), ("é", "ü")],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(decode_properties(input), props(want), "{input:?}");
    }
}

#[test]
fn message_defaults() {
    let m = Message::new("T", "body");
    assert_eq!(m.properties, props(&[("WAIT", "true")]));
    assert_eq!(m.flag, 0);
}

// ---------------------------------------------------------------- validation

#[test]
fn validation_rules() {
    let long = "a".repeat(128);
    let topic_cases: Vec<(&str, Result<(), ValidationError>)> = vec![
        ("TopicTest", Ok(())),
        ("%RETRY%g|x_y-z9", Ok(())),
        ("", Err(ValidationError::BlankTopic)),
        ("  \t", Err(ValidationError::BlankTopic)),
        (&long[..127], Ok(())),
        (
            &long,
            Err(ValidationError::TopicTooLong {
                value: long.clone(),
                len: 128,
                max: 127,
            }),
        ),
        (
            "a b",
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: "a b".into(),
            }),
        ),
        (
            "topic.x",
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: "topic.x".into(),
            }),
        ),
        (
            "tópico",
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: "tópico".into(),
            }),
        ),
        (
            "SCHEDULE_TOPIC_XXXX",
            Err(ValidationError::NotAllowedToSend(
                "SCHEDULE_TOPIC_XXXX".into(),
            )),
        ),
        (
            "RMQ_SYS_TRANS_HALF_TOPIC",
            Err(ValidationError::NotAllowedToSend(
                "RMQ_SYS_TRANS_HALF_TOPIC".into(),
            )),
        ),
        ("TBW102", Ok(())),
    ];
    for (topic, want) in topic_cases {
        assert_eq!(validate_topic(topic), want, "{topic:?}");
    }
    // Length is Java's (UTF-16 units) and is checked before the characters.
    for (topic, len) in [
        ("é".repeat(128), 128),
        ("😀".repeat(64), 128),
        ("😀".repeat(63), 126),
    ] {
        let want = if len > 127 {
            Err(ValidationError::TopicTooLong {
                value: topic.clone(),
                len,
                max: 127,
            })
        } else {
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: topic.clone(),
            })
        };
        assert_eq!(validate_topic(&topic), want);
    }
    assert_eq!(
        validate_topic("\u{3000}\t "),
        Err(ValidationError::BlankTopic)
    );
    assert_eq!(validate_topic(&"a".repeat(127)), Ok(()));
    let long = "g".repeat(121);
    assert_eq!(validate_group("g1"), Ok(()));
    assert_eq!(validate_group(&long[..120]), Ok(()));
    assert_eq!(validate_group(""), Err(ValidationError::BlankGroup));
    assert_eq!(
        validate_group(&long),
        Err(ValidationError::GroupTooLong {
            value: long.clone(),
            len: 121,
            max: 120
        })
    );
    assert_eq!(
        validate_group("g/1"),
        Err(ValidationError::IllegalChars {
            what: "group",
            value: "g/1".into()
        })
    );
    assert_eq!(validate_producer_group("CLIENT_INNER_PRODUCER"), Ok(()));
    assert_eq!(
        validate_producer_group("DEFAULT_PRODUCER"),
        Err(ValidationError::ReservedProducerGroup(
            "DEFAULT_PRODUCER".into()
        ))
    );
    assert_eq!(validate_body(1, 1), Ok(()));
    assert_eq!(validate_body(0, 10), Err(ValidationError::EmptyBody));
    assert_eq!(
        validate_body(11, 10),
        Err(ValidationError::BodyTooLarge { size: 11, max: 10 })
    );
    let m = Message::new("T", "x").with_property(keys::INNER_MULTI_DISPATCH, "%LMQ%a/b");
    assert_eq!(
        validate_message(&m, 10),
        Err(ValidationError::InvalidMultiDispatch("%LMQ%a/b".into()))
    );
    assert_eq!(validate_message(&Message::new("T", "x"), 10), Ok(()));
    assert!(is_system_topic("TBW102"));
    assert!(is_system_topic("rmq_sys_anything"));
    assert!(is_system_topic("CHECKPOINT_TOPIC"));
    assert!(!is_system_topic("TopicTest"));
}
