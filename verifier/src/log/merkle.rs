//! The RFC 6962 / RFC 9162 Merkle tree: hashes, roots, inclusion and
//! consistency proofs, and their verification (RFC 9162 §2.1.3.2, §2.1.4.2).
//!
//! Proofs are built from a [`Nodes`] source that answers "the hash of the
//! perfect subtree at level L, index i"; the on-disk tree cache
//! (`store::TreeCache`) and an in-memory tree both implement it, so a proof
//! in a million-record log costs about 2·log2(n) small reads.

use aws_lc_rs::digest::{self, SHA256};

/// A SHA-256 hash: a leaf, an interior node or a root.
pub type Hash = [u8; 32];

fn finish(ctx: digest::Context) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// `SHA-256(0x00 || data)`. (aws-lc's assembly SHA-256: the webhook
/// hashes every decision it logs, `log verify` every record.)
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = digest::Context::new(&SHA256);
    h.update(&[0u8]);
    h.update(data);
    finish(h)
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    let mut h = digest::Context::new(&SHA256);
    h.update(&buf);
    finish(h)
}

/// The root of the empty tree: `SHA-256()`.
pub fn empty_root() -> Hash {
    finish(digest::Context::new(&SHA256))
}

/// The largest power of two strictly below `n` (n > 1).
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The right edge of a growing tree: the roots of its perfect subtrees,
/// largest first (one per set bit of the size). Appending is amortised
/// O(1) hashes; the root at the current size costs O(log n).
#[derive(Clone, Debug, Default)]
pub struct CompactRange {
    size: u64,
    stack: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree's range.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// How many leaves have been appended (or seeded).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Start from known perfect-subtree roots (largest first, one per set
    /// bit of `size`), e.g. read from the tree cache.
    pub fn seed(&mut self, size: u64, stack: Vec<Hash>) {
        self.size = size;
        self.stack = stack;
    }

    /// Append a leaf hash; `completed(level, index, hash)` is called for
    /// every perfect subtree the append completes, the leaf first (level 0).
    pub fn push_with(&mut self, leaf: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        let index = self.size;
        completed(0, index, &leaf);
        let mut h = leaf;
        let mut level = 0u32;
        while (index >> level) & 1 == 1 {
            // The stack's last entry is the left sibling at this level.
            let Some(left) = self.stack.pop() else { break };
            h = node_hash(&left, &h);
            level += 1;
            completed(level, index >> level, &h);
        }
        self.stack.push(h);
        self.size += 1;
    }

    /// Append a leaf hash ([`CompactRange::push_with`] without the
    /// callback).
    pub fn push(&mut self, leaf: Hash) {
        self.push_with(leaf, |_, _, _| {});
    }

    /// The tree's root at its current size.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(last) => it.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// Hashes of perfect subtrees: `perfect(level, index)` covers leaves
/// `[index << level, (index + 1) << level)`.
pub trait Nodes {
    /// Why a node could not be had (missing, or unreadable).
    type Error;
    /// The hash of the perfect subtree of `2^level` leaves starting at
    /// leaf `index << level`.
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// `MTH(D[lo:hi])` for a range that the RFC's recursion produces (its start
/// aligned to its largest power-of-two part).
pub fn subtree_root<N: Nodes>(nodes: &N, lo: u64, hi: u64) -> Result<Hash, N::Error> {
    let n = hi - lo;
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return nodes.perfect(level, lo >> level);
    }
    let k = split(n);
    let left = subtree_root(nodes, lo, lo + k)?;
    let right = subtree_root(nodes, lo + k, hi)?;
    Ok(node_hash(&left, &right))
}

/// The root of the first `size` leaves.
pub fn root_at<N: Nodes>(nodes: &N, size: u64) -> Result<Hash, N::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    subtree_root(nodes, 0, size)
}

/// RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`.
pub fn inclusion_proof<N: Nodes>(nodes: &N, index: u64, size: u64) -> Result<Vec<Hash>, N::Error> {
    let mut proof = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    // Walk down from the root, collecting siblings; reversed at the end.
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            proof.push(subtree_root(nodes, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(subtree_root(nodes, lo, lo + k)?);
            lo += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 §2.1.4.1 consistency proof from `old` to `new` leaves.
pub fn consistency_proof<N: Nodes>(nodes: &N, old: u64, new: u64) -> Result<Vec<Hash>, N::Error> {
    let mut proof = Vec::new();
    if old == 0 || old >= new {
        return Ok(proof);
    }
    // SUBPROOF(m, D[lo:hi], b), unrolled.
    let (mut m, mut lo, hi_start) = (old, 0u64, new);
    let mut hi = hi_start;
    let mut complete = true;
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                proof.push(subtree_root(nodes, lo, hi)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            proof.push(subtree_root(nodes, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(subtree_root(nodes, lo, lo + k)?);
            m -= k;
            lo += k;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Why an inclusion or consistency proof does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// An inclusion proof for a leaf that is not in the tree.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexBeyondSize {
        /// The leaf's index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has more or fewer hashes than the sizes call for.
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    /// The proof's hashes do not recompute the given root (or roots).
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
    /// A consistency proof whose old tree is larger than its new one.
    #[error("the old tree size {old} is larger than the new one {new}")]
    Shrunk {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
}

/// RFC 9162 §2.1.3.2: verify an inclusion proof.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexBeyondSize { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: verify a consistency proof between two tree heads.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::Shrunk {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if old_size == 0 {
        // Every tree extends the empty one.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// A whole tree in memory, level by level (level 0 = leaves). Used when
/// the on-disk cache cannot be used, and in tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// How many leaves the tree holds.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Append a leaf hash, and every perfect subtree's hash it completes.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                break;
            }
            h = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
    }
}

/// A [`MemoryTree`] was asked for a perfect subtree it does not (yet)
/// hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("no node at level {level}, index {index}")]
pub struct MissingNode {
    /// The subtree's level (0 = a leaf).
    pub level: u32,
    /// The subtree's index at that level.
    pub index: u64,
}

impl Nodes for MemoryTree {
    type Error = MissingNode;
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH straight from RFC 9162 §2.1.1, recursively over the leaves.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("record {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn roots_match_the_recursive_definition() {
        let ls = leaves(70);
        let mut range = CompactRange::new();
        let mut tree = MemoryTree::new();
        assert_eq!(range.root(), mth(&[]));
        for (i, l) in ls.iter().enumerate() {
            range.push(*l);
            tree.push(*l);
            let expected = mth(&ls[..=i]);
            assert_eq!(range.root(), expected, "size {}", i + 1);
            assert_eq!(root_at(&tree, i as u64 + 1).unwrap(), expected);
        }
    }

    #[test]
    fn inclusion_proofs_verify_and_fail_when_altered() {
        let ls = leaves(37);
        let mut tree = MemoryTree::new();
        ls.iter().for_each(|l| tree.push(*l));
        for size in 1..=37u64 {
            let root = root_at(&tree, size).unwrap();
            for index in 0..size {
                let proof = inclusion_proof(&tree, index, size).unwrap();
                verify_inclusion(index, size, &ls[index as usize], &proof, &root).unwrap();
                let other = leaf_hash(b"other");
                assert!(verify_inclusion(index, size, &other, &proof, &root).is_err());
                if size > 1 {
                    assert!(verify_inclusion(
                        (index + 1) % size,
                        size,
                        &ls[index as usize],
                        &proof,
                        &root
                    )
                    .is_err());
                }
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_fail_for_forks() {
        let ls = leaves(33);
        let mut tree = MemoryTree::new();
        ls.iter().for_each(|l| tree.push(*l));
        let mut forked = ls.clone();
        forked[3] = leaf_hash(b"rewritten");
        let mut fork = MemoryTree::new();
        forked.iter().for_each(|l| fork.push(*l));
        for new in 1..=33u64 {
            let new_root = root_at(&tree, new).unwrap();
            for old in 0..=new {
                let old_root = root_at(&tree, old).unwrap();
                let proof = consistency_proof(&tree, old, new).unwrap();
                verify_consistency(old, new, &old_root, &new_root, &proof)
                    .unwrap_or_else(|e| panic!("{old} -> {new}: {e}"));
                if old > 3 {
                    let fork_root = root_at(&fork, new).unwrap();
                    let fork_proof = consistency_proof(&fork, old, new).unwrap();
                    assert!(
                        verify_consistency(old, new, &old_root, &fork_root, &fork_proof).is_err()
                    );
                }
            }
        }
    }
}
