//! Generated headers: the fast path never disagrees with the full decoder.

use super::*;

// ------------------------------------------------------------------------ proptests

fn arb_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => any::<i32>(),
        2 => -1000..1000i32,
        1 => prop::sample::select(vec![i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX - 1, i32::MAX]),
    ]
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_.:%@#|-]{0,12}",
        2 => "\\PC{0,12}",
        1 => any::<String>(),
        1 => r#"[a"\\\x00-\x1f\x7f]{0,6}"#,
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "b",
            "i",
            "n",
            "msgId",
            "queueId",
            "queueOffset",
            "MSG_REGION",
            "TRACE_ON",
            "topic",
            "code",
            "remark",
            "extFields",
        ])
        .prop_map(str::to_owned),
        arb_text(),
    ]
}

prop_compose! {
    fn arb_command()(
        code in arb_i32(),
        flag in arb_i32(),
        opaque in arb_i32(),
        version in arb_i32(),
        // Codes without a name are written as numbers.
        language in prop_oneof![3 => 0u8..=13, 1 => any::<u8>()],
        remark in proptest::option::of(arb_text()),
        ext in proptest::collection::vec((arb_key(), arb_text()), 0..8),
    ) -> RemotingCommand {
        RemotingCommand {
            code,
            language: LanguageCode(language),
            version,
            opaque,
            flag,
            remark,
            ext_fields: ext.into_iter().collect(),
            body: Bytes::new(),
        }
    }
}

/// JSON-ish text around the header grammar: right values, near misses and junk.
fn arb_number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<i32>().prop_map(|n| n.to_string()),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        3 => prop::sample::select(vec![
            "0", "-0", "00", "01", "-01", "1.0", "1.", ".5", "1e2", "1E2", "-0.0", "0e0", "-0e0",
            "2147483647", "2147483648", "-2147483648", "-2147483649", "12345678901", "+1", "-",
        ])
        .prop_map(str::to_owned),
    ]
}

fn arb_json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9 _é中🚀]{0,8}".prop_map(|s| format!("\"{s}\"")),
        1 => r#"([a-z]|\\[nt"\\/]|\\u00[0-7][0-9a-f]|\\ud83d\\ude80|\\ud800){0,4}"#
            .prop_map(|s| format!("\"{s}\"")),
        1 => r#"[a-z"\\\x00-\x1f]{0,4}"#.prop_map(|s| format!("\"{s}\"")),
        1 => prop::sample::select(vec!["\"JAVA\"", "\"RUST\"", "\"JSON\"", "\"OTHER\"", "\"\""])
            .prop_map(str::to_owned),
    ]
}

fn arb_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => arb_json_string(),
        2 => arb_number(),
        1 => prop::sample::select(vec!["null", "true", "false", "nul", "[]", "{}", "[1]"])
            .prop_map(str::to_owned),
    ]
}

/// Whitespace, usually none.
fn arb_ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![12 => Just(""), 1 => Just(" "), 1 => Just("\n"), 1 => Just("\t"), 1 => Just("\r\n")]
}

