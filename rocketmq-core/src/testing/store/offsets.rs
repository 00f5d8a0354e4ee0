//! Offsets: consumer offsets (QUERY 14, UPDATE 15) and queue offsets (GET_MAX 30,
//! GET_MIN 31, SEARCH_OFFSET_BY_TIMESTAMP 29).

use std::collections::HashMap;

use rocketmq_proto::header::{
    BoundaryType, GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader, OffsetResponseHeader,
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rocketmq_proto::{RemotingCommand, ResponseCode};

use super::{error, invalid_header, success, BrokerStore};

/// Stored consumer offsets by (group, topic, queue id).
#[derive(Debug, Default)]
pub(super) struct ConsumerOffsets(HashMap<(String, String, i32), i64>);

impl ConsumerOffsets {
    /// Returns the stored offset.
    pub(super) fn get(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.0
            .get(&(group.to_owned(), topic.to_owned(), queue_id))
            .copied()
    }

    /// Stores an offset (larger or smaller than before: the broker takes what it is given).
    pub(super) fn set(&mut self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.0
            .insert((group.to_owned(), topic.to_owned(), queue_id), offset);
    }
}

impl BrokerStore {
    /// Handles QUERY_CONSUMER_OFFSET.
    ///
    /// With no stored offset: `setZeroIfNotFound=false` → QUERY_NOT_FOUND; `true` → SUCCESS
    /// with no `offset` field (the Rust broker's answer); absent → offset 0 if the queue still
    /// holds its first message (min offset 0, not empty), else QUERY_NOT_FOUND.
    pub(super) fn query_offset(&self, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(h) = QueryConsumerOffsetRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        let found = self.offsets.get(&h.consumer_group, &h.topic, h.queue_id);
        let offset = match (found, h.set_zero_if_not_found) {
            (Some(offset), _) => offset,
            (None, Some(false)) => return not_found(cmd),
            (None, Some(true)) => return success(cmd),
            (None, None) => {
                let min = self.log.min_offset(&h.topic, h.queue_id);
                let max = self.log.max_offset(&h.topic, h.queue_id);
                if min != 0 || max == 0 {
                    return not_found(cmd);
                }
                0
            }
        };
        let mut answer = success(cmd);
        QueryConsumerOffsetResponseHeader {
            offset: Some(offset),
        }
        .to_ext_fields(&mut answer.ext_fields);
        answer
    }

    /// Handles UPDATE_CONSUMER_OFFSET (two-way or oneway).
    pub(super) fn update_offset(&mut self, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(h) = UpdateConsumerOffsetRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        self.offsets
            .set(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
        success(cmd)
    }

    /// Handles GET_MAX_OFFSET (0 for an unknown queue).
    pub(super) fn get_max_offset(&self, cmd: &RemotingCommand) -> RemotingCommand {
        match GetMaxOffsetRequestHeader::from_ext_fields(&cmd.ext_fields) {
            Ok(h) => offset_answer(cmd, self.log.max_offset(&h.topic, h.queue_id)),
            Err(_) => invalid_header(cmd),
        }
    }

    /// Handles GET_MIN_OFFSET (0 for an unknown queue).
    pub(super) fn get_min_offset(&self, cmd: &RemotingCommand) -> RemotingCommand {
        match GetMinOffsetRequestHeader::from_ext_fields(&cmd.ext_fields) {
            Ok(h) => offset_answer(cmd, self.log.min_offset(&h.topic, h.queue_id)),
            Err(_) => invalid_header(cmd),
        }
    }

    /// Handles SEARCH_OFFSET_BY_TIMESTAMP by store timestamp: LOWER → the first message stored
    /// at or after `timestamp` (else the max offset), UPPER → the last one stored at or before
    /// it (else the min offset).
    pub(super) fn search_offset(&self, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(h) = SearchOffsetRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        let upper = h.boundary_type == BoundaryType::Upper;
        let offset = self
            .log
            .search_by_timestamp(&h.topic, h.queue_id, h.timestamp, upper);
        offset_answer(cmd, offset)
    }
}

/// QUERY_NOT_FOUND.
fn not_found(cmd: &RemotingCommand) -> RemotingCommand {
    error(
        cmd,
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, maybe this group consumer boot first",
    )
}

/// SUCCESS with an `offset` field.
fn offset_answer(cmd: &RemotingCommand, offset: i64) -> RemotingCommand {
    let mut answer = success(cmd);
    OffsetResponseHeader { offset }.to_ext_fields(&mut answer.ext_fields);
    answer
}
