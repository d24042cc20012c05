//! Syntax trees kept between the rounds of a scan.
//!
//! `scan` analyses some files again in the cross-file rounds
//! (`crate::crosscrate`). Parsing a file is as expensive as analysing it,
//! so the worker thread that parsed a file keeps its tree (and its text)
//! and analyses it again in later rounds itself: a tree holds
//! `proc_macro2` spans, which are neither `Send` nor valid on another
//! thread. A tree takes about 25 times the size of its text, and keeping
//! every tree of the first pass costs more (memory to fault in, trees
//! dropped cold) than parsing again the few files the rounds take, so the
//! first pass keeps only the trees of files likely to be analysed again
//! (`crosscrate::Seen`), and later passes those of the files they
//! analyse. A scan keeps trees of at most [`KEEP_BYTES`] of source (split
//! between the workers), and `scan` drops the trees of files no later pass
//! may analyse again. Spans also keep per-thread memory (the thread's source map, with
//! a copy of every text parsed) until it is freed all at once, which
//! happens when no kept tree needs it any more or a worker's source map
//! holds more than [`SPAN_BYTES`]: then its trees are dropped too. A file
//! whose tree is not kept is read and parsed again when needed.
//!
//! This only saves work: an analysis of a kept tree is the analysis of the
//! same text parsed again.

use crate::HashMap;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Source bytes whose trees a scan keeps at most (split between the
/// workers).
pub(crate) const KEEP_BYTES: usize = 16 * 1024 * 1024;

/// Source bytes whose spans a worker holds at most (kept trees, and trees
/// dropped since its spans were last freed).
pub(crate) const SPAN_BYTES: usize = 4 * KEEP_BYTES;

/// This worker's share of [`KEEP_BYTES`].
fn keep_budget() -> usize {
    KEEP_BYTES / rayon::current_num_threads().max(1)
}

/// A file of a scan: the scan's id and the file's index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    scan: u64,
    pub(crate) index: usize,
}

/// An id for a new scan (trees of another scan are never used).
pub(crate) fn new_scan() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Key {
    pub(crate) fn new(scan: u64, index: usize) -> Key {
        Key { scan, index }
    }
}

/// A kept file: its text and its tree.
pub(crate) struct Kept {
    pub(crate) source: String,
    pub(crate) file: syn::File,
}

#[derive(Default)]
struct Store {
    scan: u64,
    files: HashMap<usize, Kept>,
    /// Source bytes of the kept trees.
    tree_bytes: usize,
    /// Source bytes parsed on this thread since its spans were last freed.
    span_bytes: usize,
}

impl Store {
    /// Free the spans if no kept tree needs them or there are too many.
    fn check_spans(&mut self) {
        if self.files.is_empty() || self.span_bytes > SPAN_BYTES {
            self.free();
        }
    }

    fn free(&mut self) {
        self.files.clear();
        self.tree_bytes = 0;
        self.span_bytes = 0;
        proc_macro2::extra::invalidate_current_thread_spans();
    }
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::default();
}

/// Take the kept tree of `key` (to give back with [`put`]).
pub(crate) fn take(key: Key) -> Option<Kept> {
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        if s.scan != key.scan {
            return None;
        }
        let kept = s.files.remove(&key.index)?;
        s.tree_bytes = s.tree_bytes.saturating_sub(kept.source.len());
        Some(kept)
    })
}

/// Keep a file's tree on this thread; `parsed_now` when it was just
/// parsed (not given back after [`take`]). Returns whether it is kept.
pub(crate) fn put(key: Key, kept: Kept, parsed_now: bool) -> bool {
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        if s.scan != key.scan {
            s.files.clear();
            s.tree_bytes = 0;
            s.scan = key.scan;
        }
        let len = kept.source.len();
        if parsed_now {
            s.span_bytes = s.span_bytes.saturating_add(len);
        }
        if s.tree_bytes.saturating_add(len) > keep_budget() || s.span_bytes > SPAN_BYTES {
            drop(kept);
            s.check_spans();
            return false;
        }
        s.tree_bytes += len;
        s.files.insert(key.index, kept);
        true
    })
}

/// Trees of `bytes` of source parsed on this thread were dropped: free
/// the thread's span memory, unless kept trees still need it (and it is
/// within the budget).
pub(crate) fn spans_done(bytes: usize) {
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        s.span_bytes = s.span_bytes.saturating_add(bytes);
        s.check_spans();
    });
}

/// Drop this thread's kept trees of files for which `wanted` is false.
pub(crate) fn retain(scan: u64, wanted: impl Fn(usize) -> bool) {
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        if s.scan != scan {
            return;
        }
        s.files.retain(|i, _| wanted(*i));
        s.tree_bytes = s.files.values().map(|k| k.source.len()).sum();
        s.check_spans();
    });
}

/// Drop this thread's kept trees and free its span memory (end of a scan).
pub(crate) fn clear() {
    STORE.with(|s| s.borrow_mut().free());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

    use super::*;

    fn kept(source: &str) -> Kept {
        Kept {
            source: source.to_string(),
            file: syn::parse_file(source).unwrap(),
        }
    }

    #[test]
    fn trees_are_kept_per_scan_and_spans_stay_valid() {
        std::thread::spawn(|| {
            let scan = new_scan();
            assert!(put(Key::new(scan, 3), kept("fn a() {}\n\nfn b() {}"), true));
            // Another file parsed and dropped meanwhile does not free the
            // kept tree's spans.
            drop(syn::parse_file("fn c() {}").unwrap());
            spans_done(9);
            let back = take(Key::new(scan, 3)).expect("kept");
            let syn::Item::Fn(b) = &back.file.items[1] else {
                panic!("not a function")
            };
            assert_eq!(b.sig.ident.span().start().line, 3);
            assert!(take(Key::new(scan, 3)).is_none());
            assert!(put(Key::new(scan, 3), back, false));
            // Another scan's key finds nothing.
            assert!(take(Key::new(new_scan(), 3)).is_none());
            clear();
        })
        .join()
        .unwrap();
    }

    #[test]
    fn over_the_budget_nothing_is_kept() {
        std::thread::spawn(|| {
            let scan = new_scan();
            assert!(put(Key::new(scan, 0), kept("fn a() {}"), true));
            spans_done(SPAN_BYTES);
            assert!(take(Key::new(scan, 0)).is_none());
            let big = Kept {
                source: " ".repeat(keep_budget() + 1),
                file: syn::parse_file("").unwrap(),
            };
            assert!(!put(Key::new(scan, 1), big, true));
            assert!(take(Key::new(scan, 1)).is_none());
            // Trees of files not wanted are dropped.
            assert!(put(Key::new(scan, 2), kept("fn a() {}"), true));
            assert!(put(Key::new(scan, 3), kept("fn b() {}"), true));
            retain(scan, |i| i == 3);
            assert!(take(Key::new(scan, 2)).is_none());
            assert!(take(Key::new(scan, 3)).is_some());
        })
        .join()
        .unwrap();
    }
}
