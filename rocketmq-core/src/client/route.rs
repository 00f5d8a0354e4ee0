//! Route fetching from name servers, the route cache and the broker address table.

use std::sync::Arc;
use std::time::Instant;

use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::header::{GetRouteInfoRequestHeader, SendHeaderFixed, SendHeaderTemplate};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::{Client, RequestKind};
use crate::error::SendError;
use crate::event::{Event, ProducerId};
use crate::publish_info::{adapt_default_route, TopicPublishInfo};
use crate::select::QueueCursor;

/// Publish queues of a topic in use and its round-robin cursor.
#[derive(Debug)]
pub(crate) struct PublishEntry {
    pub(crate) info: TopicPublishInfo,
    pub(crate) cursor: QueueCursor,
    /// The broker name of each queue, shared: an attempt holds one without allocating.
    pub(crate) broker_names: Vec<Arc<str>>,
    /// Each producer's JSON send header for this topic, written on its first send here.
    headers: Vec<(ProducerId, SendHeaderTemplate)>,
}

impl PublishEntry {
    fn new(info: TopicPublishInfo, cursor: QueueCursor) -> Self {
        let mut e = Self {
            info: TopicPublishInfo::default(),
            cursor,
            broker_names: Vec::new(),
            headers: Vec::new(),
        };
        e.set_info(info);
        e
    }

    /// Replaces the queues, sharing one name per broker.
    fn set_info(&mut self, info: TopicPublishInfo) {
        self.broker_names.clear();
        for q in &info.queues {
            let name = match self.broker_names.last() {
                Some(last) if **last == *q.broker_name => last.clone(),
                _ => Arc::from(q.broker_name.as_str()),
            };
            self.broker_names.push(name);
        }
        self.info = info;
    }

    /// `producer`'s send header template for this topic, written from `fixed` the first time.
    pub(crate) fn header_template<'a>(
        &mut self,
        producer: ProducerId,
        fixed: impl FnOnce() -> SendHeaderFixed<'a>,
    ) -> &SendHeaderTemplate {
        let i = match self.headers.iter().position(|(p, _)| *p == producer) {
            Some(i) => i,
            None => {
                self.headers
                    .push((producer, SendHeaderTemplate::new(&fixed())));
                self.headers.len() - 1
            }
        };
        &self.headers[i].1
    }

    /// Drops a producer's send header (it has shut down).
    pub(crate) fn forget_producer(&mut self, producer: ProducerId) {
        self.headers.retain(|(p, _)| *p != producer);
    }
}

/// A route lookup in progress for `target`.
#[derive(Debug)]
pub(crate) struct RouteFetch {
    /// Topic asked for: the target, or the create-topic key after TOPIC_NOT_EXIST.
    query: String,
    /// Fall back to the create-topic key with this many queues.
    fallback: Option<(String, i32)>,
    /// Name servers tried for the current query.
    tried: usize,
    /// The last failure, for the error message.
    pub(crate) last_cause: Option<String>,
}

impl Client {
    /// Looks up `target`'s route unless a lookup is already under way.
    ///
    /// With `fallback`, a topic unknown to the name server gets the create-topic key's route.
    pub(crate) fn fetch_route(
        &mut self,
        now: Instant,
        target: &str,
        fallback: Option<(String, i32)>,
    ) {
        if self.fetches.contains_key(target) {
            return;
        }
        self.fetches.insert(
            target.to_owned(),
            RouteFetch {
                query: target.to_owned(),
                fallback,
                tried: 0,
                last_cause: None,
            },
        );
        self.send_route_request(now, target);
    }

