//! A `SendMessageRequestHeaderV2` JSON header with its per-producer-and-topic text written once.
//!
//! A send header is mostly the same text every time: the code, group, topic, auto-create
//! template, queue count, language and version only change with the producer and topic. The
//! template keeps that text escaped and ready, so a send writes only what varies (queue,
//! flags, born time, properties, opaque, broker). The bytes equal [`encode_fields`] of the
//! same fields; a differential test checks this.
//!
//! [`encode_fields`]: crate::frame::encode_fields

use bytes::BytesMut;

use crate::code::{LanguageCode, SerializeType};
use crate::error::EncodeError;
use crate::frame::{begin_frame, finish_frame, Body, CommandHead, FieldValue};
use crate::header::json::{append_bounded, Writer};
use crate::header::send::v2_key;
use crate::message::{pairs_with, Properties};

/// The parts of a send header that stay the same for a producer and topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendHeaderFixed<'a> {
    /// Request code (`SEND_MESSAGE_V2`, or `SEND_BATCH_MESSAGE` for a batch).
    pub code: i32,
    /// Producer group (`a`).
    pub group: &'a str,
    /// Target topic (`b`).
    pub topic: &'a str,
    /// Template topic for auto-creation (`c`).
    pub default_topic: &'a str,
    /// Queue count of an auto-created topic (`d`).
    pub default_topic_queue_nums: i32,
    /// Sender's language.
    pub language: LanguageCode,
    /// Sender's version.
    pub version: i32,
}

/// The parts of a send header that change with every send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendHeaderVars<'a> {
    /// Request id.
    pub opaque: i32,
    /// Command flag bits (oneway).
    pub command_flag: i32,
    /// Target queue id (`e`).
    pub queue_id: i32,
    /// Message sysFlag bits (`f`).
    pub sys_flag: i32,
    /// Born time, epoch milliseconds (`g`).
    pub born_timestamp: i64,
    /// User message flag (`h`).
    pub flag: i32,
    /// The message properties (`i`).
    pub properties: SendProperties<'a>,
    /// Reconsume count (`j`), written when present.
    pub reconsume_times: Option<i32>,
    /// Unit mode (`k`).
    pub unit_mode: bool,
    /// Max reconsume count (`l`), written when present.
    pub max_reconsume_times: Option<i32>,
    /// Whether the body is a batch (`m`).
    pub batch: bool,
    /// Target broker name (`n`).
    pub broker_name: &'a str,
}

impl SendHeaderFixed<'_> {
    /// The command head of a send with these fixed parts and `vars`.
    pub fn command_head(&self, vars: &SendHeaderVars<'_>) -> CommandHead {
        CommandHead {
            code: self.code,
            language: self.language,
            version: self.version,
            opaque: vars.opaque,
            flag: vars.command_flag,
        }
    }
}

/// A send header's fields `a`..`n` in key order (spec §3.1), for the generic encoders
/// ([`encode_fields`](crate::frame::encode_fields)); the binary header takes this path.
#[derive(Clone, Copy, Debug)]
pub struct SendHeaderFields<'a> {
    fields: [(&'a str, FieldValue<'a>); 14],
    len: usize,
}

impl<'a> SendHeaderFields<'a> {
    /// The fields of `fixed` and `vars`, with `properties` (the encoded properties text)
    /// as field `i`: `vars.properties` is not read.
    pub fn new(
        fixed: &SendHeaderFixed<'a>,
        vars: &SendHeaderVars<'a>,
        properties: &'a str,
    ) -> Self {
        let entries = [
            Some((v2_key!(producer_group), FieldValue::Str(fixed.group))),
            Some((v2_key!(topic), FieldValue::Str(fixed.topic))),
            Some((v2_key!(default_topic), FieldValue::Str(fixed.default_topic))),
            Some((
                v2_key!(default_topic_queue_nums),
                FieldValue::Int(i64::from(fixed.default_topic_queue_nums)),
            )),
            Some((v2_key!(queue_id), FieldValue::Int(i64::from(vars.queue_id)))),
            Some((v2_key!(sys_flag), FieldValue::Int(i64::from(vars.sys_flag)))),
            Some((
                v2_key!(born_timestamp),
                FieldValue::Int(vars.born_timestamp),
            )),
            Some((v2_key!(flag), FieldValue::Int(i64::from(vars.flag)))),
            Some((v2_key!(properties), FieldValue::Str(properties))),
            vars.reconsume_times
                .map(|r| (v2_key!(reconsume_times), FieldValue::Int(i64::from(r)))),
            Some((v2_key!(unit_mode), FieldValue::Bool(vars.unit_mode))),
            vars.max_reconsume_times
                .map(|m| (v2_key!(max_reconsume_times), FieldValue::Int(i64::from(m)))),
            Some((v2_key!(batch), FieldValue::Bool(vars.batch))),
            Some((v2_key!(broker_name), FieldValue::Str(vars.broker_name))),
        ];
        let mut fields = [("", FieldValue::Int(0)); 14];
        let mut len = 0;
        for e in entries.into_iter().flatten() {
            fields[len] = e;
            len += 1;
        }
        Self { fields, len }
    }

