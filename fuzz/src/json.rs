//! The JSON header fast path and the in-place view against the full serde decoder.

use bytes::BytesMut;
use rocketmq_proto::header::json_decode_both_ways;
use rocketmq_proto::{frame, DecodeError, RemotingCommand, SerializeType};

/// Property: whenever the fast path answers `Some(cmd)`, the full decoder answers `Ok` with
/// an equal command; the same holds for our re-encoding of whatever the full decoder
/// accepted, which must decode back to the same command.
pub fn json_header(data: &[u8]) {
    let Ok(cmd) = agree(data) else {
        return;
    };
    let mut wire = BytesMut::new();
    frame::encode(&cmd, SerializeType::Json, &mut wire).expect("a decoded header encodes");
    let word = u32::from_be_bytes([wire[4], wire[5], wire[6], wire[7]]);
    let header = &wire[8..8 + (word & 0x00FF_FFFF) as usize];
    let again = agree(header).unwrap_or_else(|e| {
        panic!(
            "re-encoded header does not decode: {e}\n input: b\"{}\"\n header: b\"{}\"",
            data.escape_ascii(),
            header.escape_ascii()
        )
    });
    assert_eq!(
        again,
        cmd,
        "JSON header round trip changed the command; input: b\"{}\"",
        data.escape_ascii()
    );
}

/// Decodes `data` both ways (and reads it in place), panics if the fast path or the view
/// answers `Some` and the full decoder disagrees, and returns the full decoder's answer.
fn agree(data: &[u8]) -> Result<RemotingCommand, DecodeError> {
    let (fast, full) = json_decode_both_ways(data);
    for (name, got) in [("in-place view", view(data)), ("fast path", fast)] {
        let Some(got) = got else {
            continue;
        };
        match &full {
            Ok(full) => assert_eq!(
                &got,
                full,
                "{name} and full decoder differ on b\"{}\"",
                data.escape_ascii()
            ),
            Err(e) => panic!(
                "{name} accepts what the full decoder rejects ({e}): b\"{}\"\n {name}: {got:?}",
                data.escape_ascii()
            ),
        }
    }
    full
}

/// `data` as a JSON header read in place by `frame::view_header`, as a command.
fn view(data: &[u8]) -> Option<RemotingCommand> {
    let len = u32::try_from(data.len())
        .ok()
        .filter(|&l| l <= 0x00FF_FFFF)?;
    let mut body = len.to_be_bytes().to_vec();
    body.extend_from_slice(data);
    frame::view_header(&body).map(|v| v.to_command(bytes::Bytes::new()))
}
