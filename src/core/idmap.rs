//! [`IdMap`]: a map from numeric ids to values, kept as a vector sorted by id.
//!
//! The pools hold a handful of streams, keyed by ids handed out in increasing order.
//! A `BTreeMap` does that job at a cost of kilobytes of wasm per value type; a sorted
//! vector does it in a few hundred bytes, and at these sizes a linear scan is as fast.

/// Ids to values, iterated in id order (as a `BTreeMap` would be).
#[derive(Debug, Clone)]
pub struct IdMap<T>(Vec<(u64, T)>);

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        IdMap(Vec::new())
    }
}

impl<T> IdMap<T> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    fn find(&self, id: u64) -> Result<usize, usize> {
        // Ids usually arrive in increasing order: the common insert is a push.
        match self.0.last() {
            Some((last, _)) if *last < id => Err(self.0.len()),
            _ => self.0.binary_search_by(|(k, _)| k.cmp(&id)),
        }
    }
    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The value of `id`.
    pub fn get(&self, id: &u64) -> Option<&T> {
        self.find(*id).ok().map(|i| &self.0[i].1)
    }
    /// The value of `id`, to change.
    pub fn get_mut(&mut self, id: &u64) -> Option<&mut T> {
        match self.find(*id) {
            Ok(i) => Some(&mut self.0[i].1),
            Err(_) => None,
        }
    }
    /// Whether `id` is present.
    pub fn contains_key(&self, id: &u64) -> bool {
        self.find(*id).is_ok()
    }
    /// Sets `id` to `value`; the previous value, if any.
    pub fn insert(&mut self, id: u64, value: T) -> Option<T> {
        match self.find(id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (id, value));
                None
            }
        }
    }
    /// Takes `id` out.
    pub fn remove(&mut self, id: &u64) -> Option<T> {
        match self.find(*id) {
            Ok(i) => Some(self.0.remove(i).1),
            Err(_) => None,
        }
    }
    /// Removes everything.
    pub fn clear(&mut self) {
        self.0.clear();
    }
    /// The ids, in order.
    pub fn keys(&self) -> impl Iterator<Item = &u64> {
        self.0.iter().map(|(k, _)| k)
    }
    /// The entries, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&u64, &T)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    /// The values, in id order, taken out.
    pub fn into_values(self) -> impl Iterator<Item = T> {
        self.0.into_iter().map(|(_, v)| v)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::IdMap;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Behaves as a `BTreeMap` under any sequence of inserts and removes.
        #[test]
        fn same_as_btreemap(ops in proptest::collection::vec((any::<bool>(), 0u64..20, any::<u8>()), 0..200)) {
            let mut ours = IdMap::new();
            let mut std_map = BTreeMap::new();
            for (insert, id, v) in ops {
                if insert {
                    prop_assert_eq!(ours.insert(id, v), std_map.insert(id, v));
                } else {
                    prop_assert_eq!(ours.remove(&id), std_map.remove(&id));
                }
                prop_assert_eq!(ours.len(), std_map.len());
                prop_assert_eq!(ours.get(&id), std_map.get(&id));
                let a: Vec<(u64, u8)> = ours.iter().map(|(k, v)| (*k, *v)).collect();
                let b: Vec<(u64, u8)> = std_map.iter().map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(a, b);
            }
        }
    }
}
