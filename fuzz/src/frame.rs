//! `frame_decode`: the incremental frame decoder on arbitrary, arbitrarily split bytes.

use bytes::BytesMut;
use rocketmq_proto::frame::{self, DEFAULT_MAX_FRAME_LEN};
use rocketmq_proto::{DecodeError, EncodeError, FrameDecoder, RemotingCommand, SerializeType};

/// The small maximum frame length the stream is also decoded with.
pub const SMALL_MAX_FRAME_LEN: usize = 64 * 1024;

/// Largest header the 24-bit header-length field can describe.
const MAX_HEADER_LEN: usize = 0xFF_FFFF;

/// What one decoder made of a stream: the commands before the first error, and that error.
type Decoded = (Vec<RemotingCommand>, Option<DecodeError>);

/// Splits the fuzz input into chunk sizes and the byte stream.
///
/// Byte 0 (low 4 bits) is how many chunk-size bytes follow; each gives a chunk of
/// `byte + 1` bytes, used in turn and cyclically. Everything after them is the stream.
/// No chunk-size bytes means the stream arrives in one piece.
pub fn split_input(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let n = usize::from(first & 0x0F).min(rest.len());
    let (sizes, stream) = rest.split_at(n);
    (sizes.iter().map(|&b| usize::from(b) + 1).collect(), stream)
}

/// Properties:
///
/// - decoding never panics, with a 64 KiB limit and with the default 16 MiB limit;
/// - the result (commands up to the first error, and the error) does not depend on how the
///   stream is split into reads;
/// - the 64 KiB decoder agrees with the default one, except that it may stop earlier with
///   `FrameTooLarge`;
/// - every decoded command re-encodes in JSON (and in the binary header when its code and
///   version fit in an i16) and decodes back equal to itself: decode → encode → decode is
///   the identity, and re-encoding is deterministic.
pub fn frame_decode(data: &[u8]) {
    let (chunks, stream) = split_input(data);
    let mut per_limit = Vec::with_capacity(2);
    for max in [SMALL_MAX_FRAME_LEN, DEFAULT_MAX_FRAME_LEN] {
        let whole = decode_stream(max, stream, &[]);
        let chunked = decode_stream(max, stream, &chunks);
        assert_eq!(
            whole, chunked,
            "max {max}: result depends on how the stream is split (chunks {chunks:?})"
        );
        per_limit.push(whole);
    }
    let (small, default) = (&per_limit[0], &per_limit[1]);
    match &small.1 {
        Some(DecodeError::FrameTooLarge { .. }) => assert!(
            default.0.starts_with(&small.0),
            "64 KiB decoder decoded commands the default decoder did not"
        ),
        _ => assert_eq!(
            small, default,
            "64 KiB decoder disagrees with the default one without a FrameTooLarge error"
        ),
    }
    for cmd in &default.0 {
        check_round_trip(cmd);
    }
}

/// Feeds `stream` to a decoder with `max` in chunks of `chunks` (cyclically; empty means
/// one chunk), decoding every whole frame after each read, and stops at the first error.
pub fn decode_stream(max: usize, stream: &[u8], chunks: &[usize]) -> Decoded {
    let mut decoder = FrameDecoder::with_max_frame_len(max);
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < stream.len() {
        let left = stream.len() - pos;
        let n = match chunks {
            [] => left,
            c => c[i % c.len()].min(left),
        };
        i += 1;
        buf.extend_from_slice(&stream[pos..pos + n]);
        pos += n;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(cmd)) => cmds.push(cmd),
                Ok(None) => break,
                Err(e) => return (cmds, Some(e)),
            }
        }
    }
    (cmds, None)
}

/// Checks that `cmd` survives encode → decode in both serializations.
pub fn check_round_trip(cmd: &RemotingCommand) {
    // Worst case of JSON escaping: every byte becomes `\u00XX`.
    let strings: usize = cmd.remark.as_ref().map_or(0, String::len)
        + cmd
            .ext_fields
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    let may_be_too_large = strings.saturating_mul(6) + 256 > MAX_HEADER_LEN;

    match frame::encode_to_bytes(cmd, SerializeType::Json) {
        Ok(json) => {
            let back = decode_one(&json, "JSON");
            assert_eq!(&back, cmd, "JSON round trip changed the command");
            let again = frame::encode_to_bytes(&back, SerializeType::Json).expect("re-encode");
            assert_eq!(json, again, "JSON encoding is not deterministic");
        }
        Err(EncodeError::HeaderTooLarge(_)) if may_be_too_large => {}
        Err(e) => panic!("a decoded command does not encode as JSON: {e}; {cmd:?}"),
    }

    let fits = i16::try_from(cmd.code).is_ok() && i16::try_from(cmd.version).is_ok();
    match frame::encode_to_bytes(cmd, SerializeType::RocketMq) {
        Ok(bin) => {
            assert!(
                fits,
                "binary encoding accepted an out-of-range code/version"
            );
            let back = decode_one(&bin, "binary");
            assert_eq!(&back, cmd, "binary round trip changed the command");
        }
        Err(EncodeError::CodeOutOfRange(c)) => {
            assert!(i16::try_from(c).is_err() && c == cmd.code)
        }
        Err(EncodeError::VersionOutOfRange(v)) => {
            assert!(i16::try_from(v).is_err() && v == cmd.version)
        }
        Err(e @ EncodeError::KeyTooLong(n)) => {
            assert!(fits, "{e} reported before the code/version check");
            assert!(n > i16::MAX as usize, "{e}: key fits an i16 length");
        }
        Err(EncodeError::HeaderTooLarge(_)) if may_be_too_large => {}
        Err(e) => panic!("a decoded command does not encode as binary: {e}; {cmd:?}"),
    }
}

/// Decodes exactly one frame that must fill `bytes`.
fn decode_one(bytes: &[u8], what: &str) -> RemotingCommand {
    let mut buf = BytesMut::from(bytes);
    let cmd = FrameDecoder::with_max_frame_len(usize::MAX)
        .decode(&mut buf)
        .unwrap_or_else(|e| panic!("re-encoded {what} frame does not decode: {e}"))
        .unwrap_or_else(|| panic!("re-encoded {what} frame is incomplete"));
    assert!(buf.is_empty(), "re-encoded {what} frame has trailing bytes");
    cmd
}
