//! Sends, batches, the stored record layout, view by id.

use std::net::SocketAddr;
use std::time::Instant;

use rocketmq_proto::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use rocketmq_proto::message::Message;
use rocketmq_proto::message::{decode_stored_message, encode_batch, encode_offset_msg_id, keys};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode, FLAG_RESPONSE};

use super::*;

#[test]
fn sent_messages_pull_back_as_decodable_records() {
    let t0 = Instant::now();
    let mut s = store();
    for i in 0..3 {
        let msg = tagged("TagA", ["a", "b", "c"][i])
            .with_keys(["k1", "k2"])
            .with_property("color", "red")
            .with_flag(9);
        assert_eq!(
            call(&mut s, t0, &send_cmd(&msg, 2)).response_code(),
            ResponseCode::SUCCESS
        );
    }
    let r = call(&mut s, t0, &Pull::at(0).topic(TOPIC, 2).cmd());
    let msgs = pulled(&r);
    assert_eq!(bodies(&msgs), ["a", "b", "c"]);
    let store_host: SocketAddr = STORE_ADDR.parse().unwrap();
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.message.topic, TOPIC);
        assert_eq!(m.queue_id, 2);
        assert_eq!(m.queue_offset, i as i64);
        assert_eq!(m.message.flag, 9);
        assert_eq!(m.message.tags(), Some("TagA"));
        assert_eq!(m.message.keys(), Some("k1 k2"));
        assert_eq!(m.message.property("color"), Some("red"));
        assert_eq!(m.message.property(keys::CLUSTER), Some("DefaultCluster"));
        assert_eq!(m.msg_id, m.message.property(keys::UNIQ_KEY).unwrap());
        assert_eq!(m.store_host, store_host);
        assert_eq!(m.born_host.ip().to_string(), "127.0.0.1");
        assert_eq!((m.born_timestamp, m.store_timestamp), (WALL - 5, WALL));
    }
    assert_eq!(
        msgs[1].commit_log_offset,
        msgs[0].commit_log_offset + i64::from(msgs[0].store_size)
    );
    assert_ne!(msgs[0].msg_id, msgs[1].msg_id);
    assert_eq!(ext_i64(&r, "nextBeginOffset"), 3);
    assert_eq!((ext_i64(&r, "minOffset"), ext_i64(&r, "maxOffset")), (0, 3));
    assert_eq!(ext_i64(&r, "suggestWhichBrokerId"), 0);
}

#[test]
fn send_answer_names_the_stored_record() {
    let t0 = Instant::now();
    let mut s = store();
    s.put(t0, WALL, TOPIC, 1, Message::new(TOPIC, "first"));
    let r = call(&mut s, t0, &send_cmd(&Message::new(TOPIC, "second"), 1));
    assert_eq!((r.opaque, r.flag, r.version), (7, FLAG_RESPONSE, 474));
    let h = SendMessageResponseHeader::from_ext_fields(&r.ext_fields).unwrap();
    let stored = &s.messages(TOPIC, 1)[1];
    assert_eq!(
        h.msg_id,
        encode_offset_msg_id(STORE_ADDR.parse().unwrap(), stored.commit_log_offset)
    );
    assert_eq!((h.queue_id, h.queue_offset), (1, 1));
    assert_eq!(h.region.as_deref(), Some("DefaultRegion"));
    assert!(h.trace_on);
}

#[test]
fn a_client_uniq_key_is_kept() {
    let t0 = Instant::now();
    let mut s = store();
    let msg =
        Message::new(TOPIC, "x").with_property(keys::UNIQ_KEY, "C0A8000210922A9F7A1C0B8E4AB90000");
    call(&mut s, t0, &send_cmd(&msg, 0));
    assert_eq!(
        s.messages(TOPIC, 0)[0].msg_id,
        "C0A8000210922A9F7A1C0B8E4AB90000"
    );
}

#[test]
fn sent_born_host_is_the_heart_beaten_client_ip() {
    let t0 = Instant::now();
    let mut s = store();
    join(&mut s, t0, 1, CLIENT_A, "*");
    call(&mut s, t0, &send_cmd(&Message::new(TOPIC, "x"), 0));
    assert_eq!(
        s.messages(TOPIC, 0)[0].born_host.ip().to_string(),
        "192.168.0.2"
    );
}

