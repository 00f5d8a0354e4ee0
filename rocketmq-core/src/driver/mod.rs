//! Runtime-agnostic async glue shared by the runtime adapters (std only, no runtime crate).
//!
//! An adapter implements [`Runtime`] — connect, read, write, timers, spawn and the OS
//! environment — and gets the whole async producer API: [`Producer`], [`ProducerBuilder`].
//! The [`Driver`] future owns the Sans-IO [`Client`](crate::Client) and polls every socket
//! and the timer inside one task, so no protocol decision lives in an adapter.

mod consumer;
mod consumers;
mod inbox;
mod io;
mod listener;
mod lite_consumer;
mod offsets_file;
mod oneshot;
mod producer;
mod producer_more;
mod registry;
mod wake;

use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

pub use self::consumer::{PushConsumer, PushConsumerBuilder};
pub use self::io::Driver;
pub use self::listener::{ConsumeContext, ListenerFuture, MessageListener};
pub use self::lite_consumer::{LitePullConsumer, LitePullConsumerBuilder, MessageStream};
pub use self::producer::{Producer, ProducerBuilder};
use crate::env::ClientEnv;

/// A boxed connect future.
pub type ConnectFuture<S> = Pin<Box<dyn Future<Output = std::io::Result<S>> + Send>>;

/// A boxed task: a consumer's message listener at work.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What a runtime adapter provides to the driver.
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A connected TCP stream.
    type Stream: Send + 'static;
    /// A resettable timer.
    type Timer: Send + 'static;

    /// Starts connecting to `addr` (`host:port`).
    fn connect(&self, addr: String) -> ConnectFuture<Self::Stream>;
    /// Reads into `buf`; `Ok(0)` means end of stream.
    fn poll_read(
        &self,
        stream: &mut Self::Stream,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>>;
    /// Writes from `bufs`.
    fn poll_write(
        &self,
        stream: &mut Self::Stream,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>>;
    /// Has the socket report readable only once `bytes` wait (`SO_RCVLOWAT`; 1 is the
    /// usual), lowering it reporting data already waiting; `false` where that is not
    /// available (the default), and the driver then pauses reading by time alone.
    fn set_read_low_water(&self, stream: &mut Self::Stream, bytes: usize) -> bool {
        let _ = (stream, bytes);
        false
    }
    /// Creates a timer firing at `at`.
    fn timer(&self, at: Instant) -> Self::Timer;
    /// Moves a timer to `at`.
    fn reset(&self, timer: &mut Self::Timer, at: Instant);
    /// Polls a timer.
    fn poll_timer(&self, timer: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()>;
    /// Returns the runtime's monotonic now (a paused test clock, where the runtime has one).
    fn now(&self) -> Instant;
    /// Runs the driver of a new client instance in the background.
    fn spawn(&self, driver: Driver<Self>);
    /// Runs a task (a message listener's work) on the runtime's executor, never on the
    /// driver's own task.
    fn spawn_task(&self, task: Task);
    /// Reads local IP, PID, wall clock and a random seed from the operating system.
    fn env(&self) -> ClientEnv;
}
