//! RocketMQ producer and consumers for tokio: the Sans-IO [`rocketmq_core`] client driven by
//! tokio sockets and timers.
//!
//! ```no_run
//! use rocketmq_tokio::{Message, Producer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let producer = Producer::builder()
//!     .name_server("127.0.0.1:9876")
//!     .group("please_rename_unique_group_name")
//!     .build()?;
//! producer.start().await?;
//! for i in 0..10 {
//!     let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA");
//!     let result = producer.send(msg).await?;
//!     println!("{result:?}");
//! }
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A push consumer runs its listener on tokio tasks (up to `consume_thread_max` at once):
//!
//! ```no_run
//! use std::sync::Arc;
//! use rocketmq_tokio::{ConsumeContext, ConsumeResult, MessageExt, PushConsumer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let consumer = PushConsumer::builder()
//!     .name_server("127.0.0.1:9876")
//!     .group("please_rename_unique_group_name")
//!     .subscribe("TopicTest", "*")
//!     .build_concurrent(|msgs: Arc<[MessageExt]>, _: ConsumeContext| async move {
//!         println!("{} messages", msgs.len());
//!         ConsumeResult::Success
//!     })?;
//! consumer.start().await?;
//! # consumer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The driver runs as one tokio task per client instance; it ends after `shutdown().await`
//! or when the last handle is dropped. Time comes from tokio's clock, so
//! `#[tokio::test(start_paused = true)]` works.
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

use rocketmq_core::driver::{ConnectFuture, Driver, Runtime, Task};
use rocketmq_core::ClientEnv;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

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

/// A producer on tokio.
pub type Producer = rocketmq_core::driver::Producer<TokioRuntime>;
/// Builds a [`Producer`] on tokio.
pub type ProducerBuilder = rocketmq_core::driver::ProducerBuilder<TokioRuntime>;
/// A push consumer (concurrent or orderly listener) on this runtime.
pub type PushConsumer = rocketmq_core::driver::PushConsumer<TokioRuntime>;
/// Builds a [`PushConsumer`].
pub type PushConsumerBuilder = rocketmq_core::driver::PushConsumerBuilder<TokioRuntime>;
/// A lite pull consumer on this runtime.
pub type LitePullConsumer = rocketmq_core::driver::LitePullConsumer<TokioRuntime>;
/// Builds a [`LitePullConsumer`].
pub type LitePullConsumerBuilder = rocketmq_core::driver::LitePullConsumerBuilder<TokioRuntime>;

/// The tokio side of the driver: sockets, timers, clock and spawning.
#[derive(Clone, Debug, Default)]
pub struct TokioRuntime;

impl Runtime for TokioRuntime {
    type Stream = TcpStream;
    type Timer = Pin<Box<tokio::time::Sleep>>;

    fn connect(&self, addr: String) -> ConnectFuture<TcpStream> {
        Box::pin(async move {
            let s = TcpStream::connect(addr).await?;
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
        let mut rb = ReadBuf::new(buf);
        Pin::new(s)
            .poll_read(cx, &mut rb)
            .map_ok(|()| rb.filled().len())
    }

    fn poll_write(
        &self,
        s: &mut TcpStream,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(s).poll_write_vectored(cx, bufs)
    }

    fn set_read_low_water(&self, s: &mut TcpStream, bytes: usize) -> bool {
        sockopt::set_read_low_water(s, bytes)
    }

    fn timer(&self, at: Instant) -> Self::Timer {
        Box::pin(tokio::time::sleep_until(at.into()))
    }

    fn reset(&self, t: &mut Self::Timer, at: Instant) {
        if t.deadline() != at.into() {
            t.as_mut().reset(at.into());
        }
    }

    fn poll_timer(&self, t: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()> {
        t.as_mut().poll(cx)
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn spawn(&self, driver: Driver<Self>) {
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(driver);
            }
            Err(_) => {
                // Outside a runtime: drive on a thread of our own.
                std::thread::spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt.block_on(driver),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot start a tokio runtime for the driver")
                        }
                    }
                });
            }
        }
    }

    fn spawn_task(&self, task: Task) {
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(task);
            }
            // The driver is polled outside a tokio runtime: the task gets a thread of its own.
            Err(_) => {
                std::thread::spawn(move || {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt.block_on(task),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot start a tokio runtime for a listener")
                        }
                    }
                });
            }
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
