//! Send-back, transaction and admin headers; how numbers and booleans parse; unknown keys.

use super::*;

#[test]
fn send_msg_back() {
    check(
        &Codec {
            to: ConsumerSendMsgBackRequestHeader::to_ext_fields,
            from: ConsumerSendMsgBackRequestHeader::from_ext_fields,
        },
        &ConsumerSendMsgBackRequestHeader {
            offset: 0x1234,
            group: "cg".into(),
            delay_level: 0,
            origin_msg_id: Some("C0A8".into()),
            origin_topic: Some("T".into()),
            unit_mode: false,
            max_reconsume_times: Some(16),
            broker_name: Some("broker-a".into()),
        },
        &["offset", "group", "delayLevel"],
        &[
            ("offset", "i64"),
            ("delayLevel", "i32"),
            ("maxReconsumeTimes", "i32"),
        ],
    );
}

#[test]
fn transactions() {
    check(
        &Codec {
            to: EndTransactionRequestHeader::to_ext_fields,
            from: EndTransactionRequestHeader::from_ext_fields,
        },
        &EndTransactionRequestHeader {
            topic: Some("T".into()),
            producer_group: "pg".into(),
            tran_state_table_offset: 5,
            commit_log_offset: 0x1234,
            commit_or_rollback: TransactionState::Commit,
            from_transaction_check: true,
            msg_id: "UNIQ".into(),
            transaction_id: Some("UNIQ".into()),
        },
        &[
            "producerGroup",
            "tranStateTableOffset",
            "commitLogOffset",
            "commitOrRollback",
            "msgId",
        ],
        &[("tranStateTableOffset", "i64"), ("commitLogOffset", "i64")],
    );
    check(
        &Codec {
            to: CheckTransactionStateRequestHeader::to_ext_fields,
            from: CheckTransactionStateRequestHeader::from_ext_fields,
        },
        &CheckTransactionStateRequestHeader {
            topic: Some("T".into()),
            tran_state_table_offset: 5,
            commit_log_offset: 0x1234,
            msg_id: Some("UNIQ".into()),
            transaction_id: Some("UNIQ".into()),
            offset_msg_id: Some("OFF".into()),
        },
        &["tranStateTableOffset", "commitLogOffset"],
        &[("tranStateTableOffset", "i64"), ("commitLogOffset", "i64")],
    );
}

#[test]
fn transaction_state_values() {
    for (state, v) in [
        (TransactionState::Unknown, 0),
        (TransactionState::Commit, 8),
        (TransactionState::Rollback, 12),
    ] {
        assert_eq!(state.as_i32(), v);
        assert_eq!(TransactionState::from_i32(v), Some(state));
    }
    assert_eq!(TransactionState::from_i32(4), None);

    let mut ext = ExtFields::new();
    EndTransactionRequestHeader::default().to_ext_fields(&mut ext);
    assert_eq!(ext.get("commitOrRollback"), Some("0"));
    assert_eq!(ext.get("fromTransactionCheck"), Some("false"));
    ext.insert("commitOrRollback", "4");
    assert_eq!(
        EndTransactionRequestHeader::from_ext_fields(&ext),
        Err(HeaderError::Invalid {
            field: "commitOrRollback",
            value: "4".into(),
            expected: "transaction state (0, 8 or 12)",
        })
    );
}

#[test]
fn admin_headers() {
    check(
        &Codec {
            to: ViewMessageByIdRequestHeader::to_ext_fields,
            from: ViewMessageByIdRequestHeader::from_ext_fields,
        },
        &ViewMessageByIdRequestHeader {
            topic: Some("T".into()),
            offset: 0x1234,
        },
        &["offset"],
        &[("offset", "i64")],
    );
    check(
        &Codec {
            to: GetEarliestMsgStoretimeRequestHeader::to_ext_fields,
            from: GetEarliestMsgStoretimeRequestHeader::from_ext_fields,
        },
        &GetEarliestMsgStoretimeRequestHeader {
            topic: "T".into(),
            queue_id: 0,
        },
        &["topic", "queueId"],
        &[("queueId", "i32")],
    );
    check(
        &Codec {
            to: GetEarliestMsgStoretimeResponseHeader::to_ext_fields,
            from: GetEarliestMsgStoretimeResponseHeader::from_ext_fields,
        },
        &GetEarliestMsgStoretimeResponseHeader {
            timestamp: 1_700_000_000_000,
        },
        &["timestamp"],
        &[("timestamp", "i64")],
    );
}

#[test]
fn integers_parse_like_java() {
    let mut ext = ext_of(&[("offset", "+5")]);
    assert_eq!(
        OffsetResponseHeader::from_ext_fields(&ext),
        Ok(OffsetResponseHeader { offset: 5 })
    );
    for bad in ["", " 5", "5 ", "0x10", "9223372036854775808", "1.0"] {
        ext.insert("offset", bad);
        assert_eq!(
            OffsetResponseHeader::from_ext_fields(&ext),
            Err(HeaderError::Invalid {
                field: "offset",
                value: bad.into(),
                expected: "i64"
            }),
            "{bad:?}"
        );
    }
    ext.insert("offset", "-9223372036854775808");
    assert_eq!(
        OffsetResponseHeader::from_ext_fields(&ext),
        Ok(OffsetResponseHeader { offset: i64::MIN })
    );
    let mut out = ExtFields::new();
    OffsetResponseHeader { offset: i64::MIN }.to_ext_fields(&mut out);
    assert_eq!(out.get("offset"), Some("-9223372036854775808"));
}

#[test]
fn unknown_keys_are_ignored() {
    let ext = ext_of(&[("offset", "1"), ("AccessKey", "ak"), ("Signature", "sig")]);
    assert_eq!(
        OffsetResponseHeader::from_ext_fields(&ext),
        Ok(OffsetResponseHeader { offset: 1 })
    );
}
