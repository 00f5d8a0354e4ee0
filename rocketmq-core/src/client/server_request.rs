//! Requests a broker sends the client: one table from request code to the part that answers.

use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::Client;
use crate::ids::ConnId;

impl Client {
    /// Answers a request from a broker.
    pub(crate) fn on_server_request(&mut self, conn: ConnId, cmd: RemotingCommand) {
        let code = cmd.request_code();
        match code {
            // Consumers rebalance on it; a client without consumers has nothing to do.
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED => {
                tracing::debug!(?code, "consumer ids changed; no consumer to rebalance");
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
