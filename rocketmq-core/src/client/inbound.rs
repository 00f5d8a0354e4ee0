//! Incoming frames and lost connections: each frame's header is read once, then the frame
//! goes to the request it answers (by opaque, to the role that sent it) or to the server
//! request table; a lost connection fails what was in flight on it.

use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::frame::{self, HeaderView};
use rocketmq_proto::header::SendResponseFields;
use rocketmq_proto::{DecodeError, RemotingCommand, ResponseCode};

use super::rpc::{InstanceRequest, RequestKind};
use super::Client;
use crate::consumer::{ConsumerRequest, PullAnswer};
use crate::error::TransportError;
use crate::event::Event;
use crate::ids::ConnId;
use crate::producer::{ProducerRequest, SendAnswer};
use crate::timer::TimerKey;

/// A response, read in place or decoded whole.
enum Answer<'a> {
    View(&'a HeaderView<'a>, &'a Bytes),
    Owned(RemotingCommand),
}

impl Answer<'_> {
    fn opaque(&self) -> i32 {
        match self {
            Self::View(v, _) => v.head().opaque,
            Self::Owned(cmd) => cmd.opaque,
        }
    }

    fn code(&self) -> i32 {
        match self {
            Self::View(v, _) => v.head().code,
            Self::Owned(cmd) => cmd.code,
        }
    }

    fn into_command(self) -> RemotingCommand {
        match self {
            Self::View(v, frame) => v.to_command(frame::frame_body(frame)),
            Self::Owned(cmd) => cmd,
        }
    }
}

impl Client {
    /// Handles one frame (its bytes after the length prefix); `Err` when it is corrupt.
    pub(crate) fn on_frame(
        &mut self,
        now: Instant,
        conn: ConnId,
        frame: Bytes,
    ) -> Result<(), DecodeError> {
        let mut view = HeaderView::empty();
        if !frame::read_header(&frame, &mut view) {
            self.on_command(now, conn, frame::decode_frame_body(frame)?);
        } else if view.is_response() {
            self.on_response(now, conn, Answer::View(&view, &frame));
        } else {
            let cmd = view.to_command(frame::frame_body(&frame));
            self.on_server_request(now, conn, cmd);
        }
        Ok(())
    }

    /// Handles one decoded command.
    pub(crate) fn on_command(&mut self, now: Instant, conn: ConnId, cmd: RemotingCommand) {
        if cmd.is_response() {
            self.on_response(now, conn, Answer::Owned(cmd));
        } else {
            self.on_server_request(now, conn, cmd);
        }
    }

    /// Routes a response to the request it answers.
    fn on_response(&mut self, now: Instant, conn: ConnId, answer: Answer<'_>) {
        let opaque = answer.opaque();
        if !self.inst.requests.is_on(opaque, conn) {
            let code = answer.code();
            tracing::debug!(opaque, code, "ignoring a late or unknown response");
            return;
        }
        let Some(pending) = self.inst.take_request(opaque, Some(now)) else {
            return;
        };
        match pending.kind {
            RequestKind::Producer(ProducerRequest::Send(id)) => {
                let answer = match &answer {
                    Answer::View(v, _) => SendAnswer {
                        code: v.response_code(),
                        remark: v.remark(),
                        fields: SendResponseFields::from_view(v),
                    },
                    Answer::Owned(cmd) => {
                        let mut fields = SendResponseFields::default();
                        cmd.ext_fields.iter().for_each(|(k, v)| fields.add(k, v));
                        SendAnswer {
                            code: cmd.response_code(),
                            remark: cmd.remark.as_deref(),
                            fields,
                        }
                    }
                };
                self.producers
                    .on_send_answer(&mut self.inst, now, id, conn, &answer);
                self.settle(now);
            }
            RequestKind::Consumer(ConsumerRequest::Pull(id, key)) => {
                let answer = match answer {
                    Answer::View(v, frame) => PullAnswer::read(
                        v.response_code(),
                        v.remark(),
                        v.ext_fields(),
                        frame::frame_body(frame),
                    ),
                    Answer::Owned(cmd) => PullAnswer::read(
                        cmd.response_code(),
                        cmd.remark.as_deref(),
                        cmd.ext_fields.iter(),
                        cmd.body.clone(),
                    ),
                };
                self.on_pull_answer(now, id, key, answer);
            }
            RequestKind::Consumer(request) => {
                self.on_consumer_answer(now, request, answer.into_command());
            }
            RequestKind::Instance(request) => {
                self.on_instance_response(now, conn, request, answer.into_command());
            }
        }
    }