    /// The fields, sorted by key.
    pub fn as_slice(&self) -> &[(&'a str, FieldValue<'a>)] {
        &self.fields[..self.len]
    }
}

/// The properties of a send, as [`SendHeaderVars`] takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendProperties<'a> {
    /// Already encoded as `name \x01 value \x02` pairs (see
    /// [`encode_properties`](crate::message::encode_properties)).
    Encoded(&'a str),
    /// A map and one more pair `extra` (the client's `UNIQ_KEY`, kept outside the map; its
    /// key must not be in the map), encoded straight into the header: the same text as
    /// [`encode_properties_with`](crate::message::encode_properties_with), without building it.
    Map {
        /// The message's properties.
        props: &'a Properties,
        /// One more pair, placed in key order.
        extra: Option<(&'a str, &'a str)>,
    },
}

impl SendProperties<'_> {
    /// Most bytes the escaped text can take.
    fn bound(&self) -> usize {
        match *self {
            Self::Encoded(s) => 6 * s.len(),
            Self::Map { props, extra } => pairs_with(props, extra)
                .map(|(k, v)| 6 * (k.len() + v.len()) + 12)
                .sum(),
        }
    }

    /// Writes the properties as a JSON string.
    fn write(&self, w: &mut Writer<'_>) {
        let (props, extra) = match *self {
            Self::Encoded(s) => return w.str(s),
            Self::Map { props, extra } => (props, extra),
        };
        // `name \x01 value \x02`, the two separators written as JSON escapes.
        w.byte(b'"');
        for (k, v) in pairs_with(props, extra) {
            w.str_content(k);
            w.put(b"\\u0001");
            w.str_content(v);
            w.put(b"\\u0002");
        }
        w.byte(b'"');
    }
}

/// A JSON send header with its fixed text pre-written (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendHeaderTemplate {
    /// `{"code":…,"extFields":{` and fields `a` to `d`, up to the value of `e`
    head: Box<[u8]>,
    /// `,"language":…,"opaque":`
    language: Box<[u8]>,
    /// `,"serializeTypeCurrentRPC":"JSON","version":…}`
    tail: Box<[u8]>,
}

/// Bound of the text a send writes besides its strings: the fixed keys and punctuation
/// (under 100 bytes) and nine integers of at most 20 digits and a sign each.
const VARS_FIXED_BOUND: usize = 100 + 9 * 21;

