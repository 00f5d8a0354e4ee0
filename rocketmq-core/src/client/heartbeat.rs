//! Heartbeats to brokers (every role's groups in one), cleaning brokers no route references,
//! and unregistering groups at shutdown.

use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::{HeartbeatData, ProducerData};
use rocketmq_proto::header::UnregisterClientRequestHeader;
use rocketmq_proto::{RemotingCommand, RequestCode};

use super::instance::Instance;
use super::rpc::{InstanceRequest, RequestKind};
use super::Client;
use crate::error::{CloseCause, TransportError};
use crate::ids::ConsumerId;

impl Client {
    /// The heartbeat body: every running group of every role; `None` when there is none.
    fn heartbeat_body(&self) -> Option<Bytes> {
        let producer_data_set: Vec<ProducerData> = self
            .producers
            .running_groups()
            .map(|g| ProducerData {
                group_name: g.to_owned(),
            })
            .collect();
        let consumer_data_set = self.consumers.heartbeat_entries();
        if producer_data_set.is_empty() && consumer_data_set.is_empty() {
            return None;
        }
        let data = HeartbeatData {
            client_id: self.inst.client_id.clone(),
            producer_data_set,
            consumer_data_set,
        };
        Some(Bytes::from(data.to_json().into_bytes()))
    }

    /// Drops unreferenced brokers, then heartbeats every master, or every address when a
    /// consumer runs (consumers may pull from slaves; producers only need masters).
    pub(crate) fn heartbeat_all(&mut self, now: Instant) {
        for (conn, addr) in self.inst.clean_offline_brokers() {
            let error = TransportError::ConnectionClosed {
                addr,
                reason: CloseCause::BrokerLeftRoutes,
            };
            self.lose_conn(now, conn, true, error);
        }
        let Some(body) = self.heartbeat_body() else {
            return;
        };
        let addrs = match self.consumers.any_running() {
            true => self.inst.routes.all_addrs(),
            false => self.inst.routes.masters(),
        };
        for addr in addrs {
            let consumers = self.consumers.heartbeat_versions();
            self.inst
                .send_heartbeat(now, &addr, body.clone(), false, consumers);
        }
    }

    /// Heartbeats one newly discovered broker.
    pub(crate) fn heartbeat_one(&mut self, now: Instant, addr: &str) {
        if let Some(body) = self.heartbeat_body() {
            let consumers = self.consumers.heartbeat_versions();
            self.inst.send_heartbeat(now, addr, body, false, consumers);
        }
    }

    /// A connection to a broker heartbeated before is up again: the broker may have
    /// restarted and forgotten the client's groups (its pulls are refused with
    /// SUBSCRIPTION_NOT_EXIST until a heartbeat), so it is heartbeated at once and the
    /// consumers rebalance when it answers (Java 5.2+ `MQClientInstance#onChannelActive`;
    /// CONSUMER.md §11.4). Not at the first connection: the start's heartbeat is on it.
    pub(crate) fn heartbeat_reconnected(&mut self, now: Instant, addr: &str) {
        if !self.consumers.any_running() || self.inst.routes.version(addr).is_none() {
            return;
        }
        if let Some(body) = self.heartbeat_body() {
            let consumers = self.consumers.heartbeat_versions();
            self.inst.send_heartbeat(now, addr, body, true, consumers);
        }
    }
}

impl Instance {
    fn send_heartbeat(
        &mut self,
        now: Instant,
        addr: &str,
        body: Bytes,
        rebalance: bool,
        consumers: Vec<(ConsumerId, u64)>,
    ) {
        let cmd = RemotingCommand::request(RequestCode::HEART_BEAT).with_body(body);
        let timeout = self.config.mq_client_api_timeout;
        let kind = RequestKind::Instance(InstanceRequest::Heartbeat {
            rebalance,
            consumers,
        });
        self.request(now, addr, cmd, kind, timeout);
    }

    /// Sends UNREGISTER_CLIENT for a producer or consumer group to every known broker
    /// address.
    pub(crate) fn unregister(
        &mut self,
        now: Instant,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) {
        for addr in self.routes.all_addrs() {
            let mut cmd = RemotingCommand::request(RequestCode::UNREGISTER_CLIENT);
            UnregisterClientRequestHeader {
                client_id: self.client_id.clone(),
                producer_group: producer_group.map(str::to_owned),
                consumer_group: consumer_group.map(str::to_owned),
            }
            .to_ext_fields(&mut cmd.ext_fields);
            let timeout = self.config.mq_client_api_timeout;
            let kind = RequestKind::Instance(InstanceRequest::Unregister);
            self.request(now, &addr, cmd, kind, timeout);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rocketmq_proto::RequestCode;

    use crate::testing::Harness;

    #[test]
    fn no_heartbeat_without_a_running_producer() {
        let mut h = Harness::builder(Instant::now())
            .broker("broker-a", "10.0.0.1:10911")
            .broker("broker-b", "10.0.0.2:10911")
            .topic("T", &[("broker-a", 4), ("broker-b", 4)])
            .build();
        // The instance's timers run (as when its last group is gone), with no group to report.
        h.client.inst.start(h.now);
        h.advance(Duration::from_secs(120));
        let beats = |name: &str| h.broker(name).received_count(RequestCode::HEART_BEAT);
        assert_eq!(beats("broker-a") + beats("broker-b"), 0);
    }
}
