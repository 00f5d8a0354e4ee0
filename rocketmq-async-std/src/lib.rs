//! RocketMQ producer for async-std and smol: the Sans-IO [`rocketmq_core`] client driven by
//! `async-io` sockets and timers. No tokio anywhere in its dependency tree.
//!
//! async-std and smol share one reactor (async-io), so this crate serves both, and plain
//! `futures_lite::future::block_on` too. The API is the same as `rocketmq-tokio`'s: switching
//! runtime is a change of dependency and `use`.
//!
//! ```no_run
//! use rocketmq_async_std::{Message, Producer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let producer = Producer::builder()
//!         .name_server("127.0.0.1:9876")
//!         .group("please_rename_unique_group_name")
//!         .build()?;
//!     producer.start().await?;
//!     let result = producer.send(Message::new("TopicTest", "Hello RocketMQ")).await?;
//!     println!("{result:?}");
//!     producer.shutdown().await;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! Each client instance's driver runs on a thread of its own under `block_on`, so it works
//! whichever executor the application uses; it ends after `shutdown().await` or when the
//! last handle is dropped.
//!
//! While the core batches reads from a backlogged broker, the driver sets the socket's read
//! low-water mark (`SO_RCVLOWAT`, Linux), so it wakes once per batch of answers; that one
//! `setsockopt` is the crate's only `unsafe` code (`sockopt.rs`).

mod sockopt;

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use async_io::Timer;
use async_net::TcpStream;
use futures_lite::{AsyncRead, AsyncWrite};
use rocketmq_core::driver::{ConnectFuture, Driver, Runtime};
use rocketmq_core::ClientEnv;

pub use rocketmq_core::proto::body::MessageQueue;
pub use rocketmq_core::proto::header::SendStatus;
pub use rocketmq_core::proto::message::compress::CompressionType;
pub use rocketmq_core::proto::message::{BatchSplitter, Delay};
pub use rocketmq_core::{
    ConfigError, Message, MessageQueueSelector, SelectByHash, SelectByRandom, SelectByRoundRobin,
    SendError, SendMode, SendOptions, SendResult, SendTarget, TransportError, UsageError,
};

/// A producer on async-io (async-std, smol).
pub type Producer = rocketmq_core::driver::Producer<AsyncIoRuntime>;
/// Builds a [`Producer`] on async-io.
pub type ProducerBuilder = rocketmq_core::driver::ProducerBuilder<AsyncIoRuntime>;

/// The async-io side of the driver: sockets, timers, clock and a driver thread.
#[derive(Clone, Debug, Default)]
pub struct AsyncIoRuntime;

impl Runtime for AsyncIoRuntime {
    type Stream = TcpStream;
    type Timer = Timer;

    fn connect(&self, addr: String) -> ConnectFuture<TcpStream> {
        Box::pin(async move {
            let s = TcpStream::connect(addr.as_str()).await?;
            s.set_nodelay(true)?;
            Ok(s)
        })
    }

    fn poll_read(
        &self,
        s: &mut TcpStream,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(s).poll_read(cx, buf)
    }

    fn set_read_low_water(&self, s: &mut TcpStream, bytes: usize) -> bool {
        sockopt::set_read_low_water(s, bytes)
    }

    fn poll_write(
        &self,
        s: &mut TcpStream,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(s).poll_write_vectored(cx, bufs)
    }

    fn timer(&self, at: Instant) -> Timer {
        Timer::at(at)
    }

    fn reset(&self, t: &mut Timer, at: Instant) {
        t.set_at(at);
    }

    fn poll_timer(&self, t: &mut Timer, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(t).poll(cx).map(|_| ())
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn spawn(&self, driver: Driver<Self>) {
        let spawned = std::thread::Builder::new()
            .name("rocketmq-driver".into())
            .spawn(move || async_io::block_on(driver));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the driver thread");
        }
    }

    fn env(&self) -> ClientEnv {
        os_env()
    }
}

/// Reads the client environment from the operating system.
pub fn os_env() -> ClientEnv {
    let since_epoch = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    };
    let fib_trie = std::fs::read_to_string("/proc/net/fib_trie").ok();
    let wall_clock = Arc::new(move || since_epoch().as_millis() as i64);
    ClientEnv::from_os(
        fib_trie.as_deref(),
        std::process::id(),
        since_epoch().as_nanos() as u64,
        wall_clock,
    )
}
