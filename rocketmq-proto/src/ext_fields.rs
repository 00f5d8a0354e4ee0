//! `ExtFields`: the string map that carries every custom-header field.

use std::borrow::Cow;

/// The `extFields` map of a command: header field name → string value.
///
/// Kept sorted by key, so encoding is deterministic. Small maps are the norm (≤ 20 entries),
/// so a sorted vector beats a tree; well-known keys are stored without allocation and all
/// values share one text buffer (a decoded header costs two allocations, not one per field).
#[derive(Clone, Default)]
pub struct ExtFields {
    entries: Vec<(Cow<'static, str>, Span)>,
    text: String,
}

/// Where a value lives in the shared text.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

impl ExtFields {
    /// Creates an empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
            text: String::new(),
        }
    }

    /// Creates an empty map with room for `n` entries and `text` bytes of values.
    pub fn with_capacities(n: usize, text: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
            text: String::with_capacity(text),
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    fn value(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    /// Sets `key` to `value`, replacing an earlier value (last value wins).
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl AsRef<str>) {
        let key = key.into();
        let value = value.as_ref();
        // Offsets are u32: a header is at most 16 MiB, far below that.
        let start = self.text.len() as u32;
        self.text.push_str(value);
        let span = Span {
            start,
            end: self.text.len() as u32,
        };
        // Appending in key order (the common case when decoding sorted JSON) is O(1).
        if self
            .entries
            .last()
            .is_none_or(|(k, _)| k.as_ref() < key.as_ref())
        {
            self.entries.push((key, span));
            return;
        }
        match self.find(&key) {
            Ok(i) => self.entries[i].1 = span,
            Err(i) => self.entries.insert(i, (key, span)),
        }
    }

    /// Sets a key read from the wire, storing well-known keys without allocating.
    pub fn insert_wire(&mut self, key: &str, value: &str) {
        self.insert(intern(key), value);
    }

    /// Returns the value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| self.value(self.entries[i].1))
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.find(key).ok()?;
        let (_, span) = self.entries.remove(i);
        Some(self.value(span).to_owned())
    }

    /// Returns whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Returns the number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterates over entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.entries
            .iter()
            .map(|(k, span)| (k.as_ref(), self.value(*span)))
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl std::hash::Hash for ExtFields {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for (k, v) in self.iter() {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl std::fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Returns a static copy of a well-known header key, or an owned one.
pub(crate) fn intern(key: &str) -> Cow<'static, str> {
    macro_rules! known {
        ($($k:literal)*) => {
            match key {
                $($k => Cow::Borrowed($k),)*
                _ => Cow::Owned(key.to_owned()),
            }
        };
    }
    known!(
        "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n"
        "MSG_REGION" "TRACE_ON" "bname" "batchUniqId" "clientID" "commitOffset"
        "consumerGroup" "group" "maxMsgNums" "maxOffset" "minOffset" "msgId"
        "nextBeginOffset" "offset" "producerGroup" "queueId" "queueOffset"
        "suggestWhichBrokerId" "sysFlag" "topic" "transactionId"
    )
}

impl<K: Into<Cow<'static, str>>, V: AsRef<str>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = Self::new();
        m.extend(iter);
        m
    }
}

impl<K: Into<Cow<'static, str>>, V: AsRef<str>> Extend<(K, V)> for ExtFields {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ExtFields {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let v: Vec<(String, String)> = u.arbitrary()?;
        Ok(v.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_sorted_and_last_value_wins() {
        let mut m = ExtFields::new();
        for (k, v) in [("b", "1"), ("a", "2"), ("c", "3"), ("b", "4"), ("aa", "5")] {
            m.insert(k, v);
        }
        let keys: Vec<_> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "aa", "b", "c"]);
        assert_eq!(m.get("b"), Some("4"));
        assert_eq!(m.remove("a").as_deref(), Some("2"));
        assert!(!m.contains_key("a"));
        m.insert_wire("queueId", "7");
        assert!(matches!(
            m.entries.iter().find(|(k, _)| k == "queueId").unwrap().0,
            Cow::Borrowed(_)
        ));
        assert_eq!(m.get("queueId"), Some("7"));
        let same: ExtFields = [("aa", "5"), ("b", "4"), ("c", "3"), ("queueId", "7")]
            .into_iter()
            .collect();
        assert_eq!(m, same);
    }
}
