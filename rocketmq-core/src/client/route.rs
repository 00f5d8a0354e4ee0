//! Routes: lookups at the name servers, the route cache and the broker address table, and
//! who waits for a lookup.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Instant;

use rocketmq_proto::body::{MessageQueue, TopicRouteData};
use rocketmq_proto::header::GetRouteInfoRequestHeader;
use rocketmq_proto::message::flags::perm;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::instance::Instance;
use super::rpc::{InstanceRequest, RequestKind};
use crate::event::Event;
use crate::id_map::StrMap;
use crate::ids::{ConsumerId, SendId};

/// Who waits for a route lookup to finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RouteWaiter {
    /// A send that has no queue to go to yet.
    Send(SendId),
    /// A consumer that rebalances once the route is known.
    Consumer(ConsumerId),
}

/// Why a route lookup failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RouteFailure {
    /// No name server address is configured.
    NoNameServer,
    /// The name servers did not give a usable route; the last answer or failure.
    NoRoute(String),
}

/// A finished lookup: its waiters, and its failure if it failed.
#[derive(Debug)]
pub(crate) struct LookupDone {
    pub(crate) waiters: Vec<RouteWaiter>,
    pub(crate) failure: Option<RouteFailure>,
}

/// A topic the name servers do not know may borrow another topic's route, each broker's
/// queues capped at `queue_nums` (the producer's auto-create template, `TBW102`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RouteFallback {
    pub(crate) topic: String,
    pub(crate) queue_nums: i32,
}

/// A route lookup in progress for `target`.
#[derive(Debug)]
struct RouteLookup {
    /// Topic asked for: the target, or the fallback's after TOPIC_NOT_EXIST.
    query: String,
    fallback: Option<RouteFallback>,
    /// Name servers tried for the current query.
    tried: usize,
    /// The last failure, for the error message.
    last_cause: Option<String>,
}

/// The route cache, the broker address table and the lookups under way.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    routes: StrMap<String, TopicRouteData>,
    /// Broker name → broker id → address, from every route seen.
    brokers: BTreeMap<String, BTreeMap<i64, String>>,
    /// The version each broker address reported in its last heartbeat answer.
    versions: StrMap<String, i32>,
    lookups: StrMap<String, RouteLookup>,
    waiters: StrMap<String, Vec<RouteWaiter>>,
}

impl Routes {
    pub(crate) fn route(&self, topic: &str) -> Option<&TopicRouteData> {
        self.routes.get(topic)
    }

    pub(crate) fn brokers(&self) -> &BTreeMap<String, BTreeMap<i64, String>> {
        &self.brokers
    }

    /// The master address of a broker.
    pub(crate) fn master_of(&self, broker: &str) -> Option<&String> {
        self.brokers.get(broker).and_then(|m| m.get(&0))
    }

    /// The address to reach a broker at for a consumer (Java
    /// `findBrokerAddressInSubscribe(name, id, onlyThisBroker=false)`): broker id `id`, else
    /// the next slave for a slave id, else any replica (the master first). With the id used.
    pub(crate) fn find_in_subscribe(&self, broker: &str, id: i64) -> Option<(i64, String)> {
        let addrs = self.brokers.get(broker)?;
        if let Some(a) = addrs.get(&id) {
            return Some((id, a.clone()));
        }
        if id != 0 {
            if let Some(a) = addrs.get(&(id + 1)) {
                return Some((id + 1, a.clone()));
            }
        }
        addrs.iter().next().map(|(i, a)| (*i, a.clone()))
    }

    /// Every master address.
    pub(crate) fn masters(&self) -> Vec<String> {
        self.brokers
            .values()
            .filter_map(|addrs| addrs.get(&0).cloned())
            .collect()
    }

