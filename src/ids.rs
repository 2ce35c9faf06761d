//! Newtype identifiers. Ids are dense `u32` indices so that every per-entity table is a flat
//! `Vec` (struct-of-arrays) and iteration order is always id order, never hash order.

use serde::Serialize;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
        #[repr(transparent)]
        pub struct $name(pub u32);

        impl From<$name> for u32 {
            fn from(id: $name) -> u32 {
                id.0
            }
        }

        impl $name {
            /// The id as an index into a per-entity table.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An account of the world (ordinary accounts only; probes are not in the world's graph).
    AccountId
);
id_type!(
    /// A community (benign, adjacent or the flagged cluster).
    CommunityId
);
id_type!(
    /// A search term of the vocabulary.
    TermId
);

/// A simulation step, counted from 1 (step 0 is the probes' seed actions).
pub type Step = u32;
