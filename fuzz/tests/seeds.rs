//! Replays the committed seeds (and a few hundred pseudo-random inputs) through every
//! fuzz property, without libFuzzer: `cargo test --manifest-path fuzz/Cargo.toml`.

use std::path::Path;

use rocketmq_fuzz::{run, TARGETS};
use rocketmq_proto::header::json_decode_both_ways;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("seed-"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("readable seed"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn committed_seeds_pass() {
    for target in TARGETS {
        for (name, data) in seeds(target) {
            eprintln!("{target}/{name}");
            assert!(run(target, &data));
        }
    }
}

#[test]
fn protocol_vectors_are_seeded() {
    for target in ["frame_decode", "route_json", "stored_messages"] {
        assert!(!seeds(target).is_empty(), "no seeds for {target}");
    }
}

/// xorshift64*: deterministic filler bytes.
fn pseudo_random(state: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[test]
fn pseudo_random_inputs_pass() {
    let mut state = 0x9E37_79B9_7F4A_7C15;
    for target in TARGETS {
        assert!(run(target, &[]));
        for i in 0..200 {
            let data = pseudo_random(&mut state, i * 7 % 1024);
            assert!(run(target, &data), "{target}");
        }
    }
}

#[test]
fn seeds_survive_truncation_and_splitting() {
    // Every prefix of a frame_decode seed, and every chunking of the first one.
    for (_, data) in seeds("frame_decode") {
        for cut in 0..data.len() {
            rocketmq_fuzz::frame_decode(&data[..cut]);
        }
    }
    for (_, data) in seeds("stored_messages") {
        for cut in 0..data.len() {
            rocketmq_fuzz::stored_messages(&data[..cut]);
        }
    }
}

#[test]
fn protocol_vector_seeds_decode() {
    use bytes::Bytes;
    use rocketmq_proto::body::TopicRouteData;
    use rocketmq_proto::message::decode_stored_messages;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let read = |p: &str| std::fs::read(dir.join(p)).expect("seed");

    let legacy = TopicRouteData::from_json(&read("route_json/seed-legacy-bare-int-keys")).unwrap();
    let standard = TopicRouteData::from_json(&read("route_json/seed-standard")).unwrap();
    assert_eq!(legacy, standard);
    assert_eq!(
        legacy.broker_datas[0].master_addr(),
        Some("192.168.1.20:10911")
    );

    let msgs =
        decode_stored_messages(&Bytes::from(read("stored_messages/seed-v4-two-records"))).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].message.body, "Hello");

    let stream = read("frame_decode/seed-v1-v2-v3-stream-chunked");
    let (chunks, stream) = rocketmq_fuzz::frame::split_input(&stream);
    assert_eq!(chunks, [1, 7, 41]);
    let (cmds, err) = rocketmq_fuzz::frame::decode_stream(1 << 16, stream, &chunks);
    assert_eq!(err, None);
    assert_eq!(cmds.len(), 3);
    assert_eq!(
        cmds[0], cmds[1],
        "V1 (JSON) and V2 (binary) are the same request"
    );
    assert_eq!(cmds[2].ext_fields.get("offset"), Some("42"));
}

#[test]
fn json_header_seeds_pass() {
    let seeds = seeds("json_header");
    assert!(!seeds.is_empty(), "no seeds for json_header");
    for (name, data) in &seeds {
        eprintln!("json_header/{name}");
        for cut in 0..=data.len() {
            rocketmq_fuzz::json_header(&data[..cut]);
        }
    }
    let mut state = 0x2545_F491_4F6C_DD1D;
    rocketmq_fuzz::json_header(&[]);
    for i in 0..200 {
        rocketmq_fuzz::json_header(&pseudo_random(&mut state, i * 7 % 1024));
    }
}

#[test]
fn json_header_seeds_cover_both_paths() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/json_header");
    for (name, fast_path) in [
        ("seed-v2-send-request", true),
        ("seed-send-response", true),
        ("seed-extreme-integers", true),
        ("seed-whitespace", false),
        ("seed-escapes", false),
        ("seed-nulls-and-numbers", false),
    ] {
        let data = std::fs::read(dir.join(name)).expect("seed");
        let (fast, full) = json_decode_both_ways(&data);
        assert!(full.is_ok(), "{name}: {full:?}");
        assert_eq!(fast.is_some(), fast_path, "{name}: fast path");
    }
    let read = |name: &str| std::fs::read(dir.join(name)).expect("seed");
    assert_eq!(
        json_decode_both_ways(&read("seed-whitespace")).1,
        json_decode_both_ways(&read("seed-send-response")).1,
        "the whitespace seed is the send response, pretty-printed"
    );
}
