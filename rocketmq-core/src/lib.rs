//! Sans-IO RocketMQ client: the decisions of Java's `MQClientInstance` and
//! `DefaultMQProducerImpl`, without a socket, a clock, a thread or a runtime.
//!
//! This crate is fully deterministic. Time comes in as an [`Instant`](std::time::Instant)
//! argument, the wall clock, local IP, PID and random seed come in through [`ClientEnv`], and
//! everything the client wants done comes out through polls. Runtime adapters
//! (`rocketmq-tokio`, `rocketmq-async-std`) feed it sockets and timers; tests feed it a
//! simulated cluster ([`testing`], feature `testing`).
//!
//! # The run loop
//!
//! **Invariant: after every `handle_*` call and every command (`producer(id)?.start`,
//! `producer(id)?.send`, `shutdown`, …), drain the polls** — `poll_conn`, then
//! `poll_transmit`, then `poll_event` — and re-read `poll_timeout`. Output produced by one
//! call is only visible through the polls.
//!
//! ```no_run
//! use std::time::Instant;
//! use rocketmq_core::{Client, ClientConfig, ClientEnv, ConnCommand, Event, ProducerConfig, SendOptions};
//! use rocketmq_proto::message::Message;
//! # fn env() -> ClientEnv { unimplemented!() }
//! # fn connect(_: &str) {} fn write(_: rocketmq_core::ConnId, _: &[u8]) {}
//! # fn read_socket() -> (rocketmq_core::ConnId, Vec<u8>) { unimplemented!() }
//!
//! let mut client = Client::new(ClientConfig::with_name_servers("127.0.0.1:9876"), env());
//! let producer = client.create_producer(ProducerConfig::new("my_group"));
//! client.producer(producer)?.start(Instant::now())?;
//! let msg = Message::new("TopicTest", "hello");
//! let id = client.producer(producer)?.send(Instant::now(), msg, SendOptions::default())?;
//! loop {
//!     // 1. Drain the polls.
//!     while let Some(cmd) = client.poll_conn() {
//!         match cmd {
//!             ConnCommand::Open { conn, addr } => connect(&addr), // later: client.handle_connected(now, conn)
//!             ConnCommand::Close { conn } => { /* drop the socket */ }
//!         }
//!     }
//!     while let Some(t) = client.poll_transmit() {
//!         write(t.conn, &t.data);
//!     }
//!     while let Some(event) = client.poll_event() {
//!         if let Event::SendCompleted { id: done, result } = event {
//!             assert_eq!(done, id);
//!             println!("{result:?}");
//!             return Ok(());
//!         }
//!     }
//!     // 2. Wait for a socket or `client.poll_timeout()`, then feed what happened.
//!     let (conn, bytes) = read_socket();
//!     client.handle_data(Instant::now(), conn, &bytes);
//!     // or: client.handle_timeout(now) when the deadline has passed.
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every accepted send completes exactly once, with [`Event::SendCompleted`] (sync and async)
//! or [`Event::OnewayCompleted`]. The send timeout bounds all attempts together.
//!
//! # Consuming
//!
//! A consumer ([`Client::create_consumer`], then `client.consumer(id)?` to subscribe and
//! start) pulls by itself; the application's work comes out as [`Event::Deliver`] and its
//! answer goes back with [`Client::consume_result`]. **Every delivery is answered once or
//! revoked once** ([`Event::DeliveryRevoked`], when its queue goes to another member or the
//! consumer shuts down), never both: an answer after a revoke is ignored. A queue's
//! consumed offset never passes a message whose delivery is unanswered, and a queue whose
//! cache is full (pulled, unanswered) pulls no more until answers free it. Orderly
//! consumers hand out one delivery per queue at a time, in offset order, while the queue's
//! broker lock is held. Lite pull consumers buffer what they pull: poll it after
//! [`Event::Pollable`].
//!
//! # Batching
//!
//! While a broker is backlogged — the sends already written to it keep it busy for more than
//! two round trips — its connection works in batches, bounded by
//! [`ClientConfig::batch_delay`] (10 ms; zero turns batching off):
//!
//! - **Writes.** A new send is held, and held sends leave in one write when the backlog has
//!   drained to that margin, another kind of frame is queued, or the delay has passed.
//!   `poll_transmit` simply yields nothing for a held connection until then.
//! - **Reads.** After answers arrive, [`Client::read_pause`] tells the driver it may leave
//!   the socket unread for half of the backlog beyond the margin (at most the delay), so that
//!   the answers due meanwhile are read together. A driver that can set the socket's
//!   low-water mark to the bytes of those answers (`SO_RCVLOWAT`) reads as soon as they are
//!   there, and sleeps once per batch instead of once per answer.
//!
//! The broker would have queued those sends and answers anyway, so throughput and latency
//! stay as they were while system calls and wake-ups per message are saved; a broker
//! answering as fast as the round trip allows and a lone sender are never batched.
//! `poll_timeout` includes every hold and pause.
//!
//! # Modules and the state each owns
//!
//! | module | owns |
//! |---|---|
//! | [`Client`] (`client/mod.rs`) | nothing of its own: composes the instance and the roles, routes inputs to them |
//! | `client/instance.rs` | settings, client id, wall clock and random numbers, service state, the event queue |
//! | `client/rpc.rs` | opaques and the requests waiting for answers, tagged by role |
//! | `client/route.rs` | the route cache, the broker address table and versions, route lookups and their waiters |
//! | `client/namesrv.rs` | which name server is in use |
//! | `client/heartbeat.rs`, `client/inbound.rs`, `client/server_request.rs` | no state: heartbeats, the one inbound path, the server-request table |
//! | `conn/` | connections, their byte buffers and frame decoders; `backlog.rs`: write holds and read pauses |
//! | `timer.rs` | every deadline, keyed by owner |
//! | [`producer`] | producer groups, sends in flight, publish queues and header templates, fault data, `UNIQ_KEY` ids |
//! | [`consumer`] | consumer groups, subscriptions, held queues (cached messages, pull loops, locks), offsets, deliveries in flight, send-backs, queries |
//! | [`lifecycle`] | the service-state transition table |
//! | `driver` (feature `driver`) | the async layer: the driver future, command inbox, the instance registry |
//! | [`testing`] (feature `testing`) | the simulated cluster |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
pub mod client_id;
pub mod config;
mod conn;
pub mod consumer;
#[cfg(feature = "driver")]
pub mod driver;
pub mod env;
pub mod error;
pub mod event;
mod id_map;
mod ids;
pub mod lifecycle;
mod namespace;
pub mod producer;
mod seq_map;
mod timer;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use client::Client;
pub use config::{ClientConfig, ProducerConfig};
pub use consumer::config::ConsumerConfig;
pub use consumer::{ConsumeFrom, ConsumeResult, ConsumerApi, ConsumerKind, Delivery, Selector};
pub use env::{ClientEnv, WallClock};
pub use error::ConsumerError;
pub use error::{CloseCause, ConfigError, SendError, TransportError, UsageError};
pub use event::{CloseReason, ConnCommand, Event, ReadPause, Transmit};
pub use ids::{ConnId, ConsumerId, DeliveryId, DirectId, ProducerId, QueryId, SendId};
pub use lifecycle::ServiceState;
pub use producer::{
    MessageQueueSelector, ProducerApi, SelectByHash, SelectByRandom, SelectByRoundRobin, SendMode,
    SendOptions, SendResult, SendTarget,
};
pub use rocketmq_proto as proto;
pub use rocketmq_proto::message::Message;
