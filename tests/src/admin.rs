//! A small blocking admin client: read stored messages, offsets, routes and a consumer's
//! running info back from the servers, and create topics.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::BytesMut;
use rocketmq_proto::body::{ConsumerRunningInfo, TopicRouteData};
use rocketmq_proto::header::{
    GetConsumerRunningInfoRequestHeader, GetMaxOffsetRequestHeader, GetRouteInfoRequestHeader,
    PullMessageRequestHeader, QueryConsumerOffsetRequestHeader, ViewMessageByIdRequestHeader,
};
use rocketmq_proto::message::flags::pull_sys_flag;
use rocketmq_proto::message::{decode_offset_msg_id, decode_stored_messages, MessageExt};
use rocketmq_proto::{
    frame, FrameDecoder, RemotingCommand, RequestCode, ResponseCode, SerializeType,
};

/// Sends one request and waits (up to 5 s) for its response.
pub fn request(addr: &str, mut cmd: RemotingCommand) -> std::io::Result<RemotingCommand> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    cmd.opaque = 1;
    let wire = frame::encode_to_bytes(&cmd, SerializeType::Json)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    s.write_all(&wire)?;
    let mut buf = BytesMut::new();
    let mut dec = FrameDecoder::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(resp) = dec
            .decode(&mut buf)
            .map_err(|e| std::io::Error::other(e.to_string()))?
        {
            if resp.is_response() && resp.opaque == 1 {
                return Ok(resp);
            }
            continue;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Fetches a stored message by its offset message id (VIEW_MESSAGE_BY_ID) and decodes it.
pub fn view_message(topic: &str, offset_msg_id: &str) -> MessageExt {
    let (store, offset) = decode_offset_msg_id(offset_msg_id).expect("offset msg id");
    let mut cmd = RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID);
    ViewMessageByIdRequestHeader {
        topic: Some(topic.to_owned()),
        offset,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    let resp = request(&store.to_string(), cmd).expect("view message");
    assert_eq!(
        resp.response_code(),
        ResponseCode::SUCCESS,
        "{}",
        resp.remark_str()
    );
    let mut msgs = decode_stored_messages(&resp.body).expect("stored message");
    assert_eq!(msgs.len(), 1);
    msgs.remove(0)
}

/// Returns a queue's max offset (GET_MAX_OFFSET).
pub fn max_offset(broker: &str, topic: &str, queue_id: i32) -> i64 {
    let mut cmd = RemotingCommand::request(RequestCode::GET_MAX_OFFSET);
    GetMaxOffsetRequestHeader {
        topic: topic.to_owned(),
        queue_id,
        ..Default::default()
    }
    .to_ext_fields(&mut cmd.ext_fields);
    let resp = request(broker, cmd).expect("get max offset");
    if resp.response_code() != ResponseCode::SUCCESS {
        return 0;
    }
    resp.ext_fields
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0)
}

