//! Storing messages: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rocketmq_proto::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use rocketmq_proto::message::validate::{DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};
use rocketmq_proto::message::{
    decode_batch, decode_properties, keys, Message, MessageEncodeError, MessageExt,
};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::{error, invalid_body, invalid_header, success, BrokerStore, Session};

/// Value of the `CLUSTER` property the broker stamps on every message.
const CLUSTER_NAME: &str = "DefaultCluster";

/// Region a send answer names.
const REGION: &str = "DefaultRegion";

/// Where a put landed.
#[derive(Clone, Debug)]
pub(super) struct Put {
    /// Queue offset of the stored record.
    pub(super) queue_offset: i64,
    /// Offset message id of the stored record.
    pub(super) offset_msg_id: String,
}

impl BrokerStore {
    /// A message to store: `msg` in `queue_id`, born and stored at `wall_ms`, stored here.
    pub(super) fn new_ext(
        &self,
        msg: Message,
        queue_id: i32,
        wall_ms: i64,
        born_host: SocketAddr,
    ) -> MessageExt {
        MessageExt {
            message: msg,
            queue_id,
            store_size: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            sys_flag: 0,
            born_timestamp: wall_ms,
            born_host,
            store_timestamp: wall_ms,
            store_host: self.store_host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            msg_id: String::new(),
            offset_msg_id: String::new(),
        }
    }

    /// Stores `ext` as the broker's put path does: stamps `CLUSTER` and a `UNIQ_KEY` if it has
    /// none, schedules it if it has a `DELAY` level, else appends it and wakes held pulls.
    pub(super) fn put_message(
        &mut self,
        now: Instant,
        wall_ms: i64,
        mut ext: MessageExt,
    ) -> Result<Put, MessageEncodeError> {
        let props = &mut ext.message.properties;
        props.insert(keys::CLUSTER, CLUSTER_NAME);
        if !props.contains_key(keys::UNIQ_KEY) {
            let id = self.uniq_ids.next_id(wall_ms);
            props.insert(keys::UNIQ_KEY, id);
        }
        if let Some(level) = self.delay_level_of(&ext) {
            return self.schedule(now, ext, level);
        }
        let stored = self.log.append(ext)?;
        self.wake_pulls(now, &stored);
        Ok(Put {
            queue_offset: stored.queue_offset,
            offset_msg_id: stored.offset_msg_id,
        })
    }

    /// Handles SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
    pub(super) fn send(
        &mut self,
        now: Instant,
        wall_ms: i64,
        session: Session,
        cmd: &RemotingCommand,
    ) -> RemotingCommand {
        let Ok(h) = SendMessageRequestHeader::from_ext_fields_any(cmd.code, &cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        let born_host = self.groups.born_host(session);
        // Like Java, the request code decides (not the header's `batch` field).
        let messages = if cmd.request_code() == RequestCode::SEND_BATCH_MESSAGE {
            match decode_batch(&cmd.body) {
                Ok(entries) if !entries.is_empty() => entries
                    .into_iter()
                    .map(|e| (e.flag, e.properties, e.body))
                    .collect(),
                _ => return invalid_body(cmd),
            }
        } else {
            let props = decode_properties(h.properties.as_deref().unwrap_or_default());
            vec![(h.flag, props, cmd.body.clone())]
        };
        // Java picks a random queue for a negative id; this store takes queue 0.
        let mut queue_id = h.queue_id.max(0);
        let mut topic = h.topic.clone();
        if let Some(group) = topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) {
            let max = h
                .max_reconsume_times
                .unwrap_or(self.config.default_max_reconsume_times);
            if h.reconsume_times.unwrap_or(0) > max {
                topic = format!("{DLQ_GROUP_TOPIC_PREFIX}{group}");
                queue_id = 0;
                self.ensure_queue(&topic, 0, 1);
            }
        }
        self.ensure_queue(&topic, queue_id, h.default_topic_queue_nums);
        let dead_letter = topic.starts_with(DLQ_GROUP_TOPIC_PREFIX);
        let mut puts = Vec::with_capacity(messages.len());
        for (flag, mut properties, body) in messages {
            if dead_letter {
                properties.remove(keys::DELAY);
            }
            let msg = Message {
                topic: topic.clone(),
                flag,
                properties,
                body,
            };
            let mut ext = self.new_ext(msg, queue_id, wall_ms, born_host);
            ext.sys_flag = h.sys_flag;
            ext.born_timestamp = h.born_timestamp;
            ext.reconsume_times = h.reconsume_times.unwrap_or(0);
            match self.put_message(now, wall_ms, ext) {
                Ok(put) => puts.push(put),
                Err(e) => return error(cmd, ResponseCode::MESSAGE_ILLEGAL, e.to_string()),
            }
        }
        let ids: Vec<&str> = puts.iter().map(|p| p.offset_msg_id.as_str()).collect();
        let header = SendMessageResponseHeader {
            msg_id: ids.join(","),
            queue_id,
            queue_offset: puts.first().map_or(0, |p| p.queue_offset),
            region: Some(REGION.to_owned()),
            trace_on: true,
            ..SendMessageResponseHeader::default()
        };
        let mut answer = success(cmd);
        header.to_ext_fields(&mut answer.ext_fields);
        answer
    }
}

/// The IP of a client id (`ip@pid#…`), if it starts with one.
pub(super) fn client_ip(client_id: &str) -> Option<IpAddr> {
    client_id.split('@').next()?.parse().ok()
}
