//! A map keyed by ids the client hands out in increasing order (send ids, request opaques):
//! like `slab`, but ids are never reused.
//!
//! Live ids sit in a window of slots starting at the oldest one, so finding an entry is an
//! index into memory the neighbouring ids share, not a hash probe into a cold table. An entry
//! left behind by more than [`MAX_WINDOW`] newer ids (a request that takes very long) moves to
//! a small hash map, which bounds the window's memory whatever the ids' lifetimes.

use std::collections::VecDeque;
use std::hash::Hash;

use crate::id_map::IdMap;
use crate::ids::{DeliveryId, SendId};

/// Most slots the window spans; older entries move to the overflow map (a short window
/// in tests, so that they move often).
const MAX_WINDOW: u64 = if cfg!(test) { 48 } else { 1024 };

/// An id handed out in increasing (wrapping) order.
pub(crate) trait SeqKey: Copy + Eq + Hash {
    /// How far `self` lies after `base`, wrapping; beyond half the id space means before.
    fn since(self, base: Self) -> u64;
    /// The id `n` after `self`, wrapping.
    fn plus(self, n: u64) -> Self;
    /// Whether a distance from [`since`](Self::since) means "before the base".
    fn is_behind(distance: u64) -> bool;
}

impl SeqKey for DeliveryId {
    fn since(self, base: Self) -> u64 {
        self.0.wrapping_sub(base.0)
    }
    fn plus(self, n: u64) -> Self {
        Self(self.0.wrapping_add(n))
    }
    fn is_behind(distance: u64) -> bool {
        distance >= 1 << 63
    }
}

impl SeqKey for SendId {
    fn since(self, base: Self) -> u64 {
        self.0.wrapping_sub(base.0)
    }
    fn plus(self, n: u64) -> Self {
        Self(self.0.wrapping_add(n))
    }
    fn is_behind(distance: u64) -> bool {
        distance >= 1 << 63
    }
}

/// Request opaques: `i32`s counted up with wrapping.
impl SeqKey for i32 {
    fn since(self, base: Self) -> u64 {
        u64::from((self as u32).wrapping_sub(base as u32))
    }
    fn plus(self, n: u64) -> Self {
        self.wrapping_add(n as Self)
    }
    fn is_behind(distance: u64) -> bool {
        distance >= 1 << 31
    }
}

/// See the module doc.
#[derive(Debug)]
pub(crate) struct SeqMap<K: SeqKey, V> {
    /// The id of `slots[0]`.
    base: K,
    slots: VecDeque<Option<V>>,
    /// Entries of the window.
    in_window: usize,
    /// Entries that fell out of the window.
    overflow: IdMap<K, V>,
}

impl<K: SeqKey, V> SeqMap<K, V> {
    /// An empty map whose first id will be `first`.
    pub(crate) fn new(first: K) -> Self {
        Self {
            base: first,
            slots: VecDeque::new(),
            in_window: 0,
            overflow: IdMap::default(),
        }
    }

    /// The slot index of `key`, when it lies within the window.
    fn index(&self, key: K) -> Option<usize> {
        let d = key.since(self.base);
        (d < self.slots.len() as u64).then_some(d as usize)
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.in_window + self.overflow.len()
    }

