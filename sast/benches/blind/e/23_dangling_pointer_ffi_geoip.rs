// Scenario: a Rust wrapper over a C geolocation library used by an edge proxy.
// Lookups take IPs from request headers; the C side keeps a progress callback.
use std::ffi::{c_char, c_int, c_void, CStr, CString};

#[repr(C)]
pub struct RawDb {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Default)]
pub struct RawRecord {
    country: [c_char; 3],
    asn: u32,
}

type ProgressCb = extern "C" fn(user: *mut c_void, done: c_int);

extern "C" {
    fn geo_open(path: *const c_char) -> *mut RawDb;
    fn geo_close(db: *mut RawDb);
    fn geo_set_locale(db: *mut RawDb, locale: *const c_char);
    fn geo_lookup(db: *mut RawDb, ip: *const c_char, out: *mut RawRecord) -> c_int;
    fn geo_reload(db: *mut RawDb, cb: ProgressCb, user: *mut c_void) -> c_int;
}

struct ReloadState {
    last_pct: c_int,
}

extern "C" fn on_progress(user: *mut c_void, done: c_int) {
    let st = unsafe { &mut *(user as *mut ReloadState) };
    st.last_pct = done;
}

pub struct GeoDb {
    raw: *mut RawDb,
    path: String,
}

impl GeoDb {
    fn path_ptr(&self) -> *const c_char {
        let c = CString::new(self.path.as_str()).expect("no NUL in path");
        c.as_ptr() //~ dangling-pointer
    }

    pub fn open(path: &str) -> Option<GeoDb> {
        let mut db = GeoDb {
            raw: std::ptr::null_mut(),
            path: path.to_owned(),
        };
        db.raw = unsafe { geo_open(db.path_ptr()) };
        (!db.raw.is_null()).then_some(db)
    }

    pub fn open_checked(path: &str) -> Option<GeoDb> {
        let c = CString::new(path).ok()?;
        let raw = unsafe { geo_open(c.as_ptr()) };
        drop(c);
        (!raw.is_null()).then(|| GeoDb {
            raw,
            path: path.to_owned(),
        })
    }

    pub fn set_locale(&mut self, accept_language: &str) {
        let tag = accept_language.split(',').next().unwrap_or("en").trim();
        let loc = CString::new(tag).unwrap_or_default().as_ptr(); //~ dangling-pointer
        unsafe { geo_set_locale(self.raw, loc) };
    }

    pub fn country(&self, ip: &str) -> Option<String> {
        let ip = CString::new(ip).ok()?;
        let mut rec = RawRecord::default();
        let rc = unsafe { geo_lookup(self.raw, ip.as_ptr(), &mut rec) };
        if rc != 0 {
            return None;
        }
        let cc = unsafe { CStr::from_ptr(rec.country.as_ptr()) };
        Some(cc.to_string_lossy().into_owned())
    }

    pub fn reload(&mut self) -> c_int {
        let state = Box::into_raw(Box::new(ReloadState { last_pct: 0 }));
        let rc = unsafe { geo_reload(self.raw, on_progress, state.cast()) };
        unsafe { drop(Box::from_raw(state)) };
        let pct = unsafe { (*state).last_pct }; //~ dangling-pointer
        if rc == 0 {
            pct
        } else {
            -rc
        }
    }

    pub fn reload_tracked(&mut self) -> c_int {
        let state = Box::into_raw(Box::new(ReloadState { last_pct: 0 }));
        let rc = unsafe { geo_reload(self.raw, on_progress, state.cast()) };
        let owned = unsafe { Box::from_raw(state) };
        if rc == 0 {
            owned.last_pct
        } else {
            -rc
        }
    }
}

impl Drop for GeoDb {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            unsafe { geo_close(self.raw) };
        }
    }
}

pub fn country_for(db: &mut GeoDb, forwarded_for: &str, accept_language: &str) -> Option<String> {
    db.set_locale(accept_language);
    let client_ip = forwarded_for
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())?;
    db.country(client_ip)
}
