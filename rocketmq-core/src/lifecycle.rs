//! Service states of producers and client instances (Java `ServiceState`).

/// Where a producer or client is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceState {
    /// Created, not started.
    CreateJust,
    /// Started and serving.
    Running,
    /// Shut down; cannot be restarted.
    ShutdownAlready,
    /// `start` failed; cannot be restarted.
    StartFailed,
}
