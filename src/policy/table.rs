//! A small hash table from `u32` ids (accounts, index positions) to dense indices in first-seen
//! order, for the per-request bookkeeping of the serving pipeline: counting co-follow path
//! endpoints, de-duplicating draws, fusing the candidates of a hybrid's components.
//!
//! Open addressing with linear probing and a fixed multiplicative hash, so its layout, and
//! everything read back from it, depends only on its input; clearing touches only the slots
//! that were filled, so a table sized for a few hundred ids is reused across requests without
//! allocating or sweeping it. For a few hundred ids this is several times cheaper than sorting
//! them.

const EMPTY: u32 = u32::MAX;

/// Ids in first-seen order, each with its dense index (`0..len`).
#[derive(Debug, Default)]
pub struct IdTable {
    /// Key per slot (`EMPTY` if free).
    keys: Vec<u32>,
    /// Dense index per filled slot.
    index: Vec<u32>,
    /// Filled slots in first-seen order (dense index `i` lives in `slots[i]`).
    slots: Vec<u32>,
    shift: u32,
}

impl IdTable {
    /// Empties the table and makes room for `expected` ids without growing.
    pub fn reset(&mut self, expected: usize) {
        let want = (2 * expected).next_power_of_two().max(16);
        if self.keys.len() < want {
            self.keys = vec![EMPTY; want];
            self.index = vec![0; want];
            self.shift = 32 - want.trailing_zeros();
        } else {
            for &slot in &self.slots {
                self.keys[slot as usize] = EMPTY;
            }
        }
        self.slots.clear();
    }

    /// Number of distinct ids.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no id was inserted since the last reset.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Inserts `id` if absent; returns its dense index and whether it was new.
    #[inline]
    pub fn insert(&mut self, id: u32) -> (usize, bool) {
        debug_assert_ne!(id, EMPTY, "u32::MAX marks free slots");
        if 2 * (self.slots.len() + 1) > self.keys.len() {
            self.grow();
        }
        let slot = self.find(id);
        if self.keys[slot] == id {
            return (self.index[slot] as usize, false);
        }
        let i = self.slots.len();
        self.keys[slot] = id;
        // Dense indices are below the table size, which fits in u32.
        self.index[slot] = i as u32;
        self.slots.push(slot as u32);
        (i, true)
    }

    /// The dense index of `id`, if present.
    #[inline]
    pub fn get(&self, id: u32) -> Option<usize> {
        if self.keys.is_empty() {
            return None;
        }
        let slot = self.find(id);
        (self.keys[slot] == id).then(|| self.index[slot] as usize)
    }

    /// The id with dense index `i`.
    #[inline]
    pub fn id(&self, i: usize) -> u32 {
        self.keys[self.slots[i] as usize]
    }

    /// The slot holding `id`, or the free slot where it would go.
    #[inline]
    fn find(&self, id: u32) -> usize {
        let mask = self.keys.len() - 1;
        let mut slot = (id.wrapping_mul(0x9E37_79B1) >> self.shift) as usize & mask;
        while self.keys[slot] != EMPTY && self.keys[slot] != id {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// Doubles the table, keeping ids and indices (rare: only when `reset` was told too few).
    fn grow(&mut self) {
        let ids: Vec<u32> = (0..self.len()).map(|i| self.id(i)).collect();
        let want = (2 * self.keys.len()).max(16);
        self.keys = vec![EMPTY; want];
        self.index = vec![0; want];
        self.shift = 32 - want.trailing_zeros();
        self.slots.clear();
        for id in ids {
            let slot = self.find(id);
            self.keys[slot] = id;
            self.index[slot] = self.slots.len() as u32;
            self.slots.push(slot as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_indices_in_first_seen_order_across_resets_and_growth() {
        let mut t = IdTable::default();
        t.reset(4);
        assert_eq!(t.insert(7), (0, true));
        assert_eq!(t.insert(3), (1, true));
        assert_eq!(t.insert(7), (0, false));
        assert_eq!(t.get(3), Some(1));
        assert_eq!(t.get(4), None);
        // Far more ids than announced: the table grows and keeps what it had.
        for k in 0..1000u32 {
            t.insert(k * 7919);
        }
        assert_eq!(t.get(7), Some(0));
        assert_eq!(t.id(1), 3);
        assert_eq!(t.get(999 * 7919), Some(t.len() - 1));
        // A reset forgets everything, without shrinking.
        t.reset(2);
        assert!(t.is_empty());
        assert_eq!(t.get(7), None);
        assert_eq!(t.insert(u32::MAX - 1), (0, true));
        assert_eq!(IdTable::default().get(1), None);
    }
}
