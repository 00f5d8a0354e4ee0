//! Heartbeats, membership, NOTIFY_CONSUMER_IDS_CHANGED, consumer lists.

use std::time::Instant;

use rocketmq_proto::body::ConsumerListBody;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode, FLAG_ONEWAY};

use super::*;

/// The sessions notified of `GROUP`'s change in `out`; panics on anything else.
#[track_caller]
fn notified(out: &[(Session, RemotingCommand)]) -> Vec<Session> {
    out.iter()
        .map(|(session, cmd)| {
            assert_eq!(cmd.request_code(), RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
            assert_eq!(cmd.flag, FLAG_ONEWAY);
            assert_eq!(cmd.version, 474);
            assert_eq!(cmd.ext_fields.get("consumerGroup"), Some(GROUP));
            *session
        })
        .collect()
}

/// Heart-beats on `session` and returns the reply and the sessions notified.
fn beat(
    s: &mut BrokerStore,
    session: Session,
    client: &str,
    subs: &[(&str, &str)],
) -> (RemotingCommand, Vec<Session>) {
    let t0 = Instant::now();
    let r = reply(s.handle(t0, WALL, session, &heartbeat_cmd(client, GROUP, subs)));
    let out = s.poll_outbound(t0, WALL);
    (r, notified(&out))
}

/// GET_CONSUMER_LIST_BY_GROUP for `group`.
fn consumer_list(s: &mut BrokerStore, group: &str) -> RemotingCommand {
    let mut cmd = RemotingCommand::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP);
    cmd.ext_fields.insert("consumerGroup", group);
    call(s, Instant::now(), &cmd)
}

/// UNREGISTER_CLIENT of `client` from `GROUP`.
fn unregister(client: &str) -> RemotingCommand {
    let mut cmd = RemotingCommand::request(RequestCode::UNREGISTER_CLIENT);
    cmd.ext_fields.insert("clientID", client);
    cmd.ext_fields.insert("consumerGroup", GROUP);
    cmd
}

#[test]
fn heartbeat_creates_the_retry_topic_and_answers_v2_fields() {
    let mut s = store_with(|c| c.retry_queue_nums = 2);
    let (r, _) = beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    assert_eq!(
        (r.response_code(), r.opaque, r.version),
        (ResponseCode::SUCCESS, 3, 474)
    );
    assert_eq!(r.ext_fields.get("isSupportHeartBeatV2"), Some("true"));
    assert_eq!(r.ext_fields.get("isSubChange"), Some("true"));
    assert_eq!(s.take_created_topics(), [("%RETRY%cg".to_owned(), 2)]);
    assert_eq!(s.members(GROUP), [CLIENT_A]);
}

#[test]
fn a_join_notifies_every_member() {
    let mut s = store();
    assert_eq!(beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]).1, [1]);
    assert_eq!(beat(&mut s, 2, CLIENT_B, &[(TOPIC, "*")]).1, [1, 2]);
    assert_eq!(s.members(GROUP), [CLIENT_A, CLIENT_B]);
}

#[test]
fn notifications_are_queued_before_the_reply_is_returned() {
    let t0 = Instant::now();
    let mut s = store();
    let handled = s.handle(
        t0,
        WALL,
        1,
        &heartbeat_cmd(CLIENT_A, GROUP, &[(TOPIC, "*")]),
    );
    assert!(matches!(handled, Handled::Reply(_)));
    assert_eq!(s.poll_outbound(t0, WALL).len(), 1);
}

#[test]
fn a_repeated_heartbeat_does_not_notify() {
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    let (r, sessions) = beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    assert!(sessions.is_empty());
    assert_eq!(r.ext_fields.get("isSubChange"), Some("false"));
}

#[test]
fn a_subscription_change_notifies_every_member() {
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    beat(&mut s, 2, CLIENT_B, &[(TOPIC, "*")]);
    let (r, sessions) = beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*"), ("Other", "*")]);
    assert_eq!(sessions, [1, 2]);
    assert_eq!(r.ext_fields.get("isSubChange"), Some("true"));
    assert_eq!(
        beat(&mut s, 2, CLIENT_B, &[(TOPIC, "*")]).1,
        [1, 2],
        "a topic removed"
    );
}