    /// Every broker address.
    pub(crate) fn all_addrs(&self) -> Vec<String> {
        self.brokers
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    pub(crate) fn version(&self, addr: &str) -> Option<i32> {
        self.versions.get(addr).copied()
    }

    pub(crate) fn set_version(&mut self, addr: String, version: i32) {
        self.versions.insert(addr, version);
    }

    /// The last failure of a lookup under way for `topic`.
    pub(crate) fn lookup_cause(&self, topic: &str) -> Option<&str> {
        self.lookups.get(topic)?.last_cause.as_deref()
    }

    /// Adds a waiter for `topic`'s lookup.
    pub(crate) fn wait(&mut self, topic: &str, waiter: RouteWaiter) {
        self.waiters
            .entry(topic.to_owned())
            .or_default()
            .push(waiter);
    }

    /// Removes a waiter (it gave up).
    pub(crate) fn stop_waiting(&mut self, topic: &str, waiter: RouteWaiter) {
        if let Some(w) = self.waiters.get_mut(topic) {
            w.retain(|x| *x != waiter);
        }
    }

    /// Forgets every lookup and waiter (at shutdown).
    pub(crate) fn clear_lookups(&mut self) {
        self.lookups.clear();
        self.waiters.clear();
    }

    /// Forgets the broker addresses no cached route mentions; returns them.
    fn forget_unreferenced(&mut self) -> Vec<String> {
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
        for addr in &dropped {
            self.versions.remove(addr);
        }
        dropped
    }
}

impl Instance {
    /// Looks up `target`'s route unless a lookup is already under way; a lookup that fails
    /// at once (no name server) is returned finished.
    pub(crate) fn look_up_route(
        &mut self,
        now: Instant,
        target: &str,
        fallback: Option<RouteFallback>,
    ) -> Option<LookupDone> {
        if self.routes.lookups.contains_key(target) {
            return None;
        }
        self.routes.lookups.insert(
            target.to_owned(),
            RouteLookup {
                query: target.to_owned(),
                fallback,
                tried: 0,
                last_cause: None,
            },
        );
        self.send_route_request(now, target)
    }

