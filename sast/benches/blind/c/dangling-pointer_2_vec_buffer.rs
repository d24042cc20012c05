// Audio sample buffers submitted to a C mixer (libmix); raw pointers into Rust Vecs cross the FFI boundary.
use std::os::raw::c_int;

extern "C" {
    fn mix_submit(samples: *const i16, count: usize) -> c_int;
    fn mix_checksum(bytes: *const u8, len: usize) -> u32;
}

pub struct Voice {
    pub id: u32,
    pub samples: Vec<i16>,
}

fn archive(buf: Vec<u8>) -> usize {
    buf.len()
}

pub fn submit_and_release(samples: Vec<i16>) -> c_int {
    let ptr = samples.as_ptr();
    let len = samples.len();
    drop(samples);
    unsafe { mix_submit(ptr, len) } //~ dangling-pointer
}

pub fn submit_then_release(samples: Vec<i16>) -> c_int {
    let ptr = samples.as_ptr();
    let rc = unsafe { mix_submit(ptr, samples.len()) };
    drop(samples);
    rc
}

pub fn first_sample_after_append(mut buf: Vec<i16>, extra: &[i16]) -> i16 {
    let head = buf.as_ptr();
    for s in extra {
        buf.push(*s);
    }
    unsafe { *head } //~ dangling-pointer
}

pub fn first_sample_after_extend(mut buf: Vec<i16>, extra: &[i16]) -> Option<i16> {
    buf.extend_from_slice(extra);
    if buf.is_empty() {
        return None;
    }
    let head = buf.as_ptr();
    Some(unsafe { *head })
}

pub fn checksum_after_archive(frame: Vec<u8>) -> u32 {
    let p = frame.as_ptr();
    let len = frame.len();
    let _archived = archive(frame);
    unsafe { mix_checksum(p, len) } //~ dangling-pointer
}

pub fn checksum_before_archive(frame: Vec<u8>) -> (u32, usize) {
    let sum = unsafe { mix_checksum(frame.as_ptr(), frame.len()) };
    (sum, archive(frame))
}

pub fn mix_voices(voices: &mut Vec<Voice>) -> c_int {
    let mut rc = 0;
    for v in voices.iter() {
        rc |= unsafe { mix_submit(v.samples.as_ptr(), v.samples.len()) };
    }
    rc
}

pub fn mix_and_recycle(voices: &mut Vec<Voice>) -> c_int {
    let mut rc = 0;
    for v in voices.iter_mut() {
        let p = v.samples.as_ptr();
        let n = v.samples.len();
        v.samples = Vec::with_capacity(n);
        rc |= unsafe { mix_submit(p, n) }; //~ dangling-pointer
    }
    rc
}
