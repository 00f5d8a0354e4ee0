//! Transaction headers (spec §3.6, §6.13).

use crate::header::fields::{ext_header, WireValue};

/// A local transaction's outcome, the `commitOrRollback` value of END_TRANSACTION.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// Not known yet; the broker checks back later (0).
    #[default]
    Unknown,
    /// Commit the half message (8, `TRANSACTION_COMMIT_TYPE`).
    Commit,
    /// Roll the half message back (12, `TRANSACTION_ROLLBACK_TYPE`).
    Rollback,
}

impl TransactionState {
    /// Returns the wire value: 0, 8 or 12.
    pub fn as_i32(self) -> i32 {
        match self {
            Self::Unknown => 0,
            Self::Commit => 8,
            Self::Rollback => 12,
        }
    }

    /// Parses a wire value; `None` for anything but 0, 8 and 12.
    pub fn from_i32(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::Unknown),
            8 => Some(Self::Commit),
            12 => Some(Self::Rollback),
            _ => None,
        }
    }
}

impl WireValue for TransactionState {
    const EXPECTED: &'static str = "transaction state (0, 8 or 12)";

    fn parse_wire(s: &str) -> Option<Self> {
        s.parse().ok().and_then(Self::from_i32)
    }

    fn to_wire(&self) -> String {
        self.as_i32().to_wire()
    }
}

ext_header! {
    /// `EndTransactionRequestHeader` (END_TRANSACTION, code 37, oneway).
    pub struct EndTransactionRequestHeader {
        /// Topic of the half message.
        pub topic: Option<String> = "topic",
        /// Producer group.
        pub producer_group: String = "producerGroup",
        /// Queue offset of the half message.
        pub tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset of the half message.
        pub commit_log_offset: i64 = "commitLogOffset",
        /// Commit, roll back or unknown.
        pub commit_or_rollback: TransactionState = "commitOrRollback",
        /// Whether this answers a CHECK_TRANSACTION_STATE; `false` when absent.
        pub from_transaction_check: bool = "fromTransactionCheck" or false,
        /// Message id (UNIQ_KEY).
        pub msg_id: String = "msgId",
        /// Transaction id.
        pub transaction_id: Option<String> = "transactionId",
    }
}

ext_header! {
    /// `CheckTransactionStateRequestHeader` (CHECK_TRANSACTION_STATE, code 39, from the
    /// broker); body = the half message.
    pub struct CheckTransactionStateRequestHeader {
        /// Topic of the half message.
        pub topic: Option<String> = "topic",
        /// Queue offset of the half message.
        pub tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset of the half message.
        pub commit_log_offset: i64 = "commitLogOffset",
        /// Message id (UNIQ_KEY).
        pub msg_id: Option<String> = "msgId",
        /// Transaction id.
        pub transaction_id: Option<String> = "transactionId",
        /// Broker offset message id.
        pub offset_msg_id: Option<String> = "offsetMsgId",
    }
}