    fn send_route_request(&mut self, now: Instant, target: &str) {
        let Some(addr) = self.name_servers.current().map(str::to_owned) else {
            self.finish_fetch(now, target, Some(SendError::NoNameServer));
            return;
        };
        let Some(fetch) = self.fetches.get(target) else {
            return;
        };
        let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
        GetRouteInfoRequestHeader {
            topic: fetch.query.clone(),
            accept_standard_json_only: Some(true),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        let timeout = self.config.mq_client_api_timeout;
        self.request(
            now,
            &addr,
            cmd,
            RequestKind::Route {
                target: target.to_owned(),
            },
            timeout,
        );
    }

    /// Handles a name server's answer to a route request.
    pub(crate) fn on_route_response(&mut self, now: Instant, target: &str, cmd: RemotingCommand) {
        let Some(fetch) = self.fetches.get_mut(target) else {
            return;
        };
        let code = cmd.response_code();
        if code == ResponseCode::SUCCESS {
            match TopicRouteData::from_json(&cmd.body) {
                Ok(route) => {
                    let route = if fetch.query == target {
                        route
                    } else {
                        let nums = fetch.fallback.as_ref().map_or(4, |f| f.1);
                        adapt_default_route(&route, nums)
                    };
                    self.apply_route(now, target, route);
                    self.finish_fetch(now, target, None);
                }
                Err(e) => {
                    tracing::warn!(topic = target, error = %e, "undecodable route body");
                    let cause = e.to_string();
                    self.finish_fetch(now, target, Some(no_route(target, cause)));
                }
            }
            return;
        }
        let cause = format!("name server answered {code}: {}", cmd.remark_str());
        match fetch.fallback.take() {
            Some((key, _)) if fetch.query == target => {
                tracing::debug!(topic = target, via = %key, "topic unknown; using the create-topic key's route");
                fetch.query = key;
                fetch.last_cause = Some(cause);
                self.send_route_request(now, target);
            }
            _ => self.finish_fetch(now, target, Some(no_route(target, cause))),
        }
    }

    /// A route request could not be delivered or timed out: try the next name server.
    pub(crate) fn on_route_transport_failure(
        &mut self,
        now: Instant,
        target: &str,
        ns_addr: &str,
        cause: String,
    ) {
        self.name_servers.failed(ns_addr);
        let n = self.name_servers.len();
        let Some(fetch) = self.fetches.get_mut(target) else {
            return;
        };
        fetch.tried += 1;
        fetch.last_cause = Some(cause.clone());
        if fetch.tried < n {
            self.send_route_request(now, target);
        } else {
            self.finish_fetch(now, target, Some(no_route(target, cause)));
        }
    }

    fn finish_fetch(&mut self, now: Instant, target: &str, error: Option<SendError>) {
        self.fetches.remove(target);
        if let Some(e) = &error {
            tracing::debug!(topic = target, error = %e, "route lookup failed");
        }
        let waiters = self.route_waiters.remove(target).unwrap_or_default();
        for id in waiters {
            self.route_ready(now, id, error.clone());
        }
    }

    /// Stores a route if it changed: publish info, broker addresses, and heartbeats to new brokers.
    pub(crate) fn apply_route(&mut self, now: Instant, topic: &str, route: TopicRouteData) {
        let route = route.normalized();
        if self.routes.get(topic) == Some(&route) {
            return;
        }
        let mut new_masters = Vec::new();
        for bd in &route.broker_datas {
            let known = self.brokers.get(&bd.broker_name);
            if let Some(master) = bd.broker_addrs.get(&0) {
                if known.and_then(|m| m.get(&0)) != Some(master) {
                    new_masters.push(master.clone());
                }
            }
            self.brokers
                .insert(bd.broker_name.clone(), bd.broker_addrs.clone());
        }
        let info = TopicPublishInfo::from_route(topic, &route);
        match self.publish.get_mut(topic) {
            Some(e) => e.set_info(info),
            None => {
                let cursor = QueueCursor::new(self.rng.next_u32());
                self.publish
                    .insert(topic.to_owned(), PublishEntry::new(info, cursor));
            }
        }
        self.routes.insert(topic.to_owned(), route);
        self.push_event(Event::RouteUpdated {
            topic: topic.to_owned(),
        });
        for addr in new_masters {
            self.heartbeat_one(now, &addr);
        }
    }

    /// Refreshes the routes of every topic in use.
    pub(crate) fn refresh_routes(&mut self, now: Instant) {
        let mut topics: Vec<String> = self.publish.keys().cloned().collect();
        topics.sort();
        for t in topics {
            self.fetch_route(now, &t, None);
        }
    }
}

fn no_route(topic: &str, cause: String) -> SendError {
    SendError::NoRoute {
        topic: topic.to_owned(),
        cause: Some(cause),
    }
}
