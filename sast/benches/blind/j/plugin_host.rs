//! Native plugin host: loads C-ABI plugins and hands them host-owned state.

use std::ffi::{c_void, CStr};
use std::os::raw::{c_char, c_int};

#[repr(C)]
pub struct PluginVTable {
    pub name: extern "C" fn() -> *const c_char,
    pub version: extern "C" fn(out: *mut c_char, cap: usize) -> c_int,
    pub subscribe: extern "C" fn(cb: extern "C" fn(*mut c_void, u32), user: *mut c_void),
    pub unsubscribe: extern "C" fn(user: *mut c_void),
}

pub struct PluginState {
    pub id: u32,
    pub events: u64,
    pub label: String,
}

#[no_mangle]
pub extern "C" fn host_state_new(id: u32) -> *mut PluginState {
    let state = PluginState {
        id,
        events: 0,
        label: format!("plugin-{id}"),
    };
    Box::into_raw(Box::new(state))
}

/// # Safety
/// `ptr` must come from `host_state_new` and must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn host_state_free(ptr: *mut PluginState) {
    if !ptr.is_null() {
        drop(Box::from_raw(ptr));
    }
}

pub struct EventCtx {
    pub plugin: u32,
    pub seen: u64,
}

extern "C" fn on_event_owned(user: *mut c_void, code: u32) {
    let ctx = unsafe { Box::from_raw(user as *mut EventCtx) }; //~ dangling-pointer
    log::debug!("plugin {} event {} after {}", ctx.plugin, code, ctx.seen);
}

extern "C" fn on_event_borrowed(user: *mut c_void, code: u32) {
    let ctx = unsafe { &mut *(user as *mut EventCtx) };
    ctx.seen += 1;
    log::trace!("plugin {} event {}", ctx.plugin, code);
}

fn scratch_buffer() -> *mut c_char {
    let mut buf = [0 as c_char; 128];
    buf.as_mut_ptr()
}

fn plugin_version(vt: &PluginVTable) -> Option<String> {
    let out = scratch_buffer();
    let rc = (vt.version)(out, 128); //~ dangling-pointer
    if rc != 0 {
        return None;
    }
    Some(
        unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned(),
    )
}

fn plugin_version_owned(vt: &PluginVTable) -> Option<String> {
    let mut buf = vec![0 as c_char; 128];
    if (vt.version)(buf.as_mut_ptr(), buf.len()) != 0 {
        return None;
    }
    Some(
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

pub struct Host {
    plugins: Vec<&'static PluginVTable>,
    states: Vec<*mut PluginState>,
    contexts: Vec<*mut EventCtx>,
}

impl Host {
    pub fn new() -> Self {
        Self {
            plugins: Vec::new(),
            states: Vec::new(),
            contexts: Vec::new(),
        }
    }

    pub fn attach(&mut self, vt: &'static PluginVTable, legacy_abi: bool) -> u32 {
        let id = self.plugins.len() as u32;
        self.plugins.push(vt);
        self.states.push(host_state_new(id));
        let ctx = Box::into_raw(Box::new(EventCtx {
            plugin: id,
            seen: 0,
        }));
        self.contexts.push(ctx);
        let cb = if legacy_abi {
            on_event_owned
        } else {
            on_event_borrowed
        };
        (vt.subscribe)(cb, ctx as *mut c_void);
        id
    }

    pub fn reset_state(&mut self, idx: usize) -> u64 {
        let old = self.states[idx];
        unsafe { host_state_free(old) };
        let carried = unsafe { (*old).events }; //~ dangling-pointer
        self.states[idx] = host_state_new(idx as u32);
        carried
    }

    pub fn reset_state_checked(&mut self, idx: usize) -> u64 {
        let old = self.states[idx];
        let carried = unsafe { (*old).events };
        unsafe { host_state_free(old) };
        self.states[idx] = host_state_new(idx as u32);
        carried
    }

    pub fn describe(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::with_capacity(1);
        names.push("host".to_owned());
        let host_entry = names.as_ptr();
        for vt in &self.plugins {
            let raw = unsafe { CStr::from_ptr((vt.name)()) };
            let version = plugin_version(vt).or_else(|| plugin_version_owned(vt));
            names.push(format!(
                "{} {}",
                raw.to_string_lossy(),
                version.unwrap_or_default()
            ));
        }
        let first = unsafe { &*host_entry }; //~ dangling-pointer
        log::info!("host {} with {} plugins", first, names.len() - 1);
        names
    }

    pub fn labels(&self) -> Vec<String> {
        let head = self.states.as_ptr();
        let count = self.states.len();
        (0..count)
            .map(|i| unsafe { (**head.add(i)).label.clone() })
            .collect()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        for (vt, ctx) in self.plugins.iter().zip(&self.contexts) {
            (vt.unsubscribe)(*ctx as *mut c_void);
        }
        for state in self.states.drain(..) {
            unsafe { host_state_free(state) };
        }
    }
}
