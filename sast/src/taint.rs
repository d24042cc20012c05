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
    /// Of `params`, those made safe for `skinds` on every way they came
    /// (`Path::new(name).file_name()` joined with an unchecked
    /// `self.root`: `name` is no path, `self` still is). A parameter
    /// that also arrives unchecked is not in it.
    pub sanitized: u16,
    pub skinds: u16,
}

impl Taint {
    pub const CLEAN: Taint = Taint {
        kinds: 0,
        source: 0,
        params: 0,
        pkinds: 0,
        sanitized: 0,
        skinds: 0,
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
        self.pkinds & kind != 0 && self.params_for(kind) != 0
    }

    /// The parameters the value derives from that are still dangerous
    /// for `kind` (not made safe for it on every way they came).
    pub fn params_for(self, kind: u16) -> u16 {
        if self.skinds & kind != 0 {
            self.params & !self.sanitized
        } else {
            self.params
        }
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
            ..sanitized_union(self, other)
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
        let kinds_left = self.kinds & kinds;
        let params = if pkinds == 0 { 0 } else { self.params };
        // Every parameter of the value is now safe for the kinds removed
        // here (what an earlier sanitiser removed from only some of them
        // is forgotten: fewer parameters counted safe, never more).
        let removed = self.pkinds & !kinds & ALL;
        let (sanitized, skinds) = if params == 0 {
            (0, 0)
        } else if removed == 0 {
            (self.sanitized & params, self.skinds)
        } else if self.sanitized == self.params && self.params != 0 {
            (params, removed | self.skinds)
        } else {
            (params, removed)
        };
        Taint {
            kinds: kinds_left,
            source: if kinds_left == 0 { 0 } else { self.source },
            params,
            pkinds,
            sanitized,
            skinds,
        }
    }

    /// Mark the parameter-derived part as pasted into a larger string.
    /// The value decoded (`urlencoding::decode`, a percent or base64
    /// decoder): what a check found in its encoded text says nothing of
    /// what it decodes to (`%2e%2e%2f` has no `..`), so every danger of
    /// its source or parameters is back (red team rt83).
    pub fn decoded(self) -> Taint {
        let mut t = self;
        if t.source != 0 {
            // An operator's own input never chooses a path or a URL.
            t.kinds |= if t.is_local() {
                ALL & !(PATH | URL)
            } else {
                ALL
            };
        }
        if t.params != 0 {
            t.pkinds |= ALL;
            t.sanitized = 0;
            t.skinds = 0;
        }
        t
    }

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

/// What of `a` and `b` together is made safe, and for which kinds: a
/// parameter only if it is safe in each that holds it, and for the kinds
/// both made safe when both made some parameter safe.
fn sanitized_union(a: Taint, b: Taint) -> Taint {
    let from_a = a.sanitized & (b.sanitized | !b.params);
    let from_b = b.sanitized & (a.sanitized | !a.params);
    let skinds = match (a.sanitized != 0, b.sanitized != 0) {
        (true, true) => a.skinds & b.skinds,
        (true, false) => a.skinds,
        (false, true) => b.skinds,
        (false, false) => 0,
    };
    let sanitized = if skinds == 0 { 0 } else { from_a | from_b };
    Taint {
        sanitized,
        skinds: if sanitized == 0 { 0 } else { skinds },
        ..Taint::CLEAN
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
    fn a_parameter_is_safe_only_if_safe_on_every_way() {
        let root = Taint::from_param(0);
        let name = Taint::from_param(1);
        let safe_name = name.without(PATH);
        // `root.join(file_name(name))`: the name is no path, the root is.
        let joined = root.union(safe_name);
        assert_eq!(joined.params_for(PATH), 0b01);
        assert_eq!(joined.params_for(SQL), 0b11);
        // The name also passed whole: a path again, in either order.
        assert_eq!(joined.union(name).params_for(PATH), 0b11);
        assert_eq!(name.union(joined).params_for(PATH), 0b11);
        // Made safe for different kinds: safe for neither.
        let other = Taint::from_param(2).without(SQL);
        assert_eq!(safe_name.union(other).params_for(PATH), 0b110);
        assert_eq!(safe_name.union(other).params_for(SQL), 0b110);
        // Made safe for more on the way: both kinds.
        let both = safe_name.without(SQL);
        assert_eq!(both.params_for(PATH) | both.params_for(SQL), 0);
        assert!(!both.has_param(PATH));
    }

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
