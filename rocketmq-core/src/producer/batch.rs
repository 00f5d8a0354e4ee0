//! Batches (Java `DefaultMQProducerImpl#batch`, `MessageBatch`): many messages of one topic
//! in one SEND_BATCH_MESSAGE request, stored as separate messages by the broker.
//!
//! The rules are Java's (`MessageBatch.generateFromList`): one topic, one `WAIT` value, no
//! delay level, no retry topic; and no 5.x timer property either (the broker would store
//! the messages undelayed). Each message gets its own `UNIQ_KEY`; the body (spec §6.11) must
//! fit in the producer's maximum message size. A batch is never compressed, as in Java.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::batch::validate_batch;
use rocketmq_proto::message::{
    encode_batch_into, keys as property, validate, BatchError, Message, Properties,
};

use super::send::{Prepared, Target};
use super::{ProducerId, Producers, SendOptions};
use crate::client::route::RouteFallback;
use crate::client::Instance;
use crate::error::UsageError;
use crate::ids::SendId;
use crate::namespace::with_namespace;

impl Producers {
    /// Validates, numbers and encodes a batch, then accepts it like one send (to `queue`
    /// when given: no hop to another queue).
    pub(crate) fn accept_batch(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        producer: ProducerId,
        mut msgs: Vec<Message>,
        opts: SendOptions,
        queue: Option<MessageQueue>,
    ) -> Result<(SendId, Option<(String, RouteFallback)>), UsageError> {
        let cfg = self.sending_config(inst, producer)?;
        let max = cfg.max_message_size;
        validate_batch(&msgs)?;
        for (index, msg) in msgs.iter().enumerate() {
            validate::validate_message(msg, max)
                .map_err(|error| BatchError::InvalidMessage { index, error })?;
        }
        // Non-empty: checked by `validate_batch`.
        let first_topic = msgs[0].topic.clone();
        let wait = msgs[0].wait_store_msg_ok();
        let target = match queue {
            Some(q) if q.topic != first_topic => {
                return Err(UsageError::QueueTopicMismatch {
                    message: first_topic,
                    queue: q.topic,
                })
            }
            Some(q) => Target::Queue(Box::new((q.broker_name, q.queue_id))),
            None => Target::Any,
        };
        let ms = inst.wall_millis(now);
        let mut ids = String::with_capacity(msgs.len() * 33);
        for msg in &mut msgs {
            if !ids.is_empty() {
                ids.push(',');
            }
            match msg.property(property::UNIQ_KEY) {
                Some(id) => ids.push_str(id),
                None => {
                    let id = self.uniq.next(ms);
                    let start = ids.len();
                    self.uniq.write(id, &mut ids);
                    let text = ids[start..].to_owned();
                    msg.properties.insert(property::UNIQ_KEY, text);
                }
            }
        }
        let mut body = BytesMut::new();
        encode_batch_into(&msgs, &mut body)?;
        if body.len() > max {
            return Err(BatchError::TooLarge {
                size: body.len(),
                max,
            }
            .into());
        }
        let mut properties = Properties::with_capacity(1);
        properties.insert(property::WAIT, if wait { "true" } else { "false" });
        let prepared = Prepared {
            body: Bytes::from(body),
            sys_flag: 0,
            flag: 0,
            properties,
            // No batch UNIQ_KEY in the header (Java 4.x; 5.x adds one): the broker appends the
            // header's properties to every message's, and that key would replace theirs.
            uniq: None,
            reconsume_times: Some(0),
            max_reconsume_times: None,
            batch_ids: Some(Box::new(ids)),
        };
        let topic = with_namespace(inst.config.namespace.as_deref(), first_topic);
        Ok(self.enqueue(inst, now, producer, topic, prepared, opts, target))
    }
}
