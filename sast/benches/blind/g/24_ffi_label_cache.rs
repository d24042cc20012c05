use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::mem;

extern "C" {
    fn ui_set_label(id: u32, text: *const c_char);
    fn ui_draw(buf: *const u8, len: usize);
}

pub struct Entry {
    name: String,
    value: Vec<u8>,
}

pub struct LabelCache {
    entries: HashMap<u32, *mut Entry>,
    buf: Vec<u8>,
    owned: Vec<CString>,
    recycled: usize,
}

fn configured_capacity() -> usize {
    std::env::var("LABEL_CACHE_ENTRIES").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(128)
}

impl LabelCache {
    pub fn from_env() -> Self {
        let n = configured_capacity();
        let owned = Vec::with_capacity(n); //~ unbounded-allocation
        let entries = HashMap::with_capacity(n.min(4096));
        LabelCache { entries, buf: Vec::new(), owned, recycled: 0 }
    }

    pub fn insert(&mut self, id: u32, name: &str, value: &[u8]) {
        let raw = Box::into_raw(Box::new(Entry { name: name.to_string(), value: value.to_vec() }));
        if let Some(old) = self.entries.insert(id, raw) {
            unsafe { drop(Box::from_raw(old)) };
        }
    }

    fn label_ptr(&self, id: u32) -> *const c_char {
        let e = unsafe { &*self.entries[&id] };
        CString::new(e.name.as_str()).unwrap_or_default().as_ptr()
    }

    fn label_owned(&mut self, id: u32) -> *const c_char {
        let e = unsafe { &*self.entries[&id] };
        let c = CString::new(e.name.as_str()).unwrap_or_default();
        let p = c.as_ptr();
        self.owned.push(c);
        p
    }

    pub fn show(&self, id: u32) {
        let p = self.label_ptr(id);
        unsafe { ui_set_label(id, p) }; //~ dangling-pointer
    }

    pub fn show_owned(&mut self, id: u32) {
        let p = self.label_owned(id);
        unsafe { ui_set_label(id, p) };
    }

    fn evict(&mut self, id: u32) -> Option<*mut Entry> {
        let raw = self.entries.remove(&id)?;
        unsafe { drop(Box::from_raw(raw)) };
        Some(raw)
    }

    pub fn evict_and_len(&mut self, id: u32) -> usize {
        match self.evict(id) {
            Some(raw) => unsafe { (*raw).value.len() }, //~ dangling-pointer
            None => 0,
        }
    }

    pub fn value_len(&self, id: u32) -> usize {
        self.entries.get(&id).map_or(0, |raw| unsafe { (**raw).value.len() })
    }

    pub fn stage(&mut self, header: &[u8], body: &[u8]) {
        self.buf.clear();
        self.buf.extend_from_slice(header);
        let hdr_ptr = self.buf.as_mut_ptr();
        unsafe { *hdr_ptr = header.len() as u8 };
        self.buf.extend_from_slice(body);
        unsafe { *hdr_ptr |= 0x80 }; //~ dangling-pointer
        unsafe { ui_draw(self.buf.as_ptr(), self.buf.len()) };
    }

    fn recycle(&mut self, old: Vec<u8>) {
        self.recycled += old.len();
    }

    pub fn flush(&mut self) -> u8 {
        let (p, n) = (self.buf.as_ptr(), self.buf.len());
        let old = mem::take(&mut self.buf);
        unsafe { ui_draw(p, n) };
        self.recycle(old);
        if n == 0 { 0 } else { unsafe { *p } } //~ dangling-pointer
    }

    pub fn draw_blank(&self) {
        let p = {
            let blank = [b' '; 64];
            blank.as_ptr()
        };
        unsafe { ui_draw(p, 64) }; //~ dangling-pointer
    }

    pub fn draw_blank_static(&self) {
        static BLANK: [u8; 64] = [b' '; 64];
        unsafe { ui_draw(BLANK.as_ptr(), BLANK.len()) };
    }
}

#[no_mangle]
pub extern "C" fn label_free(p: *mut c_char) -> usize {
    if p.is_null() {
        return 0;
    }
    let len = unsafe { CStr::from_ptr(p) }.to_bytes().len();
    unsafe { drop(CString::from_raw(p)) };
    len
}

pub fn roundtrip(s: &str) -> String {
    let raw = CString::new(s).unwrap_or_default().into_raw();
    let freed = label_free(raw);
    let text = unsafe { CStr::from_ptr(raw) }.to_string_lossy().into_owned(); //~ dangling-pointer
    format!("{} ({} bytes)", text, freed)
}
