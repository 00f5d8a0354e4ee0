//! Service states of producers, consumers and client instances (Java `ServiceState`), and
//! every transition between them in one table.

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

/// What can happen to a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    /// `start` was called; `ok` when its checks passed.
    Start {
        /// Whether the checks passed.
        ok: bool,
    },
    /// `shutdown` was called (or the instance shut down).
    Shutdown,
}

impl ServiceState {
    /// The state after `t`, or `None` when `t` does not apply in this state (a start of a
    /// started service, a shutdown of a failed one).
    pub(crate) fn after(self, t: Transition) -> Option<Self> {
        match (self, t) {
            (Self::CreateJust, Transition::Start { ok: true }) => Some(Self::Running),
            (Self::CreateJust, Transition::Start { ok: false }) => Some(Self::StartFailed),
            (Self::CreateJust | Self::Running, Transition::Shutdown) => Some(Self::ShutdownAlready),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ServiceState::*, Transition::*};

    #[test]
    fn every_transition() {
        let table = [
            (CreateJust, Start { ok: true }, Some(Running)),
            (CreateJust, Start { ok: false }, Some(StartFailed)),
            (CreateJust, Shutdown, Some(ShutdownAlready)),
            (Running, Start { ok: true }, None),
            (Running, Shutdown, Some(ShutdownAlready)),
            (ShutdownAlready, Start { ok: true }, None),
            (ShutdownAlready, Shutdown, None),
            (StartFailed, Start { ok: true }, None),
            (StartFailed, Shutdown, None),
        ];
        for (from, t, to) in table {
            assert_eq!(from.after(t), to, "{from:?} {t:?}");
        }
    }
}