impl SendHeaderTemplate {
    /// Writes the fixed text of a producer's sends to a topic.
    pub fn new(fixed: &SendHeaderFixed<'_>) -> Self {
        let strings = fixed.group.len() + fixed.topic.len() + fixed.default_topic.len();
        let head = write(80 + 6 * strings + 2 * 21, |w| {
            w.put(b"{\"code\":");
            w.int(i64::from(fixed.code));
            w.put(concat!(",\"extFields\":{\"", v2_key!(producer_group), "\":").as_bytes());
            w.str(fixed.group);
            w.put(concat!(",\"", v2_key!(topic), "\":").as_bytes());
            w.str(fixed.topic);
            w.put(concat!(",\"", v2_key!(default_topic), "\":").as_bytes());
            w.str(fixed.default_topic);
            w.put(concat!(",\"", v2_key!(default_topic_queue_nums), "\":\"").as_bytes());
            w.int(i64::from(fixed.default_topic_queue_nums));
            w.put(concat!("\",\"", v2_key!(queue_id), "\":\"").as_bytes());
        });
        let language = write(64, |w| {
            w.put(b",\"language\":");
            w.language(fixed.language);
            w.put(b",\"opaque\":");
        });
        let tail = write(64, |w| {
            w.put(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
            w.int(i64::from(fixed.version));
            w.byte(b'}');
        });
        Self {
            head,
            language,
            tail,
        }
    }

    /// Appends a whole frame: this header with `vars`, then `body`.
    pub fn encode(
        &self,
        vars: &SendHeaderVars<'_>,
        body: &[u8],
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        self.encode_with(vars, Body::Append(body), dst)
    }

    /// Appends the length words and header of a frame whose `body_len` body bytes the
    /// caller sends right after (as [`encode_fields_head`](crate::frame::encode_fields_head)).
    pub fn encode_head(
        &self,
        vars: &SendHeaderVars<'_>,
        body_len: usize,
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        self.encode_with(vars, Body::Counted(body_len), dst)
    }

    fn encode_with(
        &self,
        v: &SendHeaderVars<'_>,
        body: Body<'_>,
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let bound = self.head.len()
            + self.language.len()
            + self.tail.len()
            + VARS_FIXED_BOUND
            + v.properties.bound()
            + 6 * v.broker_name.len();
        let start = begin_frame(dst, bound + body.appended_len());
        append_bounded(dst, bound, |w| {
            w.put(&self.head);
            w.int(i64::from(v.queue_id));
            w.put(concat!("\",\"", v2_key!(sys_flag), "\":\"").as_bytes());
            w.int(i64::from(v.sys_flag));
            w.put(concat!("\",\"", v2_key!(born_timestamp), "\":\"").as_bytes());
            w.int(v.born_timestamp);
            w.put(concat!("\",\"", v2_key!(flag), "\":\"").as_bytes());
            w.int(i64::from(v.flag));
            w.put(concat!("\",\"", v2_key!(properties), "\":").as_bytes());
            v.properties.write(w);
            if let Some(r) = v.reconsume_times {
                w.put(concat!(",\"", v2_key!(reconsume_times), "\":").as_bytes());
                w.quoted_int(i64::from(r));
            }
            w.put(if v.unit_mode {
                concat!(",\"", v2_key!(unit_mode), "\":\"true\"").as_bytes()
            } else {
                concat!(",\"", v2_key!(unit_mode), "\":\"false\"").as_bytes()
            });
            if let Some(m) = v.max_reconsume_times {
                w.put(concat!(",\"", v2_key!(max_reconsume_times), "\":").as_bytes());
                w.quoted_int(i64::from(m));
            }
            w.put(if v.batch {
                concat!(
                    ",\"",
                    v2_key!(batch),
                    "\":\"true\",\"",
                    v2_key!(broker_name),
                    "\":"
                )
                .as_bytes()
            } else {
                concat!(
                    ",\"",
                    v2_key!(batch),
                    "\":\"false\",\"",
                    v2_key!(broker_name),
                    "\":"
                )
                .as_bytes()
            });
            w.str(v.broker_name);
            w.put(b"},\"flag\":");
            w.int(i64::from(v.command_flag));
            w.put(&self.language);
            w.int(i64::from(v.opaque));
            w.put(&self.tail);
        });
        finish_frame(dst, start, SerializeType::Json, body, Ok(()))
    }
}

/// The text `f` writes, given at most `bound` bytes.
fn write(bound: usize, f: impl FnOnce(&mut Writer<'_>)) -> Box<[u8]> {
    let mut buf = BytesMut::new();
    append_bounded(&mut buf, bound, f);
    buf.to_vec().into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_fields;
    use crate::message::{encode_properties_into, encode_properties_with};
    use proptest::prelude::*;

    /// The properties text the generic encoder is given for `p`.
    fn encoded(p: &SendProperties<'_>) -> String {
        match *p {
            SendProperties::Encoded(s) => s.to_owned(),
            SendProperties::Map { props, extra } => {
                let mut out = String::new();
                match extra {
                    Some((k, v)) => encode_properties_with(props, k, v, &mut out),
                    None => encode_properties_into(props, &mut out),
                }
                out
            }
        }
    }

    /// The same header through the generic borrowed-fields encoder.
    fn generic(f: &SendHeaderFixed<'_>, v: &SendHeaderVars<'_>, body: &[u8]) -> BytesMut {
        let properties = encoded(&v.properties);
        let fields = SendHeaderFields::new(f, v, &properties);
        let mut out = BytesMut::new();
        encode_fields(
            &f.command_head(v),
            fields.as_slice(),
            body,
            SerializeType::Json,
            &mut out,
        )
        .unwrap();
        out
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_%-]{0,24}",
            any::<String>(),
            "[\\x00-\\x7f\"\\\\\u{1}\u{2}]{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn a_template_encodes_the_bytes_the_generic_encoder_does(
            (code, group, topic, default_topic, nums, lang, version) in
                (any::<i32>(), text(), text(), text(), any::<i32>(), any::<u8>(), any::<i32>()),
            (opaque, command_flag, queue_id, sys_flag, born, flag) in
                (any::<i32>(), any::<i32>(), any::<i32>(), any::<i32>(), any::<i64>(), any::<i32>()),
            (properties, reconsume, unit_mode, max_reconsume, batch, broker) in
                (text(), any::<Option<i32>>(), any::<bool>(), any::<Option<i32>>(),
                 any::<bool>(), text()),
            (map, extra, as_map) in (
                proptest::collection::vec((text(), text()), 0..5),
                proptest::option::of((text(), text())),
                any::<bool>(),
            ),
            body in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let fixed = SendHeaderFixed {
                code,
                group: &group,
                topic: &topic,
                default_topic: &default_topic,
                default_topic_queue_nums: nums,
                language: LanguageCode(lang),
                version,
            };
            let mut props = Properties::new();
            for (k, v) in map {
                props.insert(k, v);
            }
            // The extra pair's key is never in the map.
            let extra = extra.filter(|(k, _)| !props.contains_key(k.as_str()));
            let properties = if as_map {
                SendProperties::Map {
                    props: &props,
                    extra: extra.as_ref().map(|(k, v)| (k.as_str(), v.as_str())),
                }
            } else {
                SendProperties::Encoded(&properties)
            };
            let vars = SendHeaderVars {
                opaque,
                command_flag,
                queue_id,
                sys_flag,
                born_timestamp: born,
                flag,
                properties,
                reconsume_times: reconsume,
                unit_mode,
                max_reconsume_times: max_reconsume,
                batch,
                broker_name: &broker,
            };
            let template = SendHeaderTemplate::new(&fixed);
            let want = generic(&fixed, &vars, &body);
            let mut got = BytesMut::from(&b"kept"[..]);
            template.encode(&vars, &body, &mut got).unwrap();
            prop_assert_eq!(&got[..4], b"kept");
            prop_assert_eq!(&got[4..], &want[..]);

            let mut head = BytesMut::new();
            template.encode_head(&vars, body.len(), &mut head).unwrap();
            prop_assert_eq!(&head[..], &want[..want.len() - body.len()]);
        }
    }

