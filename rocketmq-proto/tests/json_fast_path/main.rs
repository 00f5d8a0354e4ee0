//! The JSON header fast path (`header::json_scan`) against the full serde decoder, through
//! the hidden hook `header::json_decode_both_ways`.
//!
//! Invariant: whenever the fast path answers `Some(cmd)`, the full decoder answers `Ok` with
//! an equal command. And the fast path is actually used: for the compact form our encoder
//! (and Java) writes, with no string that needs an escape, it answers `Some`.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketmq_proto::header::{
    json_decode_both_ways, SendMessageRequestHeader, SendMessageResponseHeader,
};
use rocketmq_proto::{
    frame, version, DecodeError, ExtFields, LanguageCode, RemotingCommand, RequestCode,
    ResponseCode, SerializeType, FLAG_ONEWAY, FLAG_RESPONSE,
};

type Both = (
    Option<RemotingCommand>,
    Result<RemotingCommand, DecodeError>,
);

// ------------------------------------------------------------------------------ helpers

/// `bytes` as a Rust byte-string literal, to paste into a test.
fn lit(bytes: &[u8]) -> String {
    format!("b\"{}\"", bytes.escape_ascii())
}

/// The JSON header of `cmd` as our encoder writes it: bytes `[8, 8 + header_len)` of its
/// frame, `header_len` being the low 24 bits of the big-endian word at offset 4.
fn encoded_header(cmd: &RemotingCommand) -> Vec<u8> {
    let mut buf = BytesMut::new();
    frame::encode(cmd, SerializeType::Json, &mut buf).expect("encodes");
    let word = u32::from_be_bytes(buf[4..8].try_into().unwrap());
    assert_eq!(word >> 24, 0, "serialize type of a JSON frame");
    let len = (word & 0x00FF_FFFF) as usize;
    buf[8..8 + len].to_vec()
}

/// The invariant on one input; `Err` describes the violation.
fn violation(header: &[u8], (fast, full): &Both) -> Result<(), String> {
    match (fast, full) {
        (Some(f), Ok(g)) if f != g => Err(format!(
            "fast path and full decoder differ on {}\n fast: {f:?}\n full: {g:?}",
            lit(header)
        )),
        (Some(f), Err(e)) => Err(format!(
            "fast path accepts what the full decoder rejects: {}\n fast: {f:?}\n full: Err({e})",
            lit(header)
        )),
        _ => Ok(()),
    }
}

/// The in-place view (`frame::view_header`) against the fast path: it reads what the fast
/// path reads (up to 16 ext fields) and gives the same command.
fn view_violation(header: &[u8], (fast, _): &Both) -> Result<(), String> {
    let Ok(len) = u32::try_from(header.len()) else {
        return Ok(());
    };
    if len > 0x00FF_FFFF {
        return Ok(());
    }
    let mut body = len.to_be_bytes().to_vec();
    body.extend_from_slice(header);
    let view = frame::view_header(&body);
    match (view, fast) {
        (Some(v), Some(f)) if v.to_command(Bytes::new()) != *f => Err(format!(
            "view and fast path differ on {}\n view: {:?}\n fast: {f:?}",
            lit(header),
            v.to_command(Bytes::new())
        )),
        (Some(v), None) => Err(format!(
            "view takes what the fast path defers: {}\n view: {:?}",
            lit(header),
            v.to_command(Bytes::new())
        )),
        (None, Some(f)) if f.ext_fields.len() <= 16 => Err(format!(
            "view defers a compact header the fast path takes: {}",
            lit(header)
        )),
        _ => Ok(()),
    }
}

/// Decodes `header` both ways (and in place) and asserts the invariants.
fn both(header: &[u8]) -> Both {
    let r = json_decode_both_ways(header);
    if let Err(msg) = violation(header, &r).and_then(|()| view_violation(header, &r)) {
        panic!("{msg}");
    }
    r
}

/// What decoding `cmd`'s header gives back: the command without its body.
fn expected(cmd: &RemotingCommand) -> RemotingCommand {
    let mut c = cmd.clone();
    c.body = Bytes::new();
    c.remark = c.remark.filter(|r| !r.is_empty());
    c
}

fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

fn any_string_needs_escape(cmd: &RemotingCommand) -> bool {
    cmd.remark.as_deref().is_some_and(needs_escape)
        || cmd
            .ext_fields
            .iter()
            .any(|(k, v)| needs_escape(k) || needs_escape(v))
}

/// Encodes `cmd`: the full decoder gives it back, and the fast path takes the header and
/// agrees.
#[track_caller]
fn assert_fast_path_taken(cmd: &RemotingCommand) {
    let header = encoded_header(cmd);
    let (fast, full) = both(&header);
    let want = expected(cmd);
    assert_eq!(full.as_ref(), Ok(&want), "full decoder on {}", lit(&header));
    assert_eq!(
        fast.as_ref(),
        Some(&want),
        "fast path deferred on {}",
        lit(&header)
    );
}

/// Encodes `cmd`, whose strings need escapes: the fast path may defer (and must agree if it
/// does not), the full decoder gives the command back.
#[track_caller]
fn assert_full_decodes(cmd: &RemotingCommand) {
    let header = encoded_header(cmd);
    let (_, full) = both(&header);
    assert_eq!(
        full.as_ref(),
        Ok(&expected(cmd)),
        "full decoder on {}",
        lit(&header)
    );
}

fn ext(pairs: &[(&'static str, &str)]) -> ExtFields {
    pairs.iter().map(|&(k, v)| (k, v.to_owned())).collect()
}

fn send_request_v2() -> RemotingCommand {
    let header = SendMessageRequestHeader {
        producer_group: "please_rename_unique_group_name".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: None,
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: Some(16),
        batch: Some(false),
        broker_name: Some("broker-a".into()),
    };
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_opaque(42);
    header.to_v2_ext_fields(&mut cmd.ext_fields);
    cmd
}

fn send_response() -> RemotingCommand {
    let header = SendMessageResponseHeader {
        msg_id: "0A00000100002A9F0000000000000000".into(),
        queue_id: 3,
        queue_offset: 1_234_567_890_123,
        transaction_id: Some("7F0000011A2B18B4AAC27A1E3C9D0000".into()),
        batch_uniq_id: None,
        recall_handle: None,
        region: Some("DefaultRegion".into()),
        trace_on: true,
    };
    let mut cmd = RemotingCommand::response(ResponseCode::SUCCESS, 42, None);
    cmd.language = LanguageCode::JAVA;
    cmd.version = version::V4_9_4;
    header.to_ext_fields(&mut cmd.ext_fields);
    cmd
}

mod encoder_output;
mod full_decoder;
mod proptests;
