// Issue 17, item 2: command and allocation sinks from the table.
use axum::extract::{Json, Query};
use std::alloc::{alloc, realloc, Layout};
use std::collections::HashMap;
use std::process::Command;

fn pos_program(Query(q): Query<HashMap<String, String>>) {
    let prog = q.get("tool").cloned().unwrap_or_default();
    let _ = Command::new(&prog).status(); //~ command-injection
}

async fn pos_shell(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    let line = format!("ping -c 1 {host}");
    let _ = Command::new("sh").arg("-c").arg(&line).output(); //~ command-injection
    let _ = tokio::process::Command::new("bash").args(["-c", &line]).output().await; //~ command-injection
}

fn neg_fixed_program(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    // An argument vector, no shell: the host is one argument of ping.
    let _ = Command::new("ping").arg("-c").arg("1").arg(&host).output();
}

fn neg_quoted_shell(Query(q): Query<HashMap<String, String>>) {
    let host = q.get("host").cloned().unwrap_or_default();
    let line = format!("ping -c 1 {}", shlex::try_quote(&host).unwrap());
    let _ = Command::new("sh").arg("-c").arg(&line).output();
}

#[derive(serde::Deserialize)]
struct Upload {
    len: usize,
    items: u32,
}

fn pos_alloc(Json(u): Json<Upload>) {
    let mut buf: Vec<u8> = Vec::with_capacity(u.len); //~ unbounded-allocation
    buf.reserve(u.items as usize); //~ unbounded-allocation
    let _pad = "=".repeat(u.len); //~ unbounded-allocation
    let _raw = unsafe { libc::malloc(u.len) }; //~ unbounded-allocation
}

unsafe fn pos_realloc(Json(u): Json<Upload>, p: *mut u8) {
    let old = Layout::from_size_align(16, 8).unwrap();
    let _q = realloc(p, old, u.len); //~ unbounded-allocation
}

unsafe fn pos_layout(Json(u): Json<Upload>) {
    // A layout is not memory: the allocation that uses it is reported.
    let layout = Layout::array::<u64>(u.len).unwrap();
    let _p = alloc(layout); //~ unbounded-allocation
}

fn neg_bounded(Json(u): Json<Upload>) {
    const MAX: usize = 1 << 20;
    let mut buf: Vec<u8> = Vec::with_capacity(u.len.min(MAX));
    if u.len > MAX {
        return;
    }
    buf.reserve(u.len);
    let _pad = "=".repeat(u.len);
}

fn neg_fixed_sizes() {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    buf.reserve(64);
    let _ = unsafe { libc::malloc(128) };
}