    #[test]
    fn a_java_send_header_matches_the_generic_encoder() {
        let fixed = SendHeaderFixed {
            code: 310,
            group: "ProducerGroupName",
            topic: "TopicTest",
            default_topic: "TBW102",
            default_topic_queue_nums: 4,
            language: LanguageCode::JAVA,
            version: 473,
        };
        let vars = SendHeaderVars {
            opaque: 7,
            command_flag: 0,
            queue_id: 3,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            flag: 0,
            properties: SendProperties::Encoded(
                "TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}7F00000100002A9F0000000000000000\u{2}",
            ),
            reconsume_times: None,
            unit_mode: false,
            max_reconsume_times: None,
            batch: false,
            broker_name: "broker-a",
        };
        let mut got = BytesMut::new();
        SendHeaderTemplate::new(&fixed)
            .encode(&vars, b"hi", &mut got)
            .unwrap();
        assert_eq!(got, generic(&fixed, &vars, b"hi"));
        let header = std::str::from_utf8(&got[8..got.len() - 2]).unwrap();
        assert!(header.starts_with("{\"code\":310,\"extFields\":{\"a\":\"ProducerGroupName\""));
        assert!(header.contains("\"i\":\"TAGS\\u0001TagA\\u0002UNIQ_KEY"));
        assert!(header.ends_with(",\"language\":\"JAVA\",\"opaque\":7,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":473}"));
    }

    #[test]
    fn an_oversize_frame_is_refused_and_leaves_the_buffer_as_it_was() {
        let fixed = SendHeaderFixed {
            code: 310,
            group: "g",
            topic: "t",
            default_topic: "TBW102",
            default_topic_queue_nums: 4,
            language: LanguageCode::JAVA,
            version: 1,
        };
        let vars = SendHeaderVars {
            opaque: 1,
            command_flag: 0,
            queue_id: 0,
            sys_flag: 0,
            born_timestamp: 0,
            flag: 0,
            properties: SendProperties::Encoded(""),
            reconsume_times: None,
            unit_mode: false,
            max_reconsume_times: None,
            batch: false,
            broker_name: "b",
        };
        let mut out = BytesMut::from(&b"kept"[..]);
        let r = SendHeaderTemplate::new(&fixed).encode_head(&vars, i32::MAX as usize, &mut out);
        assert!(matches!(r, Err(EncodeError::FrameTooLarge(_))));
        assert_eq!(&out[..], b"kept");
    }
}
