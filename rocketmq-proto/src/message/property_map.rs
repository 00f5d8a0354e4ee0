//! `Properties`: a small map of message properties, ordered by key.

use std::borrow::{Borrow, Cow};

/// A property key or value: borrowed when it is a constant (`WAIT`, `"true"`, `UNIQ_KEY`…),
/// owned otherwise, so the properties every message carries cost no allocation.
type Text = Cow<'static, str>;

/// Message properties, ordered by key so encoding is deterministic.
///
/// A sorted vector: messages carry a handful of properties, and a tree node per message
/// would cost more than the properties themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Properties(Vec<(Text, Text)>);

impl Properties {
    /// Creates an empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an empty map with room for `n` properties.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: impl Into<Text>, value: impl Into<Text>) -> Option<String> {
        let key = key.into();
        let value = value.into();
        // Encoded properties come in key order: appending is the common case.
        if self.0.last().is_none_or(|(last, _)| *last < key) {
            self.0.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value).into_owned()),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Returns the value of `key`.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> Option<&str> {
        self.find(key.borrow()).ok().map(|i| self.0[i].1.as_ref())
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Borrow<str> + ?Sized>(&mut self, key: &Q) -> Option<String> {
        self.find(key.borrow())
            .ok()
            .map(|i| self.0.remove(i).1.into_owned())
    }

    /// Returns whether `key` is present.
    pub fn contains_key<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> bool {
        self.find(key.borrow()).is_ok()
    }

    /// Removes every property.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Returns the number of properties.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns whether there is no property.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over properties in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// Iterates over keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Text, Text)>,
        fn(&'a (Text, Text)) -> (&'a str, &'a str),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }
}

impl IntoIterator for Properties {
    type Item = (String, String);
    type IntoIter =
        std::iter::Map<std::vec::IntoIter<(Text, Text)>, fn((Text, Text)) -> (String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
    }
}

impl<K: Into<Text>, V: Into<Text>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut p = Self::new();
        p.extend(iter);
        p
    }
}

impl<K: Into<Text>, V: Into<Text>> Extend<(K, V)> for Properties {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut p = Properties::new();
        assert_eq!(p.insert("b", "1"), None);
        assert_eq!(p.insert("a", "2"), None);
        assert_eq!(p.insert("b", "3").as_deref(), Some("1"));
        assert_eq!(p.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.get("b"), Some("3"));
        assert!(p.contains_key("a"));
        assert_eq!(p.remove("a").as_deref(), Some("2"));
        assert_eq!(p.len(), 1);
        let q: Properties = [("b", "3")].into_iter().collect();
        assert_eq!(p, q);
    }
}
