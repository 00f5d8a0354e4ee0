//! Bit flags: message `sysFlag`, topic permissions and pull `sysFlag`.

/// Message `sysFlag` bits (`MessageSysFlag.java`).
pub mod sys_flag {
    /// The body is compressed (type in bits 8–10).
    pub const COMPRESSED_FLAG: i32 = 0x1;
    /// The message has several tags.
    pub const MULTI_TAGS_FLAG: i32 = 0x2;
    /// Not a transactional message.
    pub const TRANSACTION_NOT_TYPE: i32 = 0;
    /// Transactional half message.
    pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
    /// Committed transactional message.
    pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
    /// Rolled-back transactional message.
    pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
    /// Mask of the transaction type bits.
    pub const TRANSACTION_MASK: i32 = 0xC;
    /// The born host is IPv6 (16-byte address).
    pub const BORNHOST_V6_FLAG: i32 = 0x10;
    /// The store host is IPv6 (16-byte address).
    pub const STOREHOSTADDRESS_V6_FLAG: i32 = 0x20;
    /// The body holds batch records the client must unwrap.
    pub const NEED_UNWRAP_FLAG: i32 = 0x40;
    /// The message is an inner batch.
    pub const INNER_BATCH_FLAG: i32 = 0x80;
    /// Mask of the compression type bits (8–10).
    pub const COMPRESSION_TYPE_MASK: i32 = 0x700;
    /// Compression type LZ4 (frame format).
    pub const COMPRESSION_LZ4: i32 = 0x100;
    /// Compression type ZSTD.
    pub const COMPRESSION_ZSTD: i32 = 0x200;
    /// Compression type ZLIB (RFC 1950).
    pub const COMPRESSION_ZLIB: i32 = 0x300;

    /// The compression type bits of `flag` (0 means legacy ZLIB).
    pub fn compression_type(flag: i32) -> i32 {
        flag & COMPRESSION_TYPE_MASK
    }

    /// The transaction type bits of `flag`.
    pub fn transaction_type(flag: i32) -> i32 {
        flag & TRANSACTION_MASK
    }

    /// Whether the body must be unwrapped into inner batch records.
    pub fn is_inner_batch(flag: i32) -> bool {
        flag & (INNER_BATCH_FLAG | NEED_UNWRAP_FLAG) == INNER_BATCH_FLAG | NEED_UNWRAP_FLAG
    }
}

/// Topic permission bits (`PermName.java`).
pub mod perm {
    /// Priority (order) topic.
    pub const PRIORITY: i32 = 8;
    /// Readable.
    pub const READ: i32 = 4;
    /// Writeable.
    pub const WRITE: i32 = 2;
    /// Inherit.
    pub const INHERIT: i32 = 1;

    /// Whether `perm` allows reading.
    pub fn is_readable(perm: i32) -> bool {
        perm & READ == READ
    }

    /// Whether `perm` allows writing.
    pub fn is_writeable(perm: i32) -> bool {
        perm & WRITE == WRITE
    }

    /// Whether `perm` is a valid value (`0 <= perm < 8`).
    pub fn is_valid(perm: i32) -> bool {
        (0..PRIORITY).contains(&perm)
    }
}

/// Pull request `sysFlag` bits (`PullSysFlag.java`).
pub mod pull_sys_flag {
    /// The request carries a consumer offset to commit.
    pub const COMMIT_OFFSET: i32 = 0x1;
    /// The broker may hold the request (long polling).
    pub const SUSPEND: i32 = 0x2;
    /// The request carries a subscription expression.
    pub const SUBSCRIPTION: i32 = 0x4;
    /// Class filter mode.
    pub const CLASS_FILTER: i32 = 0x8;
    /// Lite pull consumer.
    pub const LITE_PULL: i32 = 0x10;

    /// Builds a pull `sysFlag` from its parts.
    pub fn build(
        commit_offset: bool,
        suspend: bool,
        subscription: bool,
        class_filter: bool,
        lite_pull: bool,
    ) -> i32 {
        let mut flag = 0;
        if commit_offset {
            flag |= COMMIT_OFFSET;
        }
        if suspend {
            flag |= SUSPEND;
        }
        if subscription {
            flag |= SUBSCRIPTION;
        }
        if class_filter {
            flag |= CLASS_FILTER;
        }
        if lite_pull {
            flag |= LITE_PULL;
        }
        flag
    }

    /// `flag` without COMMIT_OFFSET (used when pulling from a slave).
    pub fn clear_commit_offset(flag: i32) -> i32 {
        flag & !COMMIT_OFFSET
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perm_rules() {
        assert!(perm::is_readable(6) && perm::is_writeable(6));
        assert!(!perm::is_readable(2) && !perm::is_writeable(4));
        assert!(perm::is_valid(0) && perm::is_valid(7));
        assert!(!perm::is_valid(8) && !perm::is_valid(-1));
    }

    #[test]
    fn pull_flag_build() {
        assert_eq!(pull_sys_flag::build(false, false, false, false, false), 0);
        assert_eq!(pull_sys_flag::build(true, true, false, false, false), 3);
        assert_eq!(pull_sys_flag::build(false, true, true, false, true), 0x16);
        assert_eq!(pull_sys_flag::build(true, true, true, true, true), 0x1F);
        assert_eq!(pull_sys_flag::clear_commit_offset(3), 2);
    }

    #[test]
    fn sys_flag_helpers() {
        assert_eq!(
            sys_flag::compression_type(0x301),
            sys_flag::COMPRESSION_ZLIB
        );
        assert_eq!(
            sys_flag::transaction_type(0x1C),
            sys_flag::TRANSACTION_ROLLBACK_TYPE
        );
        assert!(sys_flag::is_inner_batch(0xC0));
        assert!(!sys_flag::is_inner_batch(0x80));
    }
}
