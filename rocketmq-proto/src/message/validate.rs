//! Client-side validation of topics, groups and bodies (`Validators.java`,
//! `TopicValidator.java`).

use super::error::ValidationError;
use super::properties::keys;
use super::Message;

/// Template topic for auto-creation.
pub const AUTO_CREATE_TOPIC_KEY: &str = "TBW102";
/// Prefix of retry topics (`%RETRY%<group>`).
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of dead-letter topics (`%DLQ%<group>`).
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";
/// Default producer group, forbidden as a user producer group.
pub const DEFAULT_PRODUCER_GROUP: &str = "DEFAULT_PRODUCER";
/// Producer group of the client's internal producer.
pub const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";
/// Default consumer group.
pub const DEFAULT_CONSUMER_GROUP: &str = "DEFAULT_CONSUMER";
/// Prefix of system topics.
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
/// Longest topic (`Validators.TOPIC_MAX_LENGTH`).
pub const TOPIC_MAX_LEN: usize = 127;
/// Longest group in 5.x (`Validators.CHARACTER_MAX_LENGTH`; 255 in 4.x).
pub const GROUP_MAX_LEN: usize = 120;

/// System topics (`TopicValidator.SYSTEM_TOPIC_SET`), besides the `rmq_sys_` prefix.
pub const SYSTEM_TOPICS: &[&str] = &[
    AUTO_CREATE_TOPIC_KEY,
    "SCHEDULE_TOPIC_XXXX",
    "BenchmarkTest",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRACE_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "CHECKPOINT_TOPIC",
];

/// Topics clients must not send to (`TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
pub const NOT_ALLOWED_SEND_TOPICS: &[&str] = &[
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];

/// Checks a topic for sending: not blank, ≤ 127 characters, only `[%|a-zA-Z0-9_-]`,
/// and not a broker-internal topic.
pub fn validate_topic(topic: &str) -> Result<(), ValidationError> {
    let (len, legal) = measure_name(topic).ok_or(ValidationError::BlankTopic)?;
    if len > TOPIC_MAX_LEN {
        return Err(ValidationError::TopicTooLong {
            value: topic.to_owned(),
            len,
            max: TOPIC_MAX_LEN,
        });
    }
    if !legal {
        return Err(ValidationError::IllegalChars {
            what: "topic",
            value: topic.to_owned(),
        });
    }
    if is_not_allowed_send_topic(topic) {
        return Err(ValidationError::NotAllowedToSend(topic.to_owned()));
    }
    Ok(())
}

/// Checks a group name: not blank, ≤ 120 characters, only `[%|a-zA-Z0-9_-]`.
pub fn validate_group(group: &str) -> Result<(), ValidationError> {
    let (len, legal) = measure_name(group).ok_or(ValidationError::BlankGroup)?;
    if len > GROUP_MAX_LEN {
        return Err(ValidationError::GroupTooLong {
            value: group.to_owned(),
            len,
            max: GROUP_MAX_LEN,
        });
    }
    if !legal {
        return Err(ValidationError::IllegalChars {
            what: "group",
            value: group.to_owned(),
        });
    }
    Ok(())
}

/// Checks a producer group: [`validate_group`] and not `DEFAULT_PRODUCER`.
pub fn validate_producer_group(group: &str) -> Result<(), ValidationError> {
    validate_group(group)?;
    if group == DEFAULT_PRODUCER_GROUP {
        return Err(ValidationError::ReservedProducerGroup(group.to_owned()));
    }
    Ok(())
}

/// Checks a body length: not empty and ≤ `max` bytes.
pub fn validate_body(body_len: usize, max: usize) -> Result<(), ValidationError> {
    if body_len == 0 {
        return Err(ValidationError::EmptyBody);
    }
    if body_len > max {
        return Err(ValidationError::BodyTooLarge {
            size: body_len,
            max,
        });
    }
    Ok(())
}

/// Checks a message before sending (`Validators.checkMessage`): topic, body, and an
/// `INNER_MULTI_DISPATCH` property without `/`.
pub fn validate_message(msg: &Message, max_body_len: usize) -> Result<(), ValidationError> {
    validate_topic(&msg.topic)?;
    validate_body(msg.body.len(), max_body_len)?;
    if let Some(dispatch) = msg.property(keys::INNER_MULTI_DISPATCH) {
        if dispatch.contains('/') {
            return Err(ValidationError::InvalidMultiDispatch(dispatch.to_owned()));
        }
    }
    Ok(())
}

/// Checks the delay properties: `DELAY` a 32-bit number (0 or less means none, as in Java),
/// each 5.x timer property (`TIMER_DELAY_SEC`, `TIMER_DELAY_MS`, `TIMER_DELIVER_MS`) a
/// positive 64-bit number.
///
/// Whether a deliver time lies in the future is the broker's to judge (its clock, its
/// `timerMaxDelaySec`).
pub fn validate_delay(msg: &Message) -> Result<(), ValidationError> {
    // One pass over the (few, sorted) properties: a plain send pays a byte compare each.
    for (key, value) in &msg.properties {
        let key = match key.as_bytes().first() {
            Some(b'D') if key == keys::DELAY => {
                if value.parse::<i32>().is_ok() {
                    continue;
                }
                keys::DELAY
            }
            Some(b'T') if key.starts_with("TIMER_") => {
                let Some(&timer) = [
                    keys::TIMER_DELAY_SEC,
                    keys::TIMER_DELAY_MS,
                    keys::TIMER_DELIVER_MS,
                ]
                .iter()
                .find(|k| **k == key) else {
                    continue;
                };
                if value.parse::<i64>().is_ok_and(|n| n > 0) {
                    continue;
                }
                timer
            }
            _ => continue,
        };
        return Err(ValidationError::InvalidDelay {
            key,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Whether `topic` is a system topic (listed, or starting with `rmq_sys_`).
pub fn is_system_topic(topic: &str) -> bool {
    topic.starts_with(SYSTEM_TOPIC_PREFIX) || SYSTEM_TOPICS.contains(&topic)
}

/// Whether clients are forbidden to send to `topic`.
pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    NOT_ALLOWED_SEND_TOPICS.contains(&topic)
}

/// Java's `StringUtils.isBlank`: empty or only whitespace.
fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Java's `String.length()`: UTF-16 code units.
fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A name's Java length and whether its characters are legal, or `None` when it is blank.
/// A legal name (the common case) is ASCII without whitespace, so one scan answers all three.
fn measure_name(s: &str) -> Option<(usize, bool)> {
    if !s.is_empty() && is_legal_name(s) {
        return Some((s.len(), true));
    }
    (!is_blank(s)).then(|| (java_len(s), false))
}

/// Bytes allowed in names: `[%|a-zA-Z0-9_-]`, one bit per ASCII byte.
const LEGAL_NAME_BYTES: u128 = {
    let mut bits = 0u128;
    let mut b = 0u8;
    while b < 128 {
        if b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-') {
            bits |= 1 << b;
        }
        b += 1;
    }
    bits
};

/// `^[%|a-zA-Z0-9_-]+$` (non-emptiness is checked by the callers).
fn is_legal_name(s: &str) -> bool {
    s.bytes()
        .all(|b| b < 128 && LEGAL_NAME_BYTES & (1 << b) != 0)
}