#[test]
fn batch_send_stores_each_message() {
    let t0 = Instant::now();
    let mut s = store();
    let batch = [
        Message::new(TOPIC, "one").with_tags("T1"),
        Message::new(TOPIC, "two"),
    ];
    let mut cmd = send_cmd(&Message::new(TOPIC, ""), 0);
    cmd.code = RequestCode::SEND_BATCH_MESSAGE.0;
    cmd.ext_fields.insert("m", "true");
    cmd.body = encode_batch(&batch).unwrap();
    let r = call(&mut s, t0, &cmd);
    assert_eq!(r.response_code(), ResponseCode::SUCCESS, "{r:?}");
    let msgs = s.messages(TOPIC, 0);
    assert_eq!(bodies(&msgs), ["one", "two"]);
    assert_eq!(msgs[0].message.tags(), Some("T1"));
    let ids: Vec<String> = msgs.iter().map(|m| m.offset_msg_id.clone()).collect();
    assert_eq!(r.ext_fields.get("msgId"), Some(ids.join(",").as_str()));
    assert_eq!(ext_i64(&r, "queueOffset"), 0);
}

#[test]
fn send_v1_header_is_read() {
    let t0 = Instant::now();
    let mut s = store();
    let v2 = send_cmd(&Message::new(TOPIC, "x"), 3);
    let header = SendMessageRequestHeader::from_v2_ext_fields(&v2.ext_fields).unwrap();
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE).with_body("v1");
    header.to_ext_fields(&mut cmd.ext_fields);
    assert_eq!(
        call(&mut s, t0, &cmd).response_code(),
        ResponseCode::SUCCESS
    );
    assert_eq!(bodies(&s.messages(TOPIC, 3)), ["v1"]);
}

#[test]
fn a_new_topic_is_reported_created_but_a_declared_one_is_not() {
    let t0 = Instant::now();
    let mut s = store();
    s.create_topic("Declared", 8);
    call(&mut s, t0, &send_cmd(&Message::new("Declared", "x"), 5));
    call(&mut s, t0, &send_cmd(&Message::new("Fresh", "x"), 1));
    call(&mut s, t0, &send_cmd(&Message::new("Fresh", "x"), 6));
    assert_eq!(
        s.take_created_topics(),
        [("Fresh".into(), 4), ("Fresh".into(), 7)]
    );
    assert!(s.take_created_topics().is_empty());
}

#[test]
fn send_to_retry_topic_past_max_reconsume_times_goes_to_dlq() {
    let t0 = Instant::now();
    let mut s = store();
    let retry = "%RETRY%cg";
    for (times, body) in [(2, "kept"), (3, "dead")] {
        let mut cmd = send_cmd(&Message::new(retry, body), 0);
        cmd.ext_fields.insert("j", times.to_string());
        cmd.ext_fields.insert("l", "2");
        call(&mut s, t0, &cmd);
    }
    assert_eq!(bodies(&s.messages(retry, 0)), ["kept"]);
    let dead = s.messages("%DLQ%cg", 0);
    assert_eq!(bodies(&dead), ["dead"]);
    assert_eq!(dead[0].reconsume_times, 3);
}

#[test]
fn view_by_id_returns_the_raw_record() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 2);
    let phys = s.messages(TOPIC, 0)[1].commit_log_offset;
    let mut cmd = RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID);
    cmd.ext_fields.insert("offset", phys.to_string());
    let r = call(&mut s, t0, &cmd);
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
    let m = decode_stored_message(&mut &r.body[..]).unwrap();
    assert_eq!((m.queue_offset, m.commit_log_offset), (1, phys));
    cmd.ext_fields.insert("offset", (phys + 1).to_string());
    assert_eq!(
        call(&mut s, t0, &cmd).response_code(),
        ResponseCode::SYSTEM_ERROR
    );
}

#[test]
fn a_fixed_commit_log_stride_spaces_records_by_it() {
    let t0 = Instant::now();
    let mut s = store_with(|c| c.commit_log_stride = Some(100));
    put_n(&mut s, t0, 3);
    let msgs = s.messages(TOPIC, 0);
    let phys: Vec<i64> = msgs.iter().map(|m| m.commit_log_offset).collect();
    assert_eq!(phys, [0, 100, 200]);
    assert!(msgs[0].store_size > 100, "records keep their real size");
    let mut cmd = RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID);
    cmd.ext_fields.insert("offset", "100");
    let m = decode_stored_message(&mut &call(&mut s, t0, &cmd).body[..]).unwrap();
    assert_eq!(
        (m.queue_offset, m.offset_msg_id.clone()),
        (1, msgs[1].offset_msg_id.clone())
    );
}

#[test]
fn queue_nums_reports_declared_and_created_topics() {
    let t0 = Instant::now();
    let mut s = store();
    assert_eq!(s.queue_nums(TOPIC), None);
    s.create_topic(TOPIC, 2);
    assert_eq!(s.queue_nums(TOPIC), Some(2));
    s.put(t0, WALL, "Other", 5, Message::new("Other", "x"));
    assert_eq!(s.queue_nums("Other"), Some(6));
    assert!(s.take_created_topics().contains(&("Other".to_owned(), 6)));
}