    /// Whether `key` has an entry.
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The entry of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        if let Some(v) = self.index(*key).and_then(|i| self.slots[i].as_ref()) {
            return Some(v);
        }
        if self.overflow.is_empty() {
            return None;
        }
        self.overflow.get(key)
    }

    /// The entry of `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.index(*key) {
            Some(i) if self.slots[i].is_some() => self.slots[i].as_mut(),
            _ if self.overflow.is_empty() => None,
            _ => self.overflow.get_mut(key),
        }
    }

    /// Sets the entry of `key`, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.slots.is_empty() && !K::is_behind(key.since(self.base)) {
            // An empty window starts at the next id given out (ids behind it may still
            // have entries in the overflow map).
            self.base = key;
        }
        let d = key.since(self.base);
        if K::is_behind(d) {
            return self.overflow.insert(key, value);
        }
        if d >= MAX_WINDOW {
            // Far ahead: everything in the window is now too old for it.
            self.spill(self.slots.len());
            self.base = key;
            return self.insert(key, value);
        }
        let i = d as usize;
        let old = if i < self.slots.len() {
            self.slots[i].replace(value)
        } else {
            // The usual case: the next id, appended.
            self.slots.resize_with(i, || None);
            self.slots.push_back(Some(value));
            None
        };
        if old.is_none() {
            self.in_window += 1;
        }
        let excess = self.slots.len().saturating_sub(MAX_WINDOW as usize);
        if excess > 0 {
            self.spill(excess);
        }
        old
    }

    /// Removes and returns the entry of `key`.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        match self.index(*key) {
            Some(i) if self.slots[i].is_some() => {
                let v = self.slots[i].take();
                self.in_window -= 1;
                self.trim_front();
                v
            }
            _ if self.overflow.is_empty() => None,
            _ => self.overflow.remove(key),
        }
    }

    /// Moves the first `n` slots' entries to the overflow map.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, n: usize) {
        for _ in 0..n {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            if let Some(v) = slot {
                self.in_window -= 1;
                self.overflow.insert(self.base, v);
            }
            self.base = self.base.plus(1);
        }
        self.trim_front();
    }

    /// Drops empty slots at the front, so the window starts at its oldest entry.
    fn trim_front(&mut self) {
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base = self.base.plus(1);
        }
    }

    /// Every entry: the window's in id order, then the overflow's.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (K, &V)> {
        let base = self.base;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_ref().map(|v| (base.plus(i as u64), v)))
            .chain(self.overflow.iter().map(|(k, v)| (*k, v)))
    }

    /// Every value.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// Removes and returns every entry.
    #[cfg_attr(not(feature = "driver"), allow(dead_code))]
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (K, V)> + use<K, V> {
        let base = self.base;
        let window: Vec<(K, V)> = std::mem::take(&mut self.slots)
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|v| (base.plus(i as u64), v)))
            .collect();
        self.in_window = 0;
        let overflow = std::mem::take(&mut self.overflow);
        window.into_iter().chain(overflow)
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.in_window = 0;
        self.overflow.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        /// Insert the next id (after skipping `skip` ids), as the client hands them out.
        InsertNext {
            skip: u8,
        },
        /// Insert an id already handed out (a re-insert or an old id).
        InsertOld(u16),
        Remove(u16),
        Get(u16),
        Drain,
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            6 => (0u8..4).prop_map(|skip| Op::InsertNext { skip }),
            1 => any::<u16>().prop_map(Op::InsertOld),
            5 => any::<u16>().prop_map(Op::Remove),
            2 => any::<u16>().prop_map(Op::Get),
            1 => Just(Op::Drain),
        ];
        proptest::collection::vec(op, 0..400)
    }

    /// Runs `ops` on a `SeqMap` and on a `HashMap` model, ids counted from `first`.
    fn check<K: SeqKey + std::fmt::Debug + Ord>(first: K, ops: Vec<Op>) {
        let mut map = SeqMap::new(first);
        let mut model: HashMap<K, u32> = HashMap::new();
        let mut next = first;
        let mut issued = 0u64;
        for (n, op) in ops.into_iter().enumerate() {
            let n = n as u32;
            // An id handed out so far, chosen by `x` (the newest ones most often).
            let old = |x: u16| first.plus(issued.saturating_sub(1 + u64::from(x) % (issued + 1)));
            match op {
                Op::InsertNext { skip } => {
                    next = next.plus(u64::from(skip));
                    assert_eq!(map.insert(next, n), model.insert(next, n));
                    next = next.plus(1);
                    issued += u64::from(skip) + 1;
                }
                Op::InsertOld(x) => {
                    let k = old(x);
                    assert_eq!(map.insert(k, n), model.insert(k, n));
                }
                Op::Remove(x) => {
                    let k = old(x);
                    assert_eq!(map.remove(&k), model.remove(&k));
                }
                Op::Get(x) => {
                    let k = old(x);
                    assert_eq!(map.get(&k), model.get(&k));
                    assert_eq!(map.get_mut(&k).copied(), model.get(&k).copied());
                    assert_eq!(map.contains_key(&k), model.contains_key(&k));
                }
                Op::Drain => {
                    let mut got: Vec<_> = map.drain().collect();
                    let mut want: Vec<_> = model.drain().collect();
                    got.sort();
                    want.sort();
                    assert_eq!(got, want);
                }
            }
            assert_eq!(map.len(), model.len());
            assert!(map.slots.len() as u64 <= MAX_WINDOW);
        }
        let mut got: Vec<_> = map.iter().map(|(k, v)| (k, *v)).collect();
        let mut want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
    }

    proptest! {
        #[test]
        fn send_ids_behave_as_a_hash_map(ops in ops()) {
            check(SendId(0), ops);
        }

        #[test]
        fn wrapping_opaques_behave_as_a_hash_map(ops in ops(), start in any::<i32>()) {
            check(start, ops);
        }

        #[test]
        fn opaques_near_the_wrap_behave_as_a_hash_map(ops in ops(), back in 0i32..3000) {
            check(i32::MAX - back, ops);
        }
    }

    #[test]
    fn an_entry_left_behind_moves_out_of_the_window_and_stays_reachable() {
        let mut map = SeqMap::new(1i32);
        map.insert(1, "slow");
        for k in 2..5000 {
            map.insert(k, "fast");
            map.remove(&k);
        }
        assert!(map.slots.len() as u64 <= MAX_WINDOW);
        assert_eq!(map.overflow.len(), 1);
        assert_eq!(map.get(&1), Some(&"slow"));
        assert_eq!(map.remove(&1), Some("slow"));
        assert_eq!(map.len(), 0);
    }

    #[test]
    fn an_id_far_ahead_starts_a_new_window() {
        let mut map = SeqMap::new(SendId(0));
        map.insert(SendId(0), 0);
        map.insert(SendId(1), 1);
        map.insert(SendId(1_000_000), 2);
        assert!(map.slots.len() <= 1);
        assert_eq!(map.get(&SendId(0)), Some(&0));
        assert_eq!(map.get(&SendId(1)), Some(&1));
        assert_eq!(map.get(&SendId(1_000_000)), Some(&2));
        assert_eq!(map.len(), 3);
    }
}
