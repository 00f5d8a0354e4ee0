//! The message properties string: `name \x01 value \x02` pairs (`MessageDecoder.java`).

use std::borrow::Cow;

pub use super::property_map::Properties;

/// Separator between a property's name and value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Terminator of each property pair.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Well-known property keys (`MessageConst.java`).
pub mod keys {
    /// Message keys, several joined by a single space.
    pub const KEYS: &str = "KEYS";
    /// Message tag.
    pub const TAGS: &str = "TAGS";
    /// Wait until the broker stored the message (`"true"`/`"false"`).
    pub const WAIT: &str = "WAIT";
    /// Delay level 1..18.
    pub const DELAY: &str = "DELAY";
    /// Original topic of a retry message.
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    /// Real topic of a delayed or half message.
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    /// Real queue id of a delayed or half message.
    pub const REAL_QID: &str = "REAL_QID";
    /// Transactional half message (`"true"`).
    pub const TRAN_MSG: &str = "TRAN_MSG";
    /// Producer group of a transactional message.
    pub const PGROUP: &str = "PGROUP";
    /// Minimum queue offset at pull time.
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    /// Maximum queue offset at pull time.
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    /// Buyer id.
    pub const BUYER_ID: &str = "BUYER_ID";
    /// Message id of the original message of a retry.
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    /// Reconsume count.
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    /// Region of the message.
    pub const MSG_REGION: &str = "MSG_REGION";
    /// Whether message tracing is on.
    pub const TRACE_ON: &str = "TRACE_ON";
    /// Client-side unique message id.
    pub const UNIQ_KEY: &str = "UNIQ_KEY";
    /// Maximum reconsume count.
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    /// Time consumption started.
    pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
    /// Queue offset of the prepared transactional message.
    pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
    /// Number of transaction checks.
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    /// First transaction check delay in seconds.
    pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    /// Instance id.
    pub const INSTANCE_ID: &str = "INSTANCE_ID";
    /// Correlation id of a request/reply message.
    pub const CORRELATION_ID: &str = "CORRELATION_ID";
    /// Client that should receive a reply.
    pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
    /// Time to live of a request message.
    pub const TTL: &str = "TTL";
    /// Message type (`reply`).
    pub const MSG_TYPE: &str = "MSG_TYPE";
    /// Sharding key.
    pub const SHARDING_KEY: &str = "__SHARDINGKEY";
    /// Light message queues to dispatch to.
    pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
    /// 5.x timer: delay in seconds.
    pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
    /// 5.x timer: delivery time in ms since the epoch.
    pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
    /// 5.x timer: delay in ms.
    pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
    /// Cluster name (request/reply).
    pub const CLUSTER: &str = "CLUSTER";
}

/// Encodes `props` as `name \x01 value \x02` pairs in key order.
pub fn encode_properties(props: &Properties) -> String {
    let mut out = String::with_capacity(encoded_len(props));
    encode_properties_into(props, &mut out);
    out
}

/// Appends the encoding of `props` to `out` (see [`encode_properties`]).
pub fn encode_properties_into(props: &Properties, out: &mut String) {
    out.reserve(encoded_len(props));
    for (k, v) in props {
        push_pair(out, k, v);
    }
}

/// Appends the encoding of `props` plus one more pair `key` = `value`, in key order (a
/// pending send keeps its `UNIQ_KEY` outside the map). `key` must not be in `props`.
pub fn encode_properties_with(props: &Properties, key: &str, value: &str, out: &mut String) {
    out.reserve(encoded_len(props) + key.len() + value.len() + 2);
    for (k, v) in pairs_with(props, Some((key, value))) {
        push_pair(out, k, v);
    }
}

/// The pairs of `props` in key order, with `extra` (whose key must not be in `props`)
/// placed among them where it sorts: the pairs [`encode_properties_with`] writes.
pub fn pairs_with<'a>(
    props: &'a Properties,
    extra: Option<(&'a str, &'a str)>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let mut extra = extra;
    let mut pairs = props.iter().peekable();
    std::iter::from_fn(move || match (extra, pairs.peek()) {
        (Some(e), Some(&(k, _))) if k > e.0 => extra.take(),
        (_, Some(_)) => pairs.next(),
        (Some(_), None) => extra.take(),
        (None, None) => None,
    })
}

