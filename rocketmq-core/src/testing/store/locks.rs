//! Orderly-consumption locks: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42).

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::{LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use rocketmq_proto::RemotingCommand;

use super::{invalid_body, success, BrokerStore};

/// The owner of one (group, queue) lock and when the lock expires.
#[derive(Debug)]
struct Lock {
    client_id: String,
    expires: Instant,
}

/// Locks by (consumer group, queue).
#[derive(Debug, Default)]
pub(super) struct Locks(HashMap<(String, MessageQueue), Lock>);

impl Locks {
    /// Returns the live owner of `mq` for `group`.
    pub(super) fn owner(&self, now: Instant, group: &str, mq: &MessageQueue) -> Option<&str> {
        self.0
            .get(&(group.to_owned(), mq.clone()))
            .filter(|l| now <= l.expires)
            .map(|l| l.client_id.as_str())
    }

    /// Locks or renews `mq` for `client_id` until `expires`, unless another client holds it.
    fn try_lock(
        &mut self,
        now: Instant,
        group: &str,
        client_id: &str,
        mq: &MessageQueue,
        expires: Instant,
    ) -> bool {
        if self
            .owner(now, group, mq)
            .is_some_and(|owner| owner != client_id)
        {
            return false;
        }
        let lock = Lock {
            client_id: client_id.to_owned(),
            expires,
        };
        self.0.insert((group.to_owned(), mq.clone()), lock);
        true
    }

    /// Releases `mq` if `client_id` holds it.
    fn unlock(&mut self, group: &str, client_id: &str, mq: &MessageQueue) {
        let key = (group.to_owned(), mq.clone());
        if self.0.get(&key).is_some_and(|l| l.client_id == client_id) {
            self.0.remove(&key);
        }
    }
}

impl BrokerStore {
    /// Handles LOCK_BATCH_MQ: answers the queues now locked for the client.
    pub(super) fn lock_batch(&mut self, now: Instant, cmd: &RemotingCommand) -> RemotingCommand {
        let Some(body) = lock_body(cmd) else {
            return invalid_body(cmd);
        };
        let expires = now + self.config.lock_lifetime;
        let locked = body
            .mq_set
            .into_iter()
            .filter(|mq| {
                self.locks
                    .try_lock(now, &body.consumer_group, &body.client_id, mq, expires)
            })
            .collect();
        let answer = LockBatchResponseBody {
            lock_ok_mq_set: locked,
        };
        success(cmd).with_body(Bytes::from(answer.to_json()))
    }

    /// Handles UNLOCK_BATCH_MQ: releases the client's locks among the queues.
    pub(super) fn unlock_batch(&mut self, cmd: &RemotingCommand) -> RemotingCommand {
        let Some(body) = lock_body(cmd) else {
            return invalid_body(cmd);
        };
        for mq in &body.mq_set {
            self.locks.unlock(&body.consumer_group, &body.client_id, mq);
        }
        success(cmd)
    }
}

/// The lock request body, if it decodes and names a client and a group.
fn lock_body(cmd: &RemotingCommand) -> Option<LockBatchRequestBody> {
    LockBatchRequestBody::from_json(&cmd.body)
        .ok()
        .filter(|b| !b.client_id.is_empty() && !b.consumer_group.is_empty())
}
