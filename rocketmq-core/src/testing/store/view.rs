//! VIEW_MESSAGE_BY_ID (33): one stored record by its commit-log offset.

use rocketmq_proto::header::ViewMessageByIdRequestHeader;
use rocketmq_proto::{RemotingCommand, ResponseCode};

use super::{error, invalid_header, success, BrokerStore};

impl BrokerStore {
    /// Handles VIEW_MESSAGE_BY_ID: the body is the raw record at commit-log offset `offset`.
    pub(super) fn view_message(&self, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(h) = ViewMessageByIdRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        match self.log.record(h.offset) {
            Some(stored) => success(cmd).with_body(stored.bytes.clone()),
            None => error(
                cmd,
                ResponseCode::SYSTEM_ERROR,
                format!("can not find message by the offset, {}", h.offset),
            ),
        }
    }
}
