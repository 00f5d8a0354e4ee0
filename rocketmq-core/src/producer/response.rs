//! The end of an attempt: the broker's answer, a lost connection or a timeout, decided by the
//! retry policy into the send's completion or its next attempt.

use std::sync::Arc;
use std::time::Instant;

use rocketmq_proto::header::{SendMessageResponseHeader, SendResponseFields, SendStatus};
use rocketmq_proto::message::Delay;
use rocketmq_proto::ResponseCode;

use super::retry::{AttemptOutcome, Decision, FailReason, RetryPolicy};
use super::send::{OpState, Outcome};
use super::{ProducerId, Producers};
use crate::client::Instance;
use crate::error::{SendError, TransportError};
use crate::ids::{ConnId, SendId};

/// A broker's answer to a send attempt, read in place or from a decoded command.
#[derive(Debug)]
pub(crate) struct SendAnswer<'a> {
    pub(crate) code: ResponseCode,
    pub(crate) remark: Option<&'a str>,
    pub(crate) fields: SendResponseFields<'a>,
}

impl Producers {
    /// Handles a broker's answer, on `conn`, to an attempt of send `id`.
    pub(crate) fn on_send_answer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
        conn: ConnId,
        answer: &SendAnswer<'_>,
    ) {
        let Some((_, broker, sent_at)) = self.take_in_flight(id) else {
            return;
        };
        let Some(status) = SendStatus::from_response_code(answer.code) else {
            let remark = answer.remark.unwrap_or_default().to_owned();
            // A timer message the broker refuses gets its own error (looked up only here).
            let delay = (answer.code == ResponseCode::MESSAGE_ILLEGAL)
                .then(|| self.sends.get(&id))
                .flatten()
                .and_then(|op| Delay::of(&op.prepared.properties))
                .filter(Delay::is_timer);
            let err = match delay {
                Some(delay) => SendError::TimerRejected {
                    broker: broker.to_string(),
                    delay: Some(delay),
                    remark,
                },
                None => SendError::Broker {
                    broker: broker.to_string(),
                    code: answer.code,
                    remark,
                },
            };
            let outcome = AttemptOutcome::Broker(answer.code);
            return self.attempt_failed(inst, now, id, &broker, err, outcome, sent_at);
        };
        match answer.fields.finish() {
            Ok(header) => self.on_stored(inst, now, id, status, header, broker, sent_at),
            Err(e) => {
                let err = SendError::Transport {
                    broker: broker.to_string(),
                    error: TransportError::BadResponse {
                        addr: inst.conn_addr(conn),
                        reason: e.to_string(),
                    },
                };
                let outcome = AttemptOutcome::Unretryable;
                self.attempt_failed(inst, now, id, &broker, err, outcome, sent_at);
            }
        }
    }

    /// Ends a send's in-flight attempt, returning its producer, broker and send time.
    fn take_in_flight(&mut self, id: SendId) -> Option<(ProducerId, Arc<str>, Instant)> {
        let op = self.sends.get_mut(&id)?;
        match std::mem::replace(&mut op.state, OpState::AwaitingRoute) {
            OpState::InFlight {
                broker, sent_at, ..
            } => Some((op.producer, broker, sent_at)),
            other => {
                op.state = other;
                None
            }
        }
    }

    /// The broker stored an attempt's message: the send completes, or retries elsewhere
    /// when the status calls for it.
    #[allow(clippy::too_many_arguments)]
    fn on_stored(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
        status: SendStatus,
        header: SendMessageResponseHeader,
        broker: Arc<str>,
        sent_at: Instant,
    ) {
        let Some(producer) = self.sends.get(&id).map(|op| op.producer) else {
            return;
        };
        self.record_latency(producer, &broker, now, sent_at, false);
        let Some(op) = self.sends.get(&id) else {
            return;
        };
        let decision = self
            .policy_of(op.producer, op.max_attempts, op.target.is_targeted())
            .decide(
                AttemptOutcome::Stored(status),
                op.attempts,
                now,
                op.deadline,
            );
        if decision == Decision::Retry {
            tracing::debug!(
                send = id.0,
                ?status,
                "stored but not OK; retrying on another broker"
            );
            if let Some(op) = self.sends.get_mut(&id) {
                op.brokers.push(broker.to_string());
            }
            self.start_attempt(inst, now, id);
        } else {
            let outcome = Outcome::Stored {
                status,
                broker,
                header,
            };
            self.complete(inst, id, outcome);
        }
    }

    /// An in-flight attempt's connection failed or its request timed out.
    pub(crate) fn on_send_transport_failure(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
        error: TransportError,
    ) {
        let Some((_, broker, sent_at)) = self.take_in_flight(id) else {
            return;
        };
        let err = SendError::Transport {
            broker: broker.to_string(),
            error,
        };
        let outcome = AttemptOutcome::Transport;
        self.attempt_failed(inst, now, id, &broker, err, outcome, sent_at);
    }

    /// Records a failed attempt and retries or completes the send.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn attempt_failed(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
        broker: &str,
        err: SendError,
        outcome: AttemptOutcome,
        sent_at: Instant,
    ) {
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        op.state = OpState::AwaitingRoute;
        op.brokers.push(broker.to_owned());
        let producer = op.producer;
        let (attempts, deadline, max) = (op.attempts, op.deadline, op.max_attempts);
        let targeted = op.target.is_targeted();
        tracing::debug!(send = id.0, attempt = attempts, %broker, error = %err, "attempt failed");
        self.record_latency(producer, broker, now, sent_at, true);
        let decision = self
            .policy_of(producer, max, targeted)
            .decide(outcome, attempts, now, deadline);
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        let final_err = match decision {
            Decision::Retry => {
                op.last_error = Some(Box::new(err));
                return self.start_attempt(inst, now, id);
            }
            // A failed attempt never decides to complete; completing with its error is the
            // safe reading.
            Decision::Complete | Decision::Fail(FailReason::NotRetryable) => err,
            // A targeted send's only attempt failed: its error as it is (Java throws it).
            Decision::Fail(FailReason::Exhausted) if targeted && attempts == 1 => err,
            Decision::Fail(FailReason::Exhausted) => SendError::RetriesExhausted {
                topic: op.topic.clone(),
                attempts,
                brokers: op.brokers.clone(),
                elapsed: now - op.start,
                last: Box::new(err),
            },
            Decision::Fail(FailReason::DeadlinePassed) => SendError::Timeout {
                topic: op.topic.clone(),
                attempts,
                brokers: op.brokers.clone(),
                elapsed: now - op.start,
                last: Some(Box::new(err)),
            },
        };
        self.complete(inst, id, Outcome::Failed(final_err));
    }

    /// The retry rules of a send; a targeted one (pinned to its queue) retries transport
    /// failures only, on that queue, as Java's async `onExceptionImpl` does.
    fn policy_of(
        &self,
        producer: ProducerId,
        max_attempts: u32,
        targeted: bool,
    ) -> RetryPolicy<'_> {
        let cfg = self.config(producer);
        RetryPolicy {
            max_attempts,
            retry_not_stored_ok: cfg.retry_another_broker_when_not_store_ok && !targeted,
            retry_codes: if targeted {
                &[]
            } else {
                &cfg.retry_response_codes
            },
        }
    }

    /// Notes how long an attempt to `broker` sent at `sent_at` took, when the producer avoids
    /// slow brokers.
    pub(super) fn record_latency(
        &mut self,
        producer: ProducerId,
        broker: &str,
        now: Instant,
        sent_at: Instant,
        isolation: bool,
    ) {
        if self.config(producer).send_latency_fault_enable {
            let latency = now.saturating_duration_since(sent_at);
            self.fault.update(broker, now, latency, isolation);
        }
    }
}
