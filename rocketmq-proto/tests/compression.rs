//! Body compression: every type round-trips (proptest), is decoded from stored messages, and
//! is bounded against bombs.

use bytes::Bytes;
use proptest::prelude::*;
use rocketmq_proto::message::compress::{compress, decompress, CompressionType};
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::stored::{body_crc32, decode_stored_messages_with, DecodeOptions};
use rocketmq_proto::message::{
    decode_stored_messages, encode_stored_message, Message, MessageDecodeError, MessageExt,
};

const ALL: [CompressionType; 3] = [
    CompressionType::Zlib,
    CompressionType::Lz4,
    CompressionType::Zstd,
];

fn stored(body: Bytes, sys_flag: i32) -> MessageExt {
    let crc = body_crc32(&body);
    MessageExt {
        message: Message::new("TopicZ", body).with_tags("T"),
        queue_id: 1,
        store_size: 0,
        queue_offset: 7,
        commit_log_offset: 4096,
        sys_flag,
        born_timestamp: 1,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        store_timestamp: 2,
        store_host: "127.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body_crc: crc,
        msg_id: String::new(),
        offset_msg_id: String::new(),
    }
}

/// Bodies that compress (repeated words) and that do not (arbitrary bytes).
fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..4096),
        (proptest::collection::vec("[a-z]{1,8}", 1..64), 1usize..64).prop_map(|(words, n)| {
            let text = words.join(" ");
            text.repeat(n).into_bytes()
        }),
    ]
}

fn arb_type() -> impl Strategy<Value = CompressionType> {
    prop_oneof![
        Just(CompressionType::Zlib),
        Just(CompressionType::Lz4),
        Just(CompressionType::Zstd),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_type_round_trips(body in arb_body(), ty in arb_type(), level in 0u32..23) {
        let c = compress(&body, ty, level).unwrap();
        let flag = ty.sys_flag() | sys_flag::COMPRESSED_FLAG;
        prop_assert_eq!(decompress(&c, flag, body.len()).unwrap(), body.clone());
        // One byte under the true length is refused, never truncated silently.
        prop_assert_eq!(
            decompress(&c, flag, body.len() - 1),
            Err(MessageDecodeError::DecompressedTooLarge { index: 0, max: body.len() - 1 })
        );
    }

    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512), ty in arb_type()) {
        let _ = decompress(&data, ty.sys_flag() | 1, 1 << 16);
    }
}

#[test]
fn stored_messages_of_each_type_decode_to_the_original_body() {
    let body: Vec<u8> = b"stored compressed ".repeat(4000);
    for ty in ALL {
        let c = compress(&body, ty, 5).unwrap();
        let flag = sys_flag::COMPRESSED_FLAG | ty.sys_flag() | sys_flag::MULTI_TAGS_FLAG;
        let wire = encode_stored_message(&stored(Bytes::from(c), flag)).unwrap();
        let msgs = decode_stored_messages(&Bytes::from(wire)).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].message.body.as_ref(), body.as_slice(), "{ty:?}");
        assert_eq!(msgs[0].message.tags(), Some("T"));
        // COMPRESSED is cleared once inflated; the type bits stay, as Java leaves them.
        assert_eq!(msgs[0].sys_flag, ty.sys_flag() | sys_flag::MULTI_TAGS_FLAG);
    }
}

#[test]
fn a_stored_bomb_of_each_type_is_refused_at_the_decoder_cap() {
    let zeros = vec![0u8; 4 << 20];
    for ty in ALL {
        let c = compress(&zeros, ty, 5).unwrap();
        let flag = sys_flag::COMPRESSED_FLAG | ty.sys_flag();
        let wire = Bytes::from(encode_stored_message(&stored(Bytes::from(c), flag)).unwrap());
        let opts = DecodeOptions::default().with_max_body_len(1 << 20);
        assert_eq!(
            decode_stored_messages_with(&wire, &opts),
            Err(MessageDecodeError::DecompressedTooLarge {
                index: 0,
                max: 1 << 20
            }),
            "{ty:?}"
        );
    }
}