/// Pulls every message of a queue from `broker`, from offset 0, in queue order (PULL_MESSAGE
/// with subscription `*`, no hold), waiting up to 15 s for at least `expected` messages: the
/// broker indexes stored messages asynchronously.
pub fn pull_queue(broker: &str, topic: &str, queue_id: i32, expected: usize) -> Vec<MessageExt> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let msgs = pull_all(broker, topic, queue_id);
        if msgs.len() >= expected || std::time::Instant::now() >= deadline {
            return msgs;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pull_all(broker: &str, topic: &str, queue_id: i32) -> Vec<MessageExt> {
    let mut out: Vec<MessageExt> = Vec::new();
    let mut offset = 0;
    loop {
        let mut cmd = RemotingCommand::request(RequestCode::PULL_MESSAGE);
        PullMessageRequestHeader {
            consumer_group: "conf_reader".to_owned(),
            topic: topic.to_owned(),
            queue_id,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: pull_sys_flag::SUBSCRIPTION,
            subscription: Some("*".to_owned()),
            expression_type: Some("TAG".to_owned()),
            ..Default::default()
        }
        .to_ext_fields(&mut cmd.ext_fields);
        let resp = request(broker, cmd).expect("pull");
        if resp.response_code() != ResponseCode::SUCCESS {
            return out;
        }
        let msgs = decode_stored_messages(&resp.body).expect("pulled messages");
        if msgs.is_empty() {
            return out;
        }
        offset = resp
            .ext_fields
            .get("nextBeginOffset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(offset + msgs.len() as i64);
        out.extend(msgs);
    }
}

/// A topic's route from a name server (GET_ROUTEINFO_BY_TOPIC); `None` when it has none.
pub fn route(namesrv: &str, topic: &str) -> Option<TopicRouteData> {
    let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    GetRouteInfoRequestHeader::new(topic).to_ext_fields(&mut cmd.ext_fields);
    let resp = request(namesrv, cmd).expect("route lookup");
    if resp.response_code() != ResponseCode::SUCCESS {
        return None;
    }
    Some(TopicRouteData::from_json(&resp.body).expect("route body"))
}

/// The name and master address of the (first) broker of a name server's cluster, from the
/// route of the default topic `TBW102`.
pub fn first_broker(namesrv: &str) -> (String, String) {
    let route = route(namesrv, "TBW102").expect("TBW102 has a route");
    let bd = route.broker_datas.first().expect("a broker");
    let addr = bd.broker_addrs.get(&0).expect("a master").clone();
    (bd.broker_name.clone(), addr)
}

/// Creates (or updates) a topic with `queues` read and write queues (UPDATE_AND_CREATE_TOPIC).
pub fn create_topic(broker: &str, topic: &str, queues: i32) {
    let mut cmd = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC);
    let f = &mut cmd.ext_fields;
    f.insert("topic", topic);
    f.insert("defaultTopic", "TBW102");
    f.insert("readQueueNums", queues.to_string());
    f.insert("writeQueueNums", queues.to_string());
    f.insert("perm", "6");
    f.insert("topicFilterType", "SINGLE_TAG");
    f.insert("topicSysFlag", "0");
    f.insert("order", "false");
    let resp = request(broker, cmd).expect("create topic");
    assert_eq!(
        resp.response_code(),
        ResponseCode::SUCCESS,
        "create topic {topic}: {}",
        resp.remark_str()
    );
}

/// A group's offset of a queue as the broker stores it (QUERY_CONSUMER_OFFSET); `None` when
/// it has none.
pub fn consumer_offset(broker: &str, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
    let mut cmd = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET);
    QueryConsumerOffsetRequestHeader {
        consumer_group: group.to_owned(),
        topic: topic.to_owned(),
        queue_id,
        set_zero_if_not_found: Some(false),
        broker_name: None,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    let resp = request(broker, cmd).expect("query consumer offset");
    if resp.response_code() != ResponseCode::SUCCESS {
        return None;
    }
    resp.ext_fields.get("offset").and_then(|o| o.parse().ok())
}

/// A consumer's running info, asked of it through the broker (GET_CONSUMER_RUNNING_INFO,
/// which the broker relays to the client's connection).
pub fn running_info(
    broker: &str,
    group: &str,
    client_id: &str,
) -> Result<ConsumerRunningInfo, String> {
    let mut cmd = RemotingCommand::request(RequestCode::GET_CONSUMER_RUNNING_INFO);
    GetConsumerRunningInfoRequestHeader {
        consumer_group: group.to_owned(),
        client_id: client_id.to_owned(),
        jstack_enable: false,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    let resp = request(broker, cmd).map_err(|e| e.to_string())?;
    if resp.response_code() != ResponseCode::SUCCESS {
        return Err(format!("{}: {}", resp.response_code(), resp.remark_str()));
    }
    ConsumerRunningInfo::from_json(&resp.body).map_err(|e| e.to_string())
}
