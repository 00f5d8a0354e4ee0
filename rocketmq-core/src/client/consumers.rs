//! The client's consumer side: commands (create, the [`ConsumerApi`] handle, answers to
//! deliveries and direct-consume requests), and the routing of answers, failures and timers
//! to the consumer role, with what consumer code asks of the client afterwards (heartbeats,
//! route lookups, inner-producer sends).

use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::ConsumeMessageDirectlyResult;
use rocketmq_proto::{RemotingCommand, ResponseCode};

use super::route::RouteWaiter;
use super::Client;
use crate::consumer::config::ConsumerConfig;
use crate::consumer::lock::LOCK_INTERVAL;
use crate::consumer::{ConsumeResult, ConsumerApi, ConsumerRequest, ConsumerTimer, PullAnswer};
use crate::error::{TransportError, UsageError};
use crate::ids::{ConnId, ConsumerId, DeliveryId, DirectId};
use crate::lifecycle::ServiceState;
use crate::producer::SendOptions;
use crate::timer::TimerKey;

/// The first offset persistence after a consumer starts (Java: 10 s).
const FIRST_PERSIST: std::time::Duration = std::time::Duration::from_secs(10);
/// The first lock renewal after an orderly consumer starts (Java: 1 s).
const FIRST_LOCK: std::time::Duration = std::time::Duration::from_secs(1);

impl Client {
    /// Adds a consumer in state `CreateJust`; subscribe and start it with
    /// `client.consumer(id)?`.
    pub fn create_consumer(&mut self, config: ConsumerConfig) -> ConsumerId {
        self.consumers.create(config)
    }

