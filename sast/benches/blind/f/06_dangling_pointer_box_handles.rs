// C ABI for the session cache library: sessions are handed out to C callers as
// opaque handles and looked up again by id from the embedding application.
use std::collections::HashMap;
use std::os::raw::{c_char, c_int};
use std::sync::Mutex;

#[repr(C)]
pub struct Session {
    pub id: u64,
    pub user: [c_char; 32],
    pub expires_at: i64,
    pub closed: bool,
}

pub struct Config {
    pub ttl_secs: i64,
    pub max_sessions: usize,
}

struct Registry {
    by_id: HashMap<u64, *mut Session>,
}

unsafe impl Send for Registry {}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn with_registry<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = REGISTRY.lock().unwrap();
    let reg = guard.get_or_insert_with(|| Registry {
        by_id: HashMap::new(),
    });
    f(reg)
}

fn finalize(session: Box<Session>) -> u64 {
    let id = session.id;
    with_registry(|r| r.by_id.remove(&id));
    id
}

#[no_mangle]
pub extern "C" fn session_open(id: u64, now: i64) -> *mut Session {
    let boxed = Box::new(Session {
        id,
        user: [0; 32],
        expires_at: now + 3600,
        closed: false,
    });
    let raw = Box::into_raw(boxed);
    with_registry(|r| r.by_id.insert(id, raw));
    raw
}

#[no_mangle]
pub unsafe extern "C" fn session_close(handle: *mut Session) -> c_int {
    if handle.is_null() {
        return -1;
    }
    let session = Box::from_raw(handle);
    let id = finalize(session);
    let expired = (*handle).expires_at; //~ dangling-pointer
    log::debug!("closed session {} (expired at {})", id, expired);
    0
}

#[no_mangle]
pub unsafe extern "C" fn session_close_checked(handle: *mut Session) -> c_int {
    if handle.is_null() {
        return -1;
    }
    let expires = (*handle).expires_at;
    let id = finalize(Box::from_raw(handle));
    log::debug!("closed session {} (expired at {})", id, expires);
    0
}

#[no_mangle]
pub unsafe extern "C" fn session_evict(id: u64) {
    let ptr = with_registry(|r| r.by_id.get(&id).copied());
    if let Some(p) = ptr {
        drop(Box::from_raw(p));
    }
}

#[no_mangle]
pub unsafe extern "C" fn session_is_valid(id: u64, now: i64) -> bool {
    match with_registry(|r| r.by_id.get(&id).copied()) {
        Some(p) => !(*p).closed && (*p).expires_at > now, //~ dangling-pointer
        None => false,
    }
}

#[no_mangle]
pub unsafe extern "C" fn session_expire(id: u64) {
    if let Some(p) = with_registry(|r| r.by_id.remove(&id)) {
        let session = Box::from_raw(p);
        log::debug!("expired session {}", session.id);
    }
}

pub struct Cache {
    config: Box<Config>,
}

impl Cache {
    pub fn ttl_ptr(&self) -> *const i64 {
        &self.config.ttl_secs as *const i64
    }

    pub fn reload(&mut self, ttl_secs: i64, max_sessions: usize) {
        self.config = Box::new(Config {
            ttl_secs,
            max_sessions,
        });
    }

    pub fn reload_and_report(&mut self, ttl_secs: i64) -> i64 {
        let old_ttl = self.ttl_ptr();
        let max = self.config.max_sessions;
        self.reload(ttl_secs, max);
        unsafe { ttl_secs - *old_ttl } //~ dangling-pointer
    }

    pub fn reload_and_report_safe(&mut self, ttl_secs: i64) -> i64 {
        let old_ttl = unsafe { *self.ttl_ptr() };
        let max = self.config.max_sessions;
        self.reload(ttl_secs, max);
        ttl_secs - old_ttl
    }
}
