//! `ExtFields`: the string map that carries every custom-header field.

use std::borrow::Cow;

/// The `extFields` map of a command: header field name → string value.
///
/// Kept sorted by key, so encoding is deterministic. Small maps are the norm (≤ 20 entries),
/// so a sorted vector beats a tree; well-known keys are stored without allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtFields(Vec<(Cow<'static, str>, String)>);

impl ExtFields {
    /// Creates an empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// Sets `key` to `value`, replacing an earlier value (last value wins).
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        // Appending in key order (the common case when decoding sorted JSON) is O(1).
        if self.0.last().is_none_or(|(k, _)| k.as_ref() < key.as_ref()) {
            self.0.push((key, value));
            return;
        }
        match self.find(&key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// Sets a key read from the wire, storing well-known keys without allocating.
    pub fn insert_wire(&mut self, key: &str, value: String) {
        self.insert(intern(key), value);
    }

    /// Sets an already interned key.
    pub(crate) fn insert_interned(&mut self, key: Cow<'static, str>, value: String) {
        self.insert(key, value);
    }

    /// Returns the value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| self.0[i].1.as_str())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Returns whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Returns the number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
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

impl<K: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = Self::new();
        m.extend(iter);
        m
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<String>> Extend<(K, V)> for ExtFields {
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
        m.insert_wire("queueId", "7".into());
        assert!(matches!(
            m.0.iter().find(|(k, _)| k == "queueId").unwrap().0,
            Cow::Borrowed(_)
        ));
    }
}