    /// Commands for consumer `id`: subscribe, start, shut down, and the lite-pull ones.
    pub fn consumer(&mut self, id: ConsumerId) -> Result<ConsumerApi<'_>, UsageError> {
        if self.consumers.get(id).is_none() {
            return Err(UsageError::UnknownConsumer(id.0));
        }
        Ok(ConsumerApi { client: self, id })
    }

    /// Returns a consumer's state.
    pub fn consumer_state(&self, id: ConsumerId) -> Option<ServiceState> {
        self.consumers.get(id).map(|c| c.state)
    }

    /// Returns how many deliveries the application has not answered.
    pub fn deliveries_in_flight(&self) -> usize {
        self.consumers.deliveries_in_flight()
    }

    /// Returns how many answers came for deliveries already answered or revoked (ignored).
    pub fn late_results(&self) -> u64 {
        self.consumers.late_results
    }

    /// The application's answer to a delivery: once per [`Event::Deliver`](crate::Event::Deliver).
    /// An answer to a revoked (or already answered) delivery is ignored; one to an id never
    /// handed out is an error.
    pub fn consume_result(
        &mut self,
        now: Instant,
        delivery: DeliveryId,
        result: ConsumeResult,
    ) -> Result<(), UsageError> {
        let r = self
            .consumers
            .consume_result(&mut self.inst, now, delivery, result);
        self.settle(now);
        r
    }

    /// The application's answer to a direct-consume request.
    pub fn answer_directly(
        &mut self,
        _now: Instant,
        request: DirectId,
        result: ConsumeMessageDirectlyResult,
    ) {
        let Some((conn, opaque, _)) = self.consumers.directs.remove(&request) else {
            return;
        };
        let resp = RemotingCommand::response(ResponseCode::SUCCESS, opaque, None)
            .with_body(Bytes::from(result.to_json().into_bytes()));
        self.inst.reply(conn, resp);
    }

    /// A consumer started: the instance's timers run, heartbeats carry it, its routes are
    /// looked up and it rebalances (or takes its assignment).
    pub(crate) fn start_consumer(&mut self, now: Instant, id: ConsumerId) {
        self.inst.start(now);
        let Some(c) = self.consumers.get_mut(id) else {
            return;
        };
        let push_clustering = c.config.is_push()
            && c.config.message_model == rocketmq_proto::body::MessageModel::Clustering;
        let orderly = c.config.is_orderly();
        let assign = c.pending_assign.take();
        if push_clustering {
            self.producers.inner();
        }
        let periodic = [
            (
                ConsumerTimer::Rebalance,
                self.inst.config.rebalance_interval,
                true,
            ),
            (ConsumerTimer::PersistOffsets, FIRST_PERSIST, true),
            (ConsumerTimer::LockAll, FIRST_LOCK, orderly),
        ];
        for (timer, first, wanted) in periodic {
            let key = TimerKey::Consumer(timer);
            if wanted && !self.inst.timers.contains_key(key) {
                self.inst.timers.set(now + first, key);
            }
        }
        self.heartbeat_all(now);
        let topics: Vec<String> = self
            .consumers
            .get(id)
            .map(|c| c.subs.topics().map(str::to_owned).collect())
            .unwrap_or_default();
        for topic in &topics {
            self.inst.routes.wait(topic, RouteWaiter::Consumer(id));
            if let Some(done) = self.inst.look_up_route(now, topic, None) {
                self.lookup_done(now, done);
            }
        }
        if let Some(queues) = assign {
            self.consumers.assign(&mut self.inst, now, id, queues);
        }
        self.consumers.rebalance(&mut self.inst, now, id);
        self.settle(now);
    }

    /// Carries out what consumer code asked of the client, until nothing is left.
    pub(crate) fn settle(&mut self, now: Instant) {
        for _ in 0..64 {
            let wants = std::mem::take(&mut self.consumers.wants);
            let done = self.producers.take_internal_done();
            if !wants.heartbeat
                && wants.routes.is_empty()
                && wants.sends.is_empty()
                && !wants.stopped
                && done.is_empty()
            {
                return;
            }
            if wants.heartbeat {
                self.heartbeat_all(now);
            }
            for topic in wants.routes {
                if self.inst.routes.route(&topic).is_none() {
                    if let Some(d) = self.inst.look_up_route(now, &topic, None) {
                        self.lookup_done(now, d);
                    }
                }
            }
            for send in wants.sends {
                let inner = self.producers.inner();
                let accepted = self.producers.accept(
                    &mut self.inst,
                    now,
                    inner,
                    send.msg,
                    SendOptions::default(),
                );
                match accepted {
                    Ok((sid, lookup)) => {
                        self.consumers.resends.insert(sid, send.send_back);
                        if let Some((topic, fallback)) = lookup {
                            if let Some(d) = self.inst.look_up_route(now, &topic, Some(fallback)) {
                                self.lookup_done(now, d);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot re-send a failed message");
                        self.consumers
                            .on_resend_done(&mut self.inst, now, send.send_back, false);
                    }
                }
            }
            for (sid, ok) in done {
                if let Some(sb) = self.consumers.resends.remove(&sid) {
                    self.consumers.on_resend_done(&mut self.inst, now, sb, ok);
                }
            }
            if wants.stopped && !self.producers.any_running() && !self.consumers.any_running() {
                self.shutdown(now);
            }
        }
        tracing::error!("consumer work did not settle");
    }

    /// The answer to a consumer's request.
    pub(crate) fn on_consumer_answer(
        &mut self,
        now: Instant,
        request: ConsumerRequest,
        cmd: RemotingCommand,
    ) {
        let c = &mut self.consumers;
        let inst = &mut self.inst;
        match request {
            ConsumerRequest::Pull(id, key) => {
                let answer = PullAnswer::read(
                    cmd.response_code(),
                    cmd.remark.as_deref(),
                    cmd.ext_fields.iter(),
                    cmd.body.clone(),
                );
                c.on_pull_answer(inst, now, id, key, answer);
            }
            ConsumerRequest::ConsumerIds(id, topic) => {
                c.on_consumer_ids(inst, now, id, &topic, cmd)
            }
            ConsumerRequest::StartOffset(id, key, step) => {
                c.on_start_answer(inst, now, id, key, step, cmd)
            }
            ConsumerRequest::Lock(id, mqs) => c.on_lock_answer(inst, now, id, mqs, cmd),
            ConsumerRequest::SendBack(_, sb) => {
                c.on_send_back_answer(inst, now, sb, cmd.response_code())
            }
            ConsumerRequest::Query(q) => c.on_query_answer(inst, now, q, cmd),
            ConsumerRequest::Unlock => {}
        }
        self.settle(now);
    }

    /// A pull's answer read in place (the hot path: no owned command is built).
    pub(crate) fn on_pull_answer(
        &mut self,
        now: Instant,
        id: ConsumerId,
        key: crate::consumer::QueueKey,
        answer: PullAnswer,
    ) {
        self.consumers
            .on_pull_answer(&mut self.inst, now, id, key, answer);
        self.settle(now);
    }

    /// A consumer's request could not be delivered or timed out.
    pub(crate) fn on_consumer_failure(
        &mut self,
        now: Instant,
        request: ConsumerRequest,
        error: &TransportError,
    ) {
        let c = &mut self.consumers;
        let inst = &mut self.inst;
        match request {
            ConsumerRequest::Pull(id, key) => c.on_pull_failure(inst, now, id, key, error),
            ConsumerRequest::ConsumerIds(id, topic) => {
                tracing::debug!(%topic, %error, "consumer list request failed");
                c.rebalance_again(inst, now, id, &topic);
            }
            ConsumerRequest::StartOffset(id, key, _) => c.start_failed(inst, now, id, key),
            ConsumerRequest::Lock(id, mqs) => c.on_lock_failure(inst, now, id, mqs),
            ConsumerRequest::SendBack(_, sb) => c.on_send_back_failure(sb),
            ConsumerRequest::Query(q) => c.on_query_failure(inst, q, error),
            ConsumerRequest::Unlock => {}
        }
        self.settle(now);
    }

    /// A consumer deadline passed.
    pub(crate) fn on_consumer_timer(&mut self, now: Instant, timer: ConsumerTimer) {
        let c = &mut self.consumers;
        let inst = &mut self.inst;
        let periodic = |inst: &mut super::Instance, every| {
            inst.timers.set(now + every, TimerKey::Consumer(timer));
        };
        match timer {
            ConsumerTimer::Rebalance => {
                periodic(inst, inst.config.rebalance_interval);
                c.rebalance_all(inst, now);
            }
            ConsumerTimer::PersistOffsets => {
                periodic(inst, inst.config.persist_consumer_offset_interval);
                c.persist_all(inst, now);
            }
            ConsumerTimer::LockAll => {
                periodic(inst, LOCK_INTERVAL);
                c.lock_all(inst, now);
            }
            ConsumerTimer::ConsumeTimeout(id) => {
                if let Some(every) = c
                    .get(id)
                    .filter(|c| c.state == ServiceState::Running)
                    .map(|c| c.config.consume_timeout)
                {
                    periodic(inst, every);
                    c.clean_expired(inst, now, id);
                }
            }
            ConsumerTimer::RebalanceSoon(id) => c.rebalance(inst, now, id),
            ConsumerTimer::Pull(id, key) => c.on_pull_timer(inst, now, id, key),
            ConsumerTimer::Resume(id, key) => c.on_resume(inst, now, id, key),
            ConsumerTimer::LocalRetry(id) => c.on_local_retry(inst, now, id),
            ConsumerTimer::ShutdownBound(id) => c.maybe_finish_shutdown(inst, now, id),
        }
        self.settle(now);
    }

    /// A request from a broker for the consumers; `None` when it needs no answer (yet).
    pub(crate) fn consumer_server_request(
        &mut self,
        now: Instant,
        conn: ConnId,
        cmd: &RemotingCommand,
    ) -> Option<RemotingCommand> {
        use rocketmq_proto::RequestCode as C;
        let answer = match cmd.request_code() {
            C::NOTIFY_CONSUMER_IDS_CHANGED => {
                self.consumers.rebalance_all(&mut self.inst, now);
                None
            }
            C::RESET_CONSUMER_CLIENT_OFFSET => {
                self.consumers.reset_offsets(&mut self.inst, now, cmd);
                None
            }
            C::GET_CONSUMER_STATUS_FROM_CLIENT => Some(self.consumers.consumer_status(cmd)),
            C::GET_CONSUMER_RUNNING_INFO => Some(self.consumers.running_info(&self.inst, now, cmd)),
            C::CONSUME_MESSAGE_DIRECTLY => {
                self.consumers.consume_directly(&mut self.inst, conn, cmd)
            }
            _ => None,
        };
        self.settle(now);
        answer
    }
}
