//! Incoming frames and lost connections: responses to their requests, server requests answered.

use std::time::Instant;

use rocketmq_proto::{RemotingCommand, ResponseCode};

use super::{Client, RequestKind};
use crate::batch::Out;
use crate::error::TransportError;
use crate::event::{ConnId, Event};
use crate::timer::TimerKey;

impl Client {
    /// Routes one decoded frame to the request it answers, or answers a server request.
    pub(crate) fn dispatch_frame(&mut self, now: Instant, conn: ConnId, cmd: RemotingCommand) {
        if !cmd.is_response() {
            self.on_server_request(conn, cmd);
            return;
        }
        let matches = self
            .requests
            .get(&cmd.opaque)
            .is_some_and(|p| p.conn == conn);
        if !matches {
            tracing::debug!(
                opaque = cmd.opaque,
                code = cmd.code,
                "ignoring a late or unknown response"
            );
            return;
        }
        let Some(pending) = self.take_request(cmd.opaque, Some(now)) else {
            return;
        };
        if let Some(d) = pending.deadline {
            self.timers.cancel(d, TimerKey::Request(cmd.opaque));
        }
        match pending.kind.clone() {
            RequestKind::Send(id) => self.on_send_response(now, id, pending, cmd),
            RequestKind::Route { target } => self.on_route_response(now, &target, cmd),
            RequestKind::Heartbeat => {
                let addr = self.conn_addr(conn);
                if cmd.response_code() == ResponseCode::SUCCESS {
                    self.broker_versions.insert(addr, cmd.version);
                } else {
                    tracing::warn!(%addr, code = %cmd.response_code(), remark = cmd.remark_str(), "heartbeat rejected");
                }
            }
            RequestKind::Unregister => self.maybe_finish_shutdown(),
        }
    }

    /// Answers a request from a broker: oneway notices are noted, the rest is not supported yet.
    fn on_server_request(&mut self, conn: ConnId, cmd: RemotingCommand) {
        let code = cmd.request_code();
        if cmd.is_oneway() {
            tracing::debug!(?code, "server notice ignored");
            return;
        }
        tracing::debug!(?code, "answering an unsupported server request");
        let remark = format!(" request type {} not supported", cmd.code);
        let mut resp = RemotingCommand::response(
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
            cmd.opaque,
            Some(remark),
        );
        self.stamp(&mut resp);
        if let Err(e) = self
            .conns
            .queue(conn, &resp, self.config.serialize_type, Out::Reply)
        {
            tracing::error!(error = %e, "cannot encode response");
        }
    }

    /// A non-send request timed out.
    pub(crate) fn request_timed_out(&mut self, now: Instant, opaque: i32) {
        let Some(pending) = self.take_request(opaque, None) else {
            return;
        };
        let addr = self.conn_addr(pending.conn);
        match pending.kind {
            RequestKind::Route { target } => {
                let cause = format!("route request to {addr} timed out");
                self.on_route_transport_failure(now, &target, &addr, cause);
            }
            RequestKind::Heartbeat => tracing::warn!(%addr, "heartbeat timed out"),
            RequestKind::Unregister => self.maybe_finish_shutdown(),
            RequestKind::Send(id) => self.on_send_transport_failure(
                now,
                id,
                TransportError::RequestTimeout {
                    addr,
                    waited: now - pending.sent_at,
                },
            ),
        }
    }

    /// Forgets a connection and fails what was in flight on it.
    pub(crate) fn lose_conn(
        &mut self,
        now: Instant,
        conn: ConnId,
        tell_driver: bool,
        error: TransportError,
    ) {
        if let Some(d) = self.conns.connect_deadline(conn) {
            self.timers.cancel(d, TimerKey::Connect(conn));
        }
        let Some(c) = self.conns.remove(conn, tell_driver) else {
            return;
        };
        tracing::debug!(addr = %c.addr, %error, "connection lost");
        if self.name_servers.contains(&c.addr) {
            self.name_servers.failed(&c.addr);
        }
        self.push_event(Event::ConnectionLost {
            addr: c.addr.clone(),
            reason: error.to_string(),
        });
        let mut lost: Vec<(i32, RequestKind)> = self
            .requests
            .iter()
            .filter(|(_, p)| p.conn == conn)
            .map(|(o, p)| (o, p.kind.clone()))
            .collect();
        lost.sort_by_key(|(o, _)| *o);
        for (opaque, kind) in lost {
            let Some(p) = self.take_request(opaque, None) else {
                continue;
            };
            if let Some(d) = p.deadline {
                self.timers.cancel(d, TimerKey::Request(opaque));
            }
            match kind {
                RequestKind::Send(id) => self.on_send_transport_failure(now, id, error.clone()),
                RequestKind::Route { target } => {
                    self.on_route_transport_failure(now, &target, &c.addr, error.to_string())
                }
                RequestKind::Heartbeat => {}
                RequestKind::Unregister => {}
            }
        }
        self.fail_oneways_on(conn, &error);
        self.maybe_finish_shutdown();
    }
}
