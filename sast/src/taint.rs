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
/// In `pkinds` only, beside the kinds: the parameter's text was pasted
/// into a larger string on the way (`format!("SAVEPOINT {name}")`, `a +
/// &b`), not merely passed along. A public function that does this and
/// hands the result to a SQL or shell sink builds a statement from its
/// caller's text (see `engine::summary::report_public`).
pub const BUILT: u16 = 1 << 15;
/// A guard flag, never a taint kind: the check fixes the value to one of
/// a list written in the source (equality with literals, membership in a
/// literal list, a `match` of literals), so a URL's host checked this
/// way fixes where the URL goes (`FnCx::validated`).
pub const EXACT: u16 = 1 << 14;

/// A value's taint. `source` is an index + 1 into the function's source
/// list (0: none), with [`LOCAL`] set for a source the operator controls;
/// it names where the taint came from in messages, and decides whether a
/// finding is from local input only.
///
/// Separately, `params` is the set of the enclosing function's parameters
/// (bit i: parameter i, `self` first) the value may derive from, and
/// `pkinds` the kinds for which that derivation is still dangerous. They
/// are what function summaries are made of: a parameter reaching a sink,
/// or the return value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taint {
    pub kinds: u16,
    pub source: u32,
    pub params: u16,
    pub pkinds: u16,
}

impl Taint {
    pub const CLEAN: Taint = Taint {
        kinds: 0,
        source: 0,
        params: 0,
        pkinds: 0,
    };

    pub fn from_source(source_index: usize) -> Taint {
        Taint {
            kinds: ALL,
            source: u32::try_from(source_index + 1)
                .unwrap_or(u32::MAX)
                .min(!LOCAL),
            ..Taint::CLEAN
        }
    }

    /// A source the operator controls (argv, environment, stdin, files).
    pub fn from_local_source(source_index: usize) -> Taint {
        let t = Taint::from_source(source_index);
        Taint {
            source: t.source | LOCAL,
            ..t
        }
    }

    /// The index + 1 of the source in the function's list (0: none).
    pub fn source_index(self) -> usize {
        (self.source & !LOCAL) as usize
    }

    /// Is the named source one the operator controls? A value that mixes
    /// such input with network input names the network's (see `union`).
    pub fn is_local(self) -> bool {
        self.source & LOCAL != 0 && self.source_index() != 0
    }

    /// The value of parameter `index`: one bit each for the first 15,
    /// and the last bit for every later one (red team rt46: a sink on a
    /// 17th parameter was not tracked at all; now a call whose arguments
    /// from the 16th on are tainted reaches it, an over-approximation).
    pub fn from_param(index: usize) -> Taint {
        Taint {
            params: 1u16 << index.min(15),
            pkinds: ALL,
            ..Taint::CLEAN
        }
    }

    /// Tainted by a real source (not merely derived from a parameter).
    pub fn is_tainted(self) -> bool {
        self.kinds != 0
    }

    /// Derived from a parameter and still dangerous for `kind`.
    pub fn has_param(self, kind: u16) -> bool {
        self.pkinds & kind != 0
    }

    pub fn has(self, kind: u16) -> bool {
        self.kinds & kind != 0
    }

    pub fn union(self, other: Taint) -> Taint {
        Taint {
            kinds: self.kinds | other.kinds,
            // The first tainted source, but network input over local
            // input: `format!("{}/{}", env_root, request_name)` is the
            // request's (red team rt44).
            source: if self.kinds == 0 || (other.kinds != 0 && self.is_local() && !other.is_local())
            {
                other.source
            } else {
                self.source
            },
            params: self.params | other.params,
            pkinds: self.pkinds | other.pkinds,
        }
    }

    pub fn without(self, kinds: u16) -> Taint {
        self.only(!kinds)
    }

    pub fn only(self, kinds: u16) -> Taint {
        let mut pkinds = self.pkinds & kinds;
        if pkinds & ALL == 0 {
            pkinds = 0;
        }
        let kinds = self.kinds & kinds;
        Taint {
            kinds,
            source: if kinds == 0 { 0 } else { self.source },
            params: if pkinds == 0 { 0 } else { self.params },
            pkinds,
        }
    }

    /// Mark the parameter-derived part as pasted into a larger string.
    pub fn built(self) -> Taint {
        let mut t = self;
        if t.pkinds & ALL != 0 {
            t.pkinds |= BUILT;
        }
        t
    }

    /// Derived from a parameter whose text was pasted into a larger string.
    pub fn is_built(self) -> bool {
        self.pkinds & BUILT != 0
    }

    /// Kind-wise intersection: dangerous only where both are (`min(a, b)`).
    pub fn intersect(self, other: Taint) -> Taint {
        self.only(other.kinds | other.pkinds)
    }
}

/// In [`Taint::source`]: the source is local input.
pub const LOCAL: u32 = 1 << 31;

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
        let env = Taint::from_local_source(1);
        assert!(env.is_local() && env.source_index() == 2);
        assert_eq!(env.union(b).source, 5);
        assert_eq!(b.union(env).source, 5);
        assert!(env.union(Taint::CLEAN).is_local());
        assert_eq!(a.only(ALLOC).kinds, ALLOC);
        assert!(!a.intersect(Taint::CLEAN).is_tainted());
    }
}
