//! Heartbeats to brokers, cleaning brokers no route references, unregistering at shutdown.

use std::collections::HashSet;
use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::{HeartbeatData, ProducerData};
use rocketmq_proto::header::UnregisterClientRequestHeader;
use rocketmq_proto::{RemotingCommand, RequestCode};

use super::{json_body, Client, RequestKind};
use crate::lifecycle::ServiceState;

impl Client {
    fn heartbeat_data(&self) -> Option<HeartbeatData> {
        let producer_data_set: Vec<ProducerData> = self
            .producers
            .iter()
            .filter(|p| p.state == ServiceState::Running)
            .map(|p| ProducerData {
                group_name: p.config.group.clone(),
            })
            .collect();
        if producer_data_set.is_empty() {
            return None;
        }
        Some(HeartbeatData {
            client_id: self.client_id.clone(),
            producer_data_set,
            consumer_data_set: Vec::new(),
        })
    }

    /// Drops unreferenced brokers, then heartbeats every master (producers only need masters).
    pub(crate) fn heartbeat_all(&mut self, now: Instant) {
        self.clean_offline_brokers(now);
        let Some(data) = self.heartbeat_data() else {
            return;
        };
        let body = json_body(data.to_json());
        let masters: Vec<String> = self
            .brokers
            .values()
            .filter_map(|addrs| addrs.get(&0).cloned())
            .collect();
        for addr in masters {
            self.send_heartbeat(now, &addr, body.clone());
        }
    }

    /// Heartbeats one newly discovered broker.
    pub(crate) fn heartbeat_one(&mut self, now: Instant, addr: &str) {
        if let Some(data) = self.heartbeat_data() {
            self.send_heartbeat(now, addr, json_body(data.to_json()));
        }
    }

    fn send_heartbeat(&mut self, now: Instant, addr: &str, body: Bytes) {
        let cmd = RemotingCommand::request(RequestCode::HEART_BEAT).with_body(body);
        let timeout = self.config.mq_client_api_timeout;
        self.request(now, addr, cmd, RequestKind::Heartbeat, timeout);
    }

    /// Forgets brokers that no cached route mentions, closing idle connections to them.
    fn clean_offline_brokers(&mut self, now: Instant) {
        let referenced: HashSet<&str> = self
            .routes
            .values()
            .flat_map(|r| r.broker_datas.iter())
            .flat_map(|bd| bd.broker_addrs.values().map(String::as_str))
            .collect();
        let mut dropped = Vec::new();
        for addrs in self.brokers.values_mut() {
            addrs.retain(|_, a| {
                let keep = referenced.contains(a.as_str());
                if !keep {
                    dropped.push(a.clone());
                }
                keep
            });
        }
        self.brokers.retain(|_, addrs| !addrs.is_empty());
        for addr in dropped {
            tracing::info!(%addr, "broker no longer in any route; forgetting it");
            self.broker_versions.remove(&addr);
            if let Some(conn) = self.conns.id_of(&addr) {
                let busy = self.requests.values().any(|p| p.conn == conn);
                if !busy {
                    self.lose_conn(
                        now,
                        conn,
                        true,
                        crate::error::TransportError::ConnectionClosed {
                            addr,
                            reason: "broker left every route".into(),
                        },
                    );
                }
            }
        }
    }

    /// Sends UNREGISTER_CLIENT for `group` to every known broker address.
    pub(crate) fn unregister_group(&mut self, now: Instant, group: &str) {
        let addrs: Vec<String> = self
            .brokers
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        for addr in addrs {
            let mut cmd = RemotingCommand::request(RequestCode::UNREGISTER_CLIENT);
            UnregisterClientRequestHeader {
                client_id: self.client_id.clone(),
                producer_group: Some(group.to_owned()),
                consumer_group: None,
            }
            .to_ext_fields(&mut cmd.ext_fields);
            let timeout = self.config.mq_client_api_timeout;
            self.request(now, &addr, cmd, RequestKind::Unregister, timeout);
        }
    }
}