fn arb_ext_object() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            prop_oneof![
                3 => prop::sample::select(vec!["\"a\"", "\"b\"", "\"msgId\"", "\"queueId\""])
                    .prop_map(str::to_owned),
                1 => arb_json_string(),
            ],
            prop_oneof![4 => arb_json_string(), 1 => Just("null".to_owned()), 1 => arb_scalar()],
            arb_ws(),
        ),
        0..5,
    )
    .prop_map(|entries| {
        let body: Vec<String> = entries
            .into_iter()
            .map(|(k, v, ws)| format!("{ws}{k}{ws}:{ws}{v}{ws}"))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

/// A top-level `"key":value` entry, usually of the right type for its key.
fn arb_entry() -> impl Strategy<Value = String> {
    let int_key = prop::sample::select(vec!["code", "flag", "opaque", "version"]);
    prop_oneof![
        6 => (int_key, arb_number()).prop_map(|(k, v)| format!("\"{k}\":{v}")),
        2 => prop_oneof![
            arb_json_string(),
            Just("12".to_owned()),
            Just("null".to_owned())
        ]
        .prop_map(|v| format!("\"language\":{v}")),
        2 => prop_oneof![3 => arb_json_string(), 1 => Just("null".to_owned())]
            .prop_map(|v| format!("\"remark\":{v}")),
        3 => prop_oneof![4 => arb_ext_object(), 1 => Just("null".to_owned())]
            .prop_map(|v| format!("\"extFields\":{v}")),
        1 => Just("\"serializeTypeCurrentRPC\":\"JSON\"".to_owned()),
        1 => (
            prop::sample::select(vec![
                "code", "flag", "opaque", "version", "language", "remark", "extFields",
                "serializeTypeCurrentRPC", "unknown", "Code",
            ]),
            arb_scalar()
        )
            .prop_map(|(k, v)| format!("\"{k}\":{v}")),
    ]
}

fn arb_header_text() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((arb_entry(), arb_ws()), 0..9),
        arb_ws(),
        prop_oneof![20 => Just(""), 1 => Just("x"), 1 => Just("}"), 1 => Just(",")],
    )
        .prop_map(|(entries, ws, tail)| {
            let body: Vec<String> = entries
                .into_iter()
                .map(|(e, ws)| format!("{ws}{e}"))
                .collect();
            format!("{{{}{ws}}}{tail}", body.join(","))
        })
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
    InsertToken(prop::sample::Index, &'static str),
    Truncate(prop::sample::Index),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        3 => prop::sample::select(b"{}[]:,\"\\ -0123456789.eEnul\x01\x7f".to_vec()),
        1 => any::<u8>(),
    ];
    let token = prop::sample::select(vec![
        "null",
        "-0",
        "-",
        "0",
        "00",
        "1e5",
        ".5",
        "\"",
        "\\",
        "\\u0041",
        " ",
        "\"code\":1,",
        "\"remark\":null,",
        "\"extFields\":{},",
        "\"a\":\"b\",",
        "\"language\":12,",
        "2147483648",
        "\u{e9}",
        "\u{1F680}",
    ]);
    prop_oneof![
        2 => any::<prop::sample::Index>().prop_map(Mutation::Delete),
        2 => (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        2 => (any::<prop::sample::Index>(), token).prop_map(|(i, t)| Mutation::InsertToken(i, t)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Delete(i) if len > 0 => {
                bytes.remove(i.index(len));
            }
            Mutation::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
            Mutation::Replace(i, b) if len > 0 => bytes[i.index(len)] = *b,
            Mutation::InsertToken(i, t) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, t.bytes());
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
            _ => {}
        }
    }
    bytes
}

fn arb_input() -> impl Strategy<Value = Vec<u8>> {
    let seed = prop_oneof![
        3 => arb_command().prop_map(|c| encoded_header(&c)),
        3 => arb_header_text().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..48),
    ];
    (seed, proptest::collection::vec(arb_mutation(), 0..4))
        .prop_map(|(bytes, mutations)| mutate(bytes, &mutations))
}

proptest! {
    // No regression files: a failure prints the minimal input, to be pasted into a test.
    #![proptest_config(ProptestConfig {
        cases: 2048,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn encoded_commands_agree(cmd in arb_command()) {
        let header = encoded_header(&cmd);
        let r = json_decode_both_ways(&header);
        if let Err(msg) = violation(&header, &r) {
            return Err(TestCaseError::fail(msg));
        }
        let (fast, full) = r;
        let want = expected(&cmd);
        prop_assert_eq!(full.as_ref(), Ok(&want), "full decoder on {}", lit(&header));
        if !any_string_needs_escape(&cmd) {
            prop_assert_eq!(fast.as_ref(), Some(&want), "fast path deferred on {}", lit(&header));
        }
    }

    #[test]
    fn mutated_and_arbitrary_inputs_keep_the_invariant(input in arb_input()) {
        if let Err(msg) = violation(&input, &json_decode_both_ways(&input)) {
            return Err(TestCaseError::fail(msg));
        }
    }

    #[test]
    fn generated_headers_keep_the_invariant(text in arb_header_text()) {
        let input = text.into_bytes();
        if let Err(msg) = violation(&input, &json_decode_both_ways(&input)) {
            return Err(TestCaseError::fail(msg));
        }
    }
}
