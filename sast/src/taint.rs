//! Taint values: which kinds of sink a value is still dangerous for, and
//! where it came from.
//!
//! A source yields a value dangerous for every kind. Sanitisers remove the
//! kinds they neutralise: `parse::<u32>()` leaves only [`ALLOC`] (a number
//! cannot inject SQL but can still size an allocation), `regex::escape`
//! removes [`REGEX`], `{:?}` formatting removes [`LOG`], and so on.

pub const SQL: u16 = 1 << 0;
pub const COMMAND: u16 = 1 << 1;
pub const PATH: u16 = 1 << 2;
pub const URL: u16 = 1 << 3;
pub const HTML: u16 = 1 << 4;
pub const REGEX: u16 = 1 << 5;
pub const LOG: u16 = 1 << 6;
pub const DESER: u16 = 1 << 7;
pub const ALLOC: u16 = 1 << 8;
pub const ALL: u16 = (1 << 9) - 1;
/// Every kind a string can be dangerous for.
pub const INJECTION: u16 = ALL & !ALLOC;

/// A value's taint. `source` is an index + 1 into the function's source
/// list (0: none); it only names where the taint came from in messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taint {
    pub kinds: u16,
    pub source: u32,
}

impl Taint {
    pub const CLEAN: Taint = Taint {
        kinds: 0,
        source: 0,
    };

    pub fn from_source(source_index: usize) -> Taint {
        Taint {
            kinds: ALL,
            source: u32::try_from(source_index + 1).unwrap_or(u32::MAX),
        }
    }

    pub fn is_tainted(self) -> bool {
        self.kinds != 0
    }

    pub fn has(self, kind: u16) -> bool {
        self.kinds & kind != 0
    }

    pub fn union(self, other: Taint) -> Taint {
        Taint {
            kinds: self.kinds | other.kinds,
            source: if self.kinds != 0 {
                self.source
            } else {
                other.source
            },
        }
    }

    pub fn without(self, kinds: u16) -> Taint {
        self.only(!kinds)
    }

    pub fn only(self, kinds: u16) -> Taint {
        let kinds = self.kinds & kinds;
        Taint {
            kinds,
            source: if kinds == 0 { 0 } else { self.source },
        }
    }

    /// Kind-wise intersection: dangerous only where both are (`min(a, b)`).
    pub fn intersect(self, other: Taint) -> Taint {
        self.only(other.kinds)
    }
}

pub fn union_all(taints: impl IntoIterator<Item = Taint>) -> Taint {
    taints.into_iter().fold(Taint::CLEAN, Taint::union)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_keeps_first_tainted_source() {
        let a = Taint::from_source(0);
        let b = Taint::from_source(4);
        assert_eq!(Taint::CLEAN.union(b).source, 5);
        assert_eq!(a.union(b).source, 1);
        assert_eq!(a.without(ALL), Taint::CLEAN);
        assert_eq!(a.only(ALLOC).kinds, ALLOC);
        assert!(!a.intersect(Taint::CLEAN).is_tainted());
    }
}