    /// Handles the answer to one of the instance's own requests.
    fn on_instance_response(
        &mut self,
        now: Instant,
        conn: ConnId,
        request: InstanceRequest,
        cmd: RemotingCommand,
    ) {
        match request {
            InstanceRequest::Route { target } => {
                let answer = self.inst.on_route_response(now, &target, cmd);
                self.route_answered(now, &target, answer);
            }
            InstanceRequest::Heartbeat {
                rebalance,
                consumers,
            } => {
                let addr = self.inst.conn_addr(conn);
                if cmd.response_code() == ResponseCode::SUCCESS {
                    self.consumers.heartbeat_acked(conn, &addr, &consumers);
                    self.consumers.pull_after_heartbeat(&mut self.inst, now);
                    self.settle(now);
                    self.inst.routes.set_version(addr, cmd.version);
                    if rebalance {
                        self.consumers.rebalance_all(&mut self.inst, now);
                        self.settle(now);
                    }
                } else {
                    tracing::warn!(%addr, code = %cmd.response_code(), remark = cmd.remark_str(), "heartbeat rejected");
                }
            }
            InstanceRequest::Unregister => self.inst.maybe_finish_shutdown(),
        }
    }

    /// A request timed out.
    pub(crate) fn request_timed_out(&mut self, now: Instant, opaque: i32) {
        let Some(pending) = self.inst.take_request(opaque, None) else {
            return;
        };
        let addr = self.inst.conn_addr(pending.conn);
        match pending.kind {
            RequestKind::Instance(InstanceRequest::Route { target }) => {
                let cause = format!("route request to {addr} timed out");
                let done = self
                    .inst
                    .on_route_transport_failure(now, &target, &addr, cause);
                if let Some(done) = done {
                    self.lookup_done(now, done);
                }
            }
            RequestKind::Instance(InstanceRequest::Heartbeat { .. }) => {
                tracing::warn!(%addr, "heartbeat timed out");
            }
            RequestKind::Instance(InstanceRequest::Unregister) => {
                self.inst.maybe_finish_shutdown();
            }
            RequestKind::Producer(ProducerRequest::Send(id)) => {
                let error = TransportError::RequestTimeout {
                    addr,
                    waited: now - pending.sent_at,
                };
                self.producers
                    .on_send_transport_failure(&mut self.inst, now, id, error);
                self.settle(now);
            }
            RequestKind::Consumer(request) => {
                let error = TransportError::RequestTimeout {
                    addr,
                    waited: now - pending.sent_at,
                };
                self.on_consumer_failure(now, request, &error);
            }
        }
    }

    /// Forgets a connection and fails what was in flight on it; with `tell_driver`, asks
    /// the driver to close it.
    pub(crate) fn lose_conn(
        &mut self,
        now: Instant,
        conn: ConnId,
        tell_driver: bool,
        error: TransportError,
    ) {
        if let Some(d) = self.inst.conns.connect_deadline(conn) {
            self.inst.timers.cancel(d, TimerKey::Connect(conn));
        }
        let Some(c) = self.inst.conns.remove(conn, tell_driver) else {
            return;
        };
        tracing::debug!(addr = %c.addr, %error, "connection lost");
        if self.inst.name_servers.contains(&c.addr) {
            self.inst.name_servers.failed(&c.addr);
        }
        self.inst.push_event(Event::ConnectionLost {
            addr: c.addr.clone(),
            reason: error.clone(),
        });
        for (opaque, kind) in self.inst.requests.on_conn(conn) {
            if self.inst.take_request(opaque, None).is_none() {
                continue;
            }
            match kind {
                RequestKind::Producer(ProducerRequest::Send(id)) => {
                    self.producers.on_send_transport_failure(
                        &mut self.inst,
                        now,
                        id,
                        error.clone(),
                    );
                }
                RequestKind::Instance(InstanceRequest::Route { target }) => {
                    let cause = error.to_string();
                    let done = self
                        .inst
                        .on_route_transport_failure(now, &target, &c.addr, cause);
                    if let Some(done) = done {
                        self.lookup_done(now, done);
                    }
                }
                RequestKind::Instance(
                    InstanceRequest::Heartbeat { .. } | InstanceRequest::Unregister,
                ) => {}
                RequestKind::Consumer(request) => self.on_consumer_failure(now, request, &error),
            }
        }
        self.producers.fail_oneways_on(&mut self.inst, conn, &error);
        self.inst.maybe_finish_shutdown();
    }
}
