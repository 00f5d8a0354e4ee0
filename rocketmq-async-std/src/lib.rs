//! RocketMQ producer and consumers for async-std and smol: the Sans-IO [`rocketmq_core`] client driven by
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
//! last handle is dropped. Consumers' listeners run on a small executor of this crate's own
//! (a few `rocketmq-listener` threads), never on the driver's thread.
//!
//! While the core batches reads from a backlogged broker, the driver sets the socket's read
//! low-water mark (`SO_RCVLOWAT`, Linux), so it wakes once per batch of answers; that one
//! `setsockopt` is the crate's only `unsafe` code (`sockopt.rs`).

mod sockopt;

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use async_io::Timer;
use async_net::TcpStream;
use futures_lite::{AsyncRead, AsyncWrite};
use rocketmq_core::driver::{ConnectFuture, Driver, Runtime, Task};
use rocketmq_core::ClientEnv;

pub use rocketmq_core::consumer::allocate::AllocateStrategy;
pub use rocketmq_core::driver::{ConsumeContext, ListenerFuture, MessageListener};
pub use rocketmq_core::proto::body::{MessageModel, MessageQueue};
pub use rocketmq_core::proto::header::SendStatus;
pub use rocketmq_core::proto::message::compress::CompressionType;
pub use rocketmq_core::proto::message::{BatchSplitter, Delay, MessageExt};
pub use rocketmq_core::{
    ConfigError, ConsumeFrom, ConsumeResult, ConsumerError, Message, MessageQueueSelector,
    SelectByHash, SelectByRandom, SelectByRoundRobin, SendError, SendMode, SendOptions, SendResult,
    SendTarget, TransportError, UsageError,
};

/// A producer on async-io (async-std, smol).
pub type Producer = rocketmq_core::driver::Producer<AsyncIoRuntime>;
/// Builds a [`Producer`] on async-io.
pub type ProducerBuilder = rocketmq_core::driver::ProducerBuilder<AsyncIoRuntime>;
/// A push consumer (concurrent or orderly listener) on this runtime.
pub type PushConsumer = rocketmq_core::driver::PushConsumer<AsyncIoRuntime>;
/// Builds a [`PushConsumer`].
pub type PushConsumerBuilder = rocketmq_core::driver::PushConsumerBuilder<AsyncIoRuntime>;
/// A lite pull consumer on this runtime.
pub type LitePullConsumer = rocketmq_core::driver::LitePullConsumer<AsyncIoRuntime>;
/// Builds a [`LitePullConsumer`].
pub type LitePullConsumerBuilder = rocketmq_core::driver::LitePullConsumerBuilder<AsyncIoRuntime>;

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

    fn spawn_task(&self, task: Task) {
        listeners().spawn(task).detach();
    }

    fn env(&self) -> ClientEnv {
        os_env()
    }
}

/// The executor message listeners run on: smol's executor, driven by a few threads of its
/// own (async-std and smol users run their own executors; this one is the adapter's, so
/// that listeners never run on the driver's task whatever executor polls it).
fn listeners() -> &'static async_executor::Executor<'static> {
    static EXECUTOR: OnceLock<async_executor::Executor<'static>> = OnceLock::new();
    EXECUTOR.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        for i in 0..threads {
            let spawned = std::thread::Builder::new()
                .name(format!("rocketmq-listener-{i}"))
                .spawn(|| {
                    let ex = listeners();
                    async_io::block_on(ex.run(futures_lite::future::pending::<()>()))
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a listener thread");
            }
        }
        async_executor::Executor::new()
    })
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
