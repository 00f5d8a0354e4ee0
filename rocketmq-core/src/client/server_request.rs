//! Requests a broker sends the client: one table from request code to the part that answers.

use std::time::Instant;

use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::Client;
use crate::ids::ConnId;

impl Client {
    /// Answers a request from a broker.
    pub(crate) fn on_server_request(&mut self, now: Instant, conn: ConnId, cmd: RemotingCommand) {
        let code = cmd.request_code();
        match code {
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED
            | RequestCode::RESET_CONSUMER_CLIENT_OFFSET
            | RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT
            | RequestCode::GET_CONSUMER_RUNNING_INFO
            | RequestCode::CONSUME_MESSAGE_DIRECTLY => {
                let answer = self.consumer_server_request(now, conn, &cmd);
                if let (Some(resp), false) = (answer, cmd.is_oneway()) {
                    self.inst.reply(conn, resp);
                }
            }
            _ if cmd.is_oneway() => tracing::debug!(?code, "server notice ignored"),
            _ => {
                tracing::debug!(?code, "answering an unsupported server request");
                let remark = format!(" request type {} not supported", cmd.code);
                let resp = RemotingCommand::response(
                    ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                    cmd.opaque,
                    Some(remark),
                );
                self.inst.reply(conn, resp);
            }
        }
    }
}
