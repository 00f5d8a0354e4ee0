//! Retry decisions for a send attempt (Java `sendDefaultImpl`).

use std::time::Instant;

use rocketmq_proto::header::SendStatus;
use rocketmq_proto::ResponseCode;

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The broker stored the message with this status.
    Stored(SendStatus),
    /// The broker answered with an error code.
    Broker(ResponseCode),
    /// Connect failure, closed connection or request timeout.
    Transport,
    /// The answer could not be understood; the message may be stored, so never retried.
    Unretryable,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Report the stored result.
    Complete,
    /// Try again on another broker.
    Retry,
    /// Report failure.
    Fail(FailReason),
}

/// Why a send fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// The outcome is not retryable.
    NotRetryable,
    /// Every allowed attempt was used.
    Exhausted,
    /// The send timeout ran out.
    DeadlinePassed,
}

/// The retry rules of one producer.
#[derive(Clone, Debug)]
pub struct RetryPolicy<'a> {
    /// Attempts allowed in all (1 + retries).
    pub max_attempts: u32,
    /// Retry a stored-but-not-OK status on another broker.
    pub retry_not_stored_ok: bool,
    /// Broker codes worth retrying.
    pub retry_codes: &'a [ResponseCode],
}

impl RetryPolicy<'_> {
    /// Decides after attempt number `attempts` (1-based) ended with `outcome`.
    pub fn decide(
        &self,
        outcome: AttemptOutcome,
        attempts: u32,
        now: Instant,
        deadline: Instant,
    ) -> Decision {
        let retryable = match outcome {
            AttemptOutcome::Stored(SendStatus::SendOk) => return Decision::Complete,
            AttemptOutcome::Stored(_) if !self.retry_not_stored_ok => return Decision::Complete,
            AttemptOutcome::Stored(_) => {
                // Java returns the last stored result once retries are used up.
                if attempts >= self.max_attempts || now >= deadline {
                    return Decision::Complete;
                }
                true
            }
            AttemptOutcome::Broker(code) => self.retry_codes.contains(&code),
            AttemptOutcome::Transport => true,
            AttemptOutcome::Unretryable => false,
        };
        if !retryable {
            Decision::Fail(FailReason::NotRetryable)
        } else if now >= deadline {
            Decision::Fail(FailReason::DeadlinePassed)
        } else if attempts >= self.max_attempts {
            Decision::Fail(FailReason::Exhausted)
        } else {
            Decision::Retry
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_RETRY_CODES;
    use std::time::Duration;

    #[test]
    fn decision_table() {
        let t = Instant::now();
        let dl = t + Duration::from_secs(3);
        let p = RetryPolicy {
            max_attempts: 3,
            retry_not_stored_ok: false,
            retry_codes: &DEFAULT_RETRY_CODES,
        };
        use AttemptOutcome::*;
        use Decision::*;
        assert_eq!(p.decide(Stored(SendStatus::SendOk), 1, t, dl), Complete);
        assert_eq!(
            p.decide(Stored(SendStatus::FlushDiskTimeout), 1, t, dl),
            Complete
        );
        assert_eq!(p.decide(Broker(ResponseCode::SYSTEM_BUSY), 1, t, dl), Retry);
        assert_eq!(
            p.decide(Broker(ResponseCode::SYSTEM_BUSY), 3, t, dl),
            Fail(FailReason::Exhausted)
        );
        assert_eq!(
            p.decide(Broker(ResponseCode::SYSTEM_BUSY), 1, dl, dl),
            Fail(FailReason::DeadlinePassed)
        );
        assert_eq!(
            p.decide(Broker(ResponseCode::MESSAGE_ILLEGAL), 1, t, dl),
            Fail(FailReason::NotRetryable)
        );
        assert_eq!(p.decide(Transport, 2, t, dl), Retry);
        assert_eq!(
            p.decide(Unretryable, 1, t, dl),
            Fail(FailReason::NotRetryable)
        );
        let q = RetryPolicy {
            retry_not_stored_ok: true,
            ..p
        };
        assert_eq!(
            q.decide(Stored(SendStatus::SlaveNotAvailable), 1, t, dl),
            Retry
        );
        assert_eq!(
            q.decide(Stored(SendStatus::SlaveNotAvailable), 3, t, dl),
            Complete
        );
    }
}