/// Appends one `name \x01 value \x02` pair.
fn push_pair(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push(NAME_VALUE_SEPARATOR);
    out.push_str(value);
    out.push(PROPERTY_SEPARATOR);
}

/// Byte length of [`encode_properties`]`(props)`, without building it.
pub fn encoded_len(props: &Properties) -> usize {
    props.iter().map(|(k, v)| k.len() + v.len() + 2).sum()
}

/// Decodes a properties string with Java's edge rules.
///
/// Splits on `\x02`; skips segments shorter than 3 characters; key = text before the
/// first `\x01`, value = the rest; pairs with an empty key or an empty value (including
/// segments without `\x01`) are dropped. A repeated key keeps its last value.
pub fn decode_properties(s: &str) -> Properties {
    const PAIR_END: u8 = PROPERTY_SEPARATOR as u8;
    const NAME_END: u8 = NAME_VALUE_SEPARATOR as u8;
    let pairs = s.bytes().filter(|&b| b == PAIR_END).count();
    let mut map = Properties::with_capacity(pairs + 1);
    // The separators are ASCII, so byte positions are character boundaries; scanning bytes
    // is several times cheaper than `str::split` with a `char` pattern.
    let mut rest = s;
    while !rest.is_empty() {
        let (segment, tail) = match rest.bytes().position(|b| b == PAIR_END) {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, ""),
        };
        rest = tail;
        if segment.len() < 3 {
            continue;
        }
        if let Some(mid) = segment.bytes().position(|b| b == NAME_END) {
            let (k, v) = (&segment[..mid], &segment[mid + 1..]);
            if !k.is_empty() && !v.is_empty() {
                map.insert(shared_key(k), shared_value(v));
            }
        }
    }
    map
}

/// A well-known key as the constant (no allocation for what every stored message carries).
fn shared_key(k: &str) -> Cow<'static, str> {
    Cow::Borrowed(match k {
        keys::UNIQ_KEY => keys::UNIQ_KEY,
        keys::WAIT => keys::WAIT,
        keys::TAGS => keys::TAGS,
        keys::KEYS => keys::KEYS,
        keys::CLUSTER => keys::CLUSTER,
        keys::MIN_OFFSET => keys::MIN_OFFSET,
        keys::MAX_OFFSET => keys::MAX_OFFSET,
        keys::RETRY_TOPIC => keys::RETRY_TOPIC,
        keys::REAL_TOPIC => keys::REAL_TOPIC,
        keys::REAL_QID => keys::REAL_QID,
        keys::DELAY => keys::DELAY,
        keys::TRAN_MSG => keys::TRAN_MSG,
        keys::CONSUME_START_TIME => keys::CONSUME_START_TIME,
        keys::TRACE_ON => keys::TRACE_ON,
        _ => return Cow::Owned(k.to_owned()),
    })
}

/// `"true"` and `"false"` as constants, other values owned.
fn shared_value(v: &str) -> Cow<'static, str> {
    match v {
        "true" => Cow::Borrowed("true"),
        "false" => Cow::Borrowed("false"),
        _ => Cow::Owned(v.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_in_key_order() {
        let mut p = Properties::new();
        p.insert("WAIT", "true");
        p.insert("KEYS", "k1 k2");
        assert_eq!(
            encode_properties(&p),
            "KEYS\u{1}k1 k2\u{2}WAIT\u{1}true\u{2}"
        );
        assert_eq!(encoded_len(&p), encode_properties(&p).len());
    }

    #[test]
    fn decode_sorts_pairs_in_any_order_and_keeps_a_repeated_keys_last_value() {
        // Java writes a HashMap's order; this client writes key order.
        let p = decode_properties(
            "WAIT\u{1}true\u{2}KEYS\u{1}k\u{2}UNIQ_KEY\u{1}X\u{2}WAIT\u{1}false\u{2}a\u{1}1\u{2}",
        );
        assert_eq!(
            p.keys().collect::<Vec<_>>(),
            ["KEYS", "UNIQ_KEY", "WAIT", "a"]
        );
        assert_eq!(p.get("WAIT"), Some("false"));
        assert_eq!(p.get("KEYS"), Some("k"));
        assert_eq!(p.get("a"), Some("1"));
    }
}
