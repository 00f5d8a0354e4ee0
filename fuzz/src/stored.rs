//! `stored_messages`: stored-message records (PULL_MESSAGE / CHECK_TRANSACTION_STATE bodies).

use bytes::Bytes;
use rocketmq_proto::message::stored::{
    body_crc32, decode_stored_messages_with, DecodeOptions, DEFAULT_MAX_BODY_LEN,
};
use rocketmq_proto::message::{
    decode_stored_message, decode_stored_messages, encode_stored_message, MessageEncodeError,
    MessageExt,
};

/// Largest properties string the i16 PROPERTIESLEN field can hold.
const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// Properties:
///
/// - `decode_stored_messages` never panics (nor does the single-record
///   `decode_stored_message`, nor decoding with the BODYCRC check off);
/// - the whole-body decoder and repeated single-record decoding agree on success;
/// - every decoded record re-encodes with `encode_stored_message` and decodes back equal.
///
/// The round trip is exact except for two fields that `encode_stored_message` recomputes by
/// design: `store_size` (TOTALSIZE: the re-encoding may choose magic V1 for a short topic the
/// input wrote as V2, and writes the properties canonically, in key order with a trailing
/// separator) and `body_crc` (BODYCRC of the body as written). For a compressed record the
/// decoder returns the *decompressed* body and clears COMPRESSED_FLAG, so the re-encoded
/// record is an uncompressed one with the same body; its BODYCRC is that of the decompressed
/// body. Those two fields are checked against the re-encoding itself instead (TOTALSIZE =
/// record length, BODYCRC = CRC of the body), and the re-encoding must be a fixed point.
///
/// A record whose properties string was within a few bytes of the i16 maximum may
/// legitimately fail to re-encode (`PropertiesTooLong`): the canonical form can be longer
/// (e.g. `k\x01v` without its trailing `\x02`).
pub fn stored_messages(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);

    let strict = decode_stored_messages(&body);
    if let Ok(msgs) = &strict {
        assert_eq!(
            &decode_one_by_one(data),
            msgs,
            "decode_stored_message disagrees with decode_stored_messages"
        );
        for m in msgs {
            check_round_trip(m);
        }
    }

    // Without the BODYCRC check the fuzzer gets past the CRC into the rest of the record.
    let lax = DecodeOptions::default()
        .with_verify_body_crc(false)
        .with_max_body_len(DEFAULT_MAX_BODY_LEN);
    let loose = decode_stored_messages_with(&body, &lax);
    if let Ok(msgs) = &strict {
        assert_eq!(
            loose.as_ref().ok(),
            Some(msgs),
            "decoding without the CRC check differs from decoding with it"
        );
    }
    if let Ok(msgs) = &loose {
        for m in msgs {
            check_round_trip(m);
        }
    }
}

fn decode_one_by_one(data: &[u8]) -> Vec<MessageExt> {
    let mut rest = data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let before = rest.len();
        let m = decode_stored_message(&mut rest).unwrap_or_else(|e| {
            panic!("single-record decode fails where the batch decode succeeded: {e}")
        });
        assert!(rest.len() < before, "decode_stored_message did not advance");
        out.push(m);
    }
    out
}

/// Checks encode → decode of one decoded record (see [`stored_messages`]).
pub fn check_round_trip(m: &MessageExt) {
    let encoded = match encode_stored_message(m) {
        Ok(e) => e,
        Err(MessageEncodeError::PropertiesTooLong { len, .. }) if len == MAX_PROPERTIES_LEN + 1 => {
            return
        }
        Err(e) => panic!("a decoded record does not re-encode: {e}; {m:?}"),
    };
    let mut decoded = decode_stored_messages(&Bytes::from(encoded.clone()))
        .unwrap_or_else(|e| panic!("re-encoded record does not decode: {e}; {m:?}"));
    assert_eq!(
        decoded.len(),
        1,
        "one record re-encoded as {}",
        decoded.len()
    );
    let back = decoded.pop().expect("one record");

    assert_eq!(
        back.store_size as usize,
        encoded.len(),
        "TOTALSIZE of the re-encoding"
    );
    assert_eq!(
        back.body_crc,
        body_crc32(&back.message.body),
        "BODYCRC of the re-encoding"
    );
    let mut expected = m.clone();
    expected.store_size = back.store_size;
    expected.body_crc = back.body_crc;
    assert_eq!(
        back, expected,
        "stored-record round trip changed the message"
    );

    let again = encode_stored_message(&back).expect("re-encoding re-encodes");
    assert_eq!(
        again, encoded,
        "stored-record encoding is not a fixed point"
    );
}
