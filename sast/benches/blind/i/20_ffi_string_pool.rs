//! C ABI of `strpool`, the interning string pool embedded by the C++ search
//! frontend. Every entry point takes an opaque `Pool` handle.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

pub struct Pool {
    arena: Vec<u8>,
    offsets: HashMap<String, usize>,
    last_hash: u64,
    released_bytes: usize,
}

#[repr(C)]
pub struct Config {
    pub generation: u64,
    pub max_bytes: usize,
    pub case_fold: bool,
}

type Listener = extern "C" fn(generation: u64, max_bytes: usize);

static LISTENERS: Mutex<Vec<Listener>> = Mutex::new(Vec::new());
static TRACE: AtomicBool = AtomicBool::new(false);

unsafe fn fnv1a(data: *const u8, len: usize) -> u64 {
    let bytes = std::slice::from_raw_parts(data, len);
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Pool {
    fn arena_base(&self) -> *const u8 {
        self.arena.as_ptr()
    }

    fn append(&mut self, bytes: &[u8]) -> usize {
        let off = self.arena.len();
        self.arena.extend_from_slice(bytes);
        self.arena.push(0);
        off
    }
}

#[no_mangle]
pub extern "C" fn strpool_new(capacity: usize) -> *mut Pool {
    let pool = Pool {
        arena: Vec::with_capacity(capacity.min(1 << 24)),
        offsets: HashMap::new(),
        last_hash: 0,
        released_bytes: 0,
    };
    Box::into_raw(Box::new(pool))
}

#[no_mangle]
pub unsafe extern "C" fn strpool_free(pool: *mut Pool) {
    if !pool.is_null() {
        drop(Box::from_raw(pool));
    }
}

/// Interns `s` and returns its offset in the arena, or -1 on bad input.
#[no_mangle]
pub unsafe extern "C" fn strpool_intern(pool: *mut Pool, s: *const c_char) -> isize {
    if pool.is_null() || s.is_null() {
        return -1;
    }
    let pool = &mut *pool;
    let key = CStr::from_ptr(s).to_string_lossy().into_owned();
    if let Some(&off) = pool.offsets.get(&key) {
        return off as isize;
    }
    let base = pool.arena_base();
    let off = pool.append(key.as_bytes());
    pool.last_hash = fnv1a(base.add(off), key.len()); //~ dangling-pointer
    pool.offsets.insert(key, off);
    off as isize
}

/// Hash of the string stored at `off`; used by the frontend's shard router.
#[no_mangle]
pub unsafe extern "C" fn strpool_hash_at(pool: *const Pool, off: usize) -> u64 {
    let pool = &*pool;
    match pool
        .arena
        .get(off..)
        .and_then(|t| t.iter().position(|b| *b == 0))
    {
        Some(len) => fnv1a(pool.arena_base().add(off), len),
        None => 0,
    }
}

/// Borrowed pointer into the arena; valid until the next `strpool_intern`.
#[no_mangle]
pub unsafe extern "C" fn strpool_get(pool: *const Pool, off: usize) -> *const c_char {
    match (*pool).arena.get(off..) {
        Some(tail) if !tail.is_empty() => tail.as_ptr() as *const c_char,
        _ => ptr::null(),
    }
}

unsafe fn folded(pool: *const Pool, off: usize) -> Option<CString> {
    let raw = strpool_get(pool, off);
    if raw.is_null() {
        return None;
    }
    CString::new(CStr::from_ptr(raw).to_string_lossy().to_lowercase()).ok()
}

/// Case-folded view of the string at `off`, for case-insensitive matching.
#[no_mangle]
pub unsafe extern "C" fn strpool_get_folded(pool: *const Pool, off: usize) -> *const c_char {
    match folded(pool, off) {
        Some(s) => s.as_ptr(), //~ dangling-pointer
        None => ptr::null(),
    }
}

/// Owned case-folded copy; release with `strpool_string_release`.
#[no_mangle]
pub unsafe extern "C" fn strpool_dup_folded(pool: *const Pool, off: usize) -> *mut c_char {
    folded(pool, off).map_or(ptr::null_mut(), CString::into_raw)
}

#[no_mangle]
pub unsafe extern "C" fn strpool_string_release(pool: *mut Pool, s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let owned = CString::from_raw(s);
    (*pool).released_bytes += owned.as_bytes().len();
    drop(owned);
    if TRACE.load(Ordering::Relaxed) {
        eprintln!("strpool: released {:?}", CStr::from_ptr(s)); //~ dangling-pointer
    }
}

#[no_mangle]
pub extern "C" fn strpool_on_config(listener: Listener) {
    LISTENERS.lock().unwrap().push(listener);
}

unsafe fn notify_listeners(cfg: *const Config) {
    let (generation, max_bytes) = ((*cfg).generation, (*cfg).max_bytes);
    for listener in LISTENERS.lock().unwrap().iter() {
        listener(generation, max_bytes);
    }
}

unsafe fn log_retired(cfg: *const Config) {
    if TRACE.load(Ordering::Relaxed) {
        eprintln!("strpool: config generation {} retired", (*cfg).generation);
    }
}

/// Installs a new configuration in `*slot`, freeing the previous one.
#[no_mangle]
pub unsafe extern "C" fn strpool_config_replace(
    slot: *mut *mut Config,
    max_bytes: usize,
    case_fold: c_int,
) -> c_int {
    let old = *slot;
    let generation = if old.is_null() {
        1
    } else {
        (*old).generation + 1
    };
    let fresh = Box::new(Config {
        generation,
        max_bytes,
        case_fold: case_fold != 0,
    });
    *slot = Box::into_raw(fresh);
    notify_listeners(*slot);
    if !old.is_null() {
        drop(Box::from_raw(old));
        log_retired(old); //~ dangling-pointer
    }
    0
}
