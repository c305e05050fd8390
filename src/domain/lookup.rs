//! Lookups for the derivation's hot path: a fixed id table built once per catalogue, and a
//! tiny membership filter that spares most records a search.

/// Spreads a 128-bit id over 64 bits. UUIDv7 keeps 74 random bits in its low half, so a
/// multiplicative hash of both halves is enough.
fn spread(key: u128) -> u64 {
    ((key as u64) ^ ((key >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// An open-addressing table from 128-bit ids to small values, built once and read many times:
/// a lookup is one multiply and, almost always, one probe.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdTable<V: Copy> {
    slots: Vec<Option<(u128, V)>>,
    shift: u32,
}

impl<V: Copy> IdTable<V> {
    /// Builds the table; `None` when two entries share an id (that id is returned instead).
    pub(crate) fn build(entries: impl ExactSizeIterator<Item = (u128, V)>) -> Result<Self, u128> {
        let capacity = (entries.len() * 2).max(4).next_power_of_two();
        let mut table = Self { slots: vec![None; capacity], shift: 64 - capacity.trailing_zeros() };
        for (key, value) in entries {
            let mut i = table.home(key);
            loop {
                match table.slots[i] {
                    None => {
                        table.slots[i] = Some((key, value));
                        break;
                    }
                    Some((k, _)) if k == key => return Err(key),
                    Some(_) => i = (i + 1) & (capacity - 1),
                }
            }
        }
        Ok(table)
    }

    fn home(&self, key: u128) -> usize {
        (spread(key) >> self.shift) as usize
    }

    pub(crate) fn get(&self, key: u128) -> Option<V> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                None => return None,
                Some((k, v)) if k == key => return Some(v),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }
}

/// A 256-bit Bloom filter over ids: `might_contain` is false for most ids not inserted, and
/// never false for one that was. Lives on the stack; costs nothing when empty.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdFilter([u64; 4]);

impl IdFilter {
    fn bit(key: u128) -> (usize, u64) {
        let h = spread(key) >> 56;
        ((h >> 6) as usize, 1 << (h & 63))
    }

    pub(crate) fn insert(&mut self, key: u128) {
        let (word, bit) = Self::bit(key);
        self.0[word] |= bit;
    }

    pub(crate) fn might_contain(&self, key: u128) -> bool {
        let (word, bit) = Self::bit(key);
        self.0[word] & bit != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_finds_every_entry_and_nothing_else() {
        let keys: Vec<u128> = (1..=50u128).map(|k| k * 0x1_0000_0000_0001).collect();
        let table = IdTable::build(keys.iter().map(|k| (*k, *k as u32))).unwrap();
        for k in &keys {
            assert_eq!(table.get(*k), Some(*k as u32));
        }
        assert_eq!(table.get(7), None);
        assert_eq!(IdTable::<u8>::default().get(1), None);
        assert_eq!(IdTable::build([(3u128, 1u8), (3, 2)].into_iter()).unwrap_err(), 3);
    }

    #[test]
    fn filter_never_misses_an_inserted_id() {
        let mut filter = IdFilter::default();
        for k in 0..40u128 {
            filter.insert(k * 977);
        }
        assert!((0..40u128).all(|k| filter.might_contain(k * 977)));
        assert!(!IdFilter::default().might_contain(5));
    }
}