    fn send_route_request(&mut self, now: Instant, target: &str) -> Option<LookupDone> {
        let Some(addr) = self.name_servers.current().map(str::to_owned) else {
            return Some(self.finish_lookup(target, Some(RouteFailure::NoNameServer)));
        };
        let lookup = self.routes.lookups.get(target)?;
        let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
        GetRouteInfoRequestHeader {
            topic: lookup.query.clone(),
            accept_standard_json_only: Some(true),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        let timeout = self.config.mq_client_api_timeout;
        let kind = RequestKind::Instance(InstanceRequest::Route {
            target: target.to_owned(),
        });
        self.request(now, &addr, cmd, kind, timeout);
        None
    }

    /// Handles a name server's answer to a route request: the route is cached (`Applied`
    /// when it changed), or the lookup goes on or fails.
    pub(crate) fn on_route_response(
        &mut self,
        now: Instant,
        target: &str,
        cmd: RemotingCommand,
    ) -> RouteAnswer {
        let Some(lookup) = self.routes.lookups.get_mut(target) else {
            return RouteAnswer::default();
        };
        let code = cmd.response_code();
        if code == ResponseCode::SUCCESS {
            return match TopicRouteData::from_json(&cmd.body) {
                Ok(route) => {
                    let route = match &lookup.fallback {
                        Some(f) if lookup.query != target => borrowed_route(&route, f.queue_nums),
                        _ => route,
                    };
                    let applied = self.apply_route(target, route);
                    RouteAnswer {
                        applied,
                        done: Some(self.finish_lookup(target, None)),
                    }
                }
                Err(e) => {
                    tracing::warn!(topic = target, error = %e, "undecodable route body");
                    let failure = RouteFailure::NoRoute(e.to_string());
                    RouteAnswer {
                        applied: None,
                        done: Some(self.finish_lookup(target, Some(failure))),
                    }
                }
            };
        }
        let cause = format!("name server answered {code}: {}", cmd.remark_str());
        let done = match lookup.fallback.clone() {
            Some(f) if lookup.query == target => {
                tracing::debug!(topic = target, via = %f.topic, "topic unknown; using the fallback topic's route");
                lookup.query = f.topic;
                lookup.last_cause = Some(cause);
                self.send_route_request(now, target)
            }
            _ => Some(self.finish_lookup(target, Some(RouteFailure::NoRoute(cause)))),
        };
        RouteAnswer {
            applied: None,
            done,
        }
    }

    /// A route request could not be delivered or timed out: try the next name server.
    pub(crate) fn on_route_transport_failure(
        &mut self,
        now: Instant,
        target: &str,
        ns_addr: &str,
        cause: String,
    ) -> Option<LookupDone> {
        self.name_servers.failed(ns_addr);
        let n = self.name_servers.len();
        let lookup = self.routes.lookups.get_mut(target)?;
        lookup.tried += 1;
        lookup.last_cause = Some(cause.clone());
        if lookup.tried < n {
            self.send_route_request(now, target)
        } else {
            Some(self.finish_lookup(target, Some(RouteFailure::NoRoute(cause))))
        }
    }

    fn finish_lookup(&mut self, target: &str, failure: Option<RouteFailure>) -> LookupDone {
        self.routes.lookups.remove(target);
        if let Some(f) = &failure {
            tracing::debug!(topic = target, failure = ?f, "route lookup failed");
        }
        LookupDone {
            waiters: self.routes.waiters.remove(target).unwrap_or_default(),
            failure,
        }
    }

    /// Caches a route if it changed, with its brokers' addresses; returns the new masters
    /// (to heartbeat) when it changed.
    fn apply_route(&mut self, topic: &str, route: TopicRouteData) -> Option<Applied> {
        let route = route.normalized();
        if self.routes.routes.get(topic) == Some(&route) {
            return None;
        }
        let mut new_masters = Vec::new();
        for bd in &route.broker_datas {
            let known = self.routes.brokers.get(&bd.broker_name);
            if let Some(master) = bd.broker_addrs.get(&0) {
                if known.and_then(|m| m.get(&0)) != Some(master) {
                    new_masters.push(master.clone());
                }
            }
            self.routes
                .brokers
                .insert(bd.broker_name.clone(), bd.broker_addrs.clone());
        }
        self.routes.routes.insert(topic.to_owned(), route);
        Some(Applied { new_masters })
    }

    /// Pushes the event of a route that changed.
    pub(crate) fn route_updated(&mut self, topic: &str) {
        self.push_event(Event::RouteUpdated {
            topic: topic.to_owned(),
        });
    }

    /// Forgets brokers that no cached route references; returns the connections to them
    /// that are idle (the caller closes them).
    pub(crate) fn clean_offline_brokers(&mut self) -> Vec<(crate::ids::ConnId, String)> {
        let mut idle = Vec::new();
        for addr in self.routes.forget_unreferenced() {
            tracing::info!(%addr, "broker no longer in any route; forgetting it");
            if let Some(conn) = self.conns.id_of(&addr) {
                if !self.requests.any_on(conn) {
                    idle.push((conn, addr));
                }
            }
        }
        idle
    }
}

/// What a route answer changed.
#[derive(Debug, Default)]
pub(crate) struct RouteAnswer {
    /// The route changed: its new masters.
    pub(crate) applied: Option<Applied>,
    /// The lookup finished.
    pub(crate) done: Option<LookupDone>,
}

/// A route that changed.
#[derive(Debug)]
pub(crate) struct Applied {
    /// Masters not known before, to heartbeat at once.
    pub(crate) new_masters: Vec<String>,
}

/// Another topic's route lent to a new topic: each broker's queues capped at `queue_nums`
/// (Java: `min(defaultTopicQueueNums, readQueueNums)`).
pub(crate) fn borrowed_route(route: &TopicRouteData, queue_nums: i32) -> TopicRouteData {
    let mut r = route.clone();
    for qd in &mut r.queue_datas {
        let n = queue_nums.min(qd.read_queue_nums);
        qd.read_queue_nums = n;
        qd.write_queue_nums = n;
    }
    r
}

/// Returns the readable queues of a topic (Java `topicRouteData2TopicSubscribeInfo`).
pub(crate) fn subscribe_queues(topic: &str, route: &TopicRouteData) -> BTreeSet<MessageQueue> {
    route
        .queue_datas
        .iter()
        .filter(|qd| perm::is_readable(qd.perm))
        .flat_map(|qd| {
            (0..qd.read_queue_nums.max(0))
                .map(|queue_id| MessageQueue::new(topic, qd.broker_name.as_str(), queue_id))
        })
        .collect()
}

/// Returns the broker address for a VIP-channel request: the port minus two.
pub(crate) fn vip_channel_addr(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(p) if p > 2 => format!("{host}:{}", p - 2),
            _ => addr.to_owned(),
        },
        None => addr.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rocketmq_proto::body::{QueueData, TopicRouteData};

    use super::{subscribe_queues, vip_channel_addr};

    fn qd(name: &str, w: i32, r: i32, perm: i32) -> QueueData {
        QueueData {
            broker_name: name.into(),
            read_queue_nums: r,
            write_queue_nums: w,
            perm,
            topic_sys_flag: 0,
        }
    }

    #[test]
    fn subscribe_info_uses_readable_queues() {
        let r = TopicRouteData {
            order_topic_conf: None,
            queue_datas: vec![qd("a", 1, 3, 4), qd("b", 2, 2, 2)],
            broker_datas: vec![],
            filter_server_table: Default::default(),
        };
        let s = subscribe_queues("T", &r);
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|q| q.broker_name == "a"));
    }

    #[test]
    fn vip_channel_is_port_minus_two() {
        assert_eq!(vip_channel_addr("10.0.0.1:10911"), "10.0.0.1:10909");
        assert_eq!(vip_channel_addr("[::1]:10911"), "[::1]:10909");
        assert_eq!(vip_channel_addr("nonsense"), "nonsense");
    }
}
