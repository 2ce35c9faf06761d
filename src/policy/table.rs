//! A small hash table from `u32` ids (accounts, index positions) to one `u32` value each, that
//! remembers its ids in first-seen order: the per-request bookkeeping of the serving pipeline
//! (counting co-follow path endpoints, fusing the candidates of a hybrid's components,
//! de-duplicating draws).
//!
//! Open addressing with linear probing and a fixed multiplicative hash, so its layout, and
//! everything read back from it, depends only on its input; a reset clears only the slots that
//! were filled, so a table sized for a few hundred ids is reused across requests without
//! allocating or sweeping it. For a few hundred ids this is several times cheaper than sorting
//! them.

/// Key of a free slot.
pub(crate) const EMPTY: u32 = u32::MAX;

/// Ids with a value each, in first-seen order.
#[derive(Debug, Default)]
pub struct IdTable {
    /// Key per slot (`EMPTY` if free).
    keys: Vec<u32>,
    /// Value per slot.
    values: Vec<u32>,
    /// Filled slots in first-seen order.
    order: Vec<u32>,
    shift: u32,
}

impl IdTable {
    /// Empties the table and makes room for `expected` ids without growing.
    pub fn reset(&mut self, expected: usize) {
        let want = (2 * expected).next_power_of_two().max(16);
        if self.keys.len() < want {
            self.keys = vec![EMPTY; want];
            self.values = vec![0; want];
            self.shift = 32 - want.trailing_zeros();
        } else {
            clear_slots(&mut self.keys, &self.order);
        }
        self.order.clear();
    }

    /// Number of distinct ids.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no id was inserted since the last reset.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Inserts `id` if absent, with value 0; returns its slot (valid until the next insert)
    /// and whether it was new.
    #[inline]
    pub fn insert(&mut self, id: u32) -> (usize, bool) {
        debug_assert_ne!(id, EMPTY, "u32::MAX marks free slots");
        if 2 * (self.order.len() + 1) > self.keys.len() {
            self.grow();
        }
        let slot = self.find(id);
        if self.keys[slot] == id {
            return (slot, false);
        }
        self.keys[slot] = id;
        self.values[slot] = 0;
        // Slots are below the table size, which fits in u32.
        self.order.push(slot as u32);
        (slot, true)
    }

    /// The slot of `id`, if present.
    #[inline]
    pub fn get(&self, id: u32) -> Option<usize> {
        if self.keys.is_empty() {
            return None;
        }
        let slot = self.find(id);
        (self.keys[slot] == id).then_some(slot)
    }

    /// The value in `slot`.
    #[inline]
    pub fn value(&self, slot: usize) -> u32 {
        self.values[slot]
    }

    /// The value in `slot`, mutable.
    #[inline]
    pub fn value_mut(&mut self, slot: usize) -> &mut u32 {
        &mut self.values[slot]
    }

    /// Ids and their values, in first-seen order.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.order
            .iter()
            .map(|&s| (self.keys[s as usize], self.values[s as usize]))
    }

    /// The slot holding `id`, or the free slot where it would go.
    #[inline]
    fn find(&self, id: u32) -> usize {
        find_slot(&self.keys, self.shift, id)
    }

    /// Doubles the table, keeping ids, values and their order (rare: only when `reset` was
    /// told too few).
    fn grow(&mut self) {
        let entries: Vec<(u32, u32)> = self.entries().collect();
        let want = (2 * self.keys.len()).max(16);
        let (keys, values, order, shift) = (
            &mut self.keys,
            &mut self.values,
            &mut self.order,
            &mut self.shift,
        );
        rehash(keys, values, order, shift, want, entries);
    }
}

/// A set of ids for one request, with no order and no values: open addressing in a table
/// kept at most a quarter full and cleared whole (a memset of a few KiB costs less than
/// remembering the filled slots of a few hundred ids). Cheaper than an [`IdTable`] where only
/// membership matters (the followees an embedding request leaves out, de-duplicating draws).
#[derive(Debug, Default)]
pub struct IdSet {
    keys: Vec<u32>,
    len: usize,
    shift: u32,
}

impl IdSet {
    /// Empties the set and makes room for `expected` ids without growing.
    pub fn reset(&mut self, expected: usize) {
        let want = (4 * expected).next_power_of_two().max(64);
        if self.keys.len() < want {
            self.keys = vec![EMPTY; want];
            self.shift = 32 - want.trailing_zeros();
        } else {
            self.keys.fill(EMPTY);
        }
        self.len = 0;
    }