#[test]
fn leaving_does_not_notify() {
    let t0 = Instant::now();
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    beat(&mut s, 2, CLIENT_B, &[(TOPIC, "*")]);
    assert_eq!(
        call(&mut s, t0, &unregister(CLIENT_B)).response_code(),
        ResponseCode::SUCCESS
    );
    assert_eq!(s.members(GROUP), [CLIENT_A]);
    assert!(s.poll_outbound(t0, WALL).is_empty());
    beat(&mut s, 2, CLIENT_B, &[(TOPIC, "*")]);
    s.session_closed(t0, 1);
    assert_eq!(s.members(GROUP), [CLIENT_B]);
    assert!(s.poll_outbound(t0, WALL).is_empty());
}

#[test]
fn a_newer_session_of_the_same_client_replaces_the_older() {
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    let (_, sessions) = beat(&mut s, 2, CLIENT_A, &[(TOPIC, "*")]);
    assert_eq!(sessions, [2]);
    assert_eq!(s.members(GROUP), [CLIENT_A]);
    assert_eq!(s.take_retired_sessions(), [1]);
    s.session_closed(Instant::now(), 1);
    assert_eq!(
        s.members(GROUP),
        [CLIENT_A],
        "closing the retired session changes nothing"
    );
}

#[test]
fn another_client_id_on_the_same_session_is_refused() {
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    let (r, _) = beat(&mut s, 1, CLIENT_B, &[(TOPIC, "*")]);
    assert_eq!(r.response_code(), ResponseCode::INVALID_PARAMETER);
    assert_eq!(s.members(GROUP), [CLIENT_A]);
}

#[test]
fn consumer_list_is_in_registration_order() {
    let mut s = store();
    beat(&mut s, 1, CLIENT_B, &[(TOPIC, "*")]);
    beat(&mut s, 2, CLIENT_A, &[(TOPIC, "*")]);
    let r = consumer_list(&mut s, GROUP);
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
    let list = ConsumerListBody::from_json(&r.body).unwrap();
    assert_eq!(list.consumer_id_list, [CLIENT_B, CLIENT_A]);
}

#[test]
fn consumer_list_of_an_empty_group_is_an_error() {
    let mut s = store();
    let r = consumer_list(&mut s, "nobody");
    assert_eq!(r.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(r.remark_str(), "no consumer for this group, nobody");
}

#[test]
fn a_light_heartbeat_keeps_the_subscriptions() {
    let t0 = Instant::now();
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    let mut light = heartbeat_cmd(CLIENT_A, GROUP, &[]);
    let json = String::from_utf8(light.body.to_vec()).unwrap();
    light.body = json.replacen('{', "{\"withoutSub\": true,", 1).into();
    let r = reply(s.handle(t0, WALL, 1, &light));
    assert_eq!(r.ext_fields.get("isSubChange"), Some("false"));
    put_n(&mut s, t0, 1);
    let r = call(&mut s, t0, &Pull::at(0).registered(1).cmd());
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
}

#[test]
fn the_last_member_leaving_forgets_the_group_subscription() {
    let t0 = Instant::now();
    let mut s = store();
    beat(&mut s, 1, CLIENT_A, &[(TOPIC, "*")]);
    s.session_closed(t0, 1);
    let r = call(&mut s, t0, &Pull::at(0).registered(1).cmd());
    assert_eq!(r.response_code(), ResponseCode::SUBSCRIPTION_NOT_EXIST);
}

#[test]
fn producer_groups_are_recorded() {
    let t0 = Instant::now();
    let mut s = store();
    let data = HeartbeatData {
        client_id: CLIENT_A.into(),
        consumer_data_set: Vec::new(),
        producer_data_set: vec![rocketmq_proto::body::ProducerData {
            group_name: "pg".into(),
        }],
    };
    let cmd = RemotingCommand::request(RequestCode::HEART_BEAT).with_body(data.to_json());
    assert_eq!(
        call(&mut s, t0, &cmd).response_code(),
        ResponseCode::SUCCESS
    );
    assert_eq!(s.producers("pg"), [CLIENT_A]);
    assert!(s.poll_outbound(t0, WALL).is_empty());
}