    /// Inserts `id`; whether it was new.
    #[inline]
    pub fn insert(&mut self, id: u32) -> bool {
        debug_assert_ne!(id, EMPTY, "u32::MAX marks free slots");
        if 2 * (self.len + 1) > self.keys.len() {
            self.grow();
        }
        let slot = find_slot(&self.keys, self.shift, id);
        if self.keys[slot] == id {
            return false;
        }
        self.keys[slot] = id;
        self.len += 1;
        true
    }

    /// Whether `id` is in the set.
    #[inline]
    pub fn contains(&self, id: u32) -> bool {
        !self.keys.is_empty() && self.keys[find_slot(&self.keys, self.shift, id)] == id
    }

    /// Doubles the table (rare: only when `reset` was told too few).
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.keys);
        let want = (2 * old.len()).max(64);
        self.keys = vec![EMPTY; want];
        self.shift = 32 - want.trailing_zeros();
        for id in old.into_iter().filter(|&k| k != EMPTY) {
            let slot = find_slot(&self.keys, self.shift, id);
            self.keys[slot] = id;
        }
    }
}

/// The slot of `keys` (a power-of-two table, `shift = 32 - log2(len)`) holding `id`, or the free
/// slot where it would go: a fixed multiplicative hash, then linear probing.
#[inline(always)]
pub(crate) fn find_slot(keys: &[u32], shift: u32, id: u32) -> usize {
    let mask = keys.len() - 1;
    let mut slot = (id.wrapping_mul(0x9E37_79B1) >> shift) as usize & mask;
    while keys[slot] != EMPTY && keys[slot] != id {
        slot = (slot + 1) & mask;
    }
    slot
}

/// Refills a table of `want` slots (a power of two) with `entries`, in their order: keys and
/// values per slot, the filled slots in `order`, and the hash `shift` for that size.
pub(crate) fn rehash(
    keys: &mut Vec<u32>,
    values: &mut Vec<u32>,
    order: &mut Vec<u32>,
    shift: &mut u32,
    want: usize,
    entries: impl IntoIterator<Item = (u32, u32)>,
) {
    *keys = vec![EMPTY; want];
    *values = vec![0; want];
    *shift = 32 - want.trailing_zeros();
    order.clear();
    for (id, value) in entries {
        let slot = find_slot(keys, *shift, id);
        keys[slot] = id;
        values[slot] = value;
        // Slots are below the table size, which fits in u32.
        order.push(slot as u32);
    }
}

/// Frees the `filled` slots of `keys`: one by one when they are few, else the whole table in
/// one sweep (a memset of a few KiB beats hundreds of scattered stores).
#[inline]
pub(crate) fn clear_slots<'a>(keys: &mut [u32], filled: impl IntoIterator<Item = &'a u32>) {
    let filled = filled.into_iter();
    if filled.size_hint().0 * 8 > keys.len() {
        keys.fill(EMPTY);
    } else {
        for &slot in filled {
            keys[slot as usize] = EMPTY;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_first_seen_order_across_resets_and_growth() {
        let mut t = IdTable::default();
        t.reset(4);
        let (s7, new) = t.insert(7);
        assert!(new);
        *t.value_mut(s7) = 70;
        let (s3, _) = t.insert(3);
        *t.value_mut(s3) = 30;
        assert_eq!(t.insert(7), (s7, false));
        assert_eq!(t.get(3).map(|s| t.value(s)), Some(30));
        assert_eq!(t.get(4), None);
        // Far more ids than announced: the table grows and keeps what it had, in order.
        for k in 1..1000u32 {
            let (s, _) = t.insert(k * 7919);
            *t.value_mut(s) = k;
        }
        let first: Vec<(u32, u32)> = t.entries().take(3).collect();
        assert_eq!(first, vec![(7, 70), (3, 30), (7919, 1)]);
        assert_eq!(t.get(999 * 7919).map(|s| t.value(s)), Some(999));
        assert_eq!(t.len(), 1001);
        // A reset forgets everything, without shrinking.
        t.reset(2);
        assert!(t.is_empty());
        assert_eq!(t.get(7), None);
        assert!(t.insert(u32::MAX - 1).1);
        assert_eq!(IdTable::default().get(1), None);
    }

    #[test]
    fn set_membership_across_resets_and_growth() {
        let mut s = IdSet::default();
        assert!(!s.contains(3));
        s.reset(2);
        assert!(s.insert(3) && !s.insert(3) && s.contains(3) && !s.contains(4));
        // Far more ids than announced: the set grows and keeps them.
        for k in 1..1000u32 {
            assert!(s.insert(k * 7919));
        }
        assert!((1..1000u32).all(|k| s.contains(k * 7919)) && s.contains(3));
        s.reset(2);
        assert!(!s.contains(3) && !s.contains(7919));
        assert!(s.insert(u32::MAX - 1));
    }
}
