// Shared-memory frame descriptor decoded from a JSON control message; its size fields feed raw allocators.
use serde::Deserialize;
use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::os::raw::c_void;

const MAX_SCRATCH: usize = 32 * 1024 * 1024;
const MAX_PLANES: usize = 4;
const MAX_PIXELS: usize = 64 * 1024 * 1024;

#[derive(Deserialize)]
pub struct FrameDescriptor {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub planes: usize,
    pub scratch_bytes: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PlaneInfo {
    pub offset: u64,
    pub len: u64,
}

pub struct Scratch {
    ptr: *mut u8,
    size: usize,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        unsafe { dealloc(self.ptr, Layout::from_size_align_unchecked(self.size, 8)) }
    }
}

pub fn decode(msg: &str) -> Result<FrameDescriptor, serde_json::Error> {
    serde_json::from_str(msg)
}

pub fn scratch_for(desc: &FrameDescriptor) -> Option<Scratch> {
    let size = desc.scratch_bytes;
    let ptr = unsafe { alloc(Layout::from_size_align(size, 8).ok()?) }; //~ unbounded-allocation
    Some(Scratch { ptr, size })
}

pub fn scratch_for_bounded(desc: &FrameDescriptor) -> Option<Scratch> {
    let size = desc.scratch_bytes;
    if size == 0 || size > MAX_SCRATCH {
        return None;
    }
    let ptr = unsafe { alloc(Layout::from_size_align(size, 8).ok()?) };
    Some(Scratch { ptr, size })
}

pub fn plane_table(desc: &FrameDescriptor) -> Option<*mut PlaneInfo> {
    let p = unsafe { alloc_zeroed(Layout::array::<PlaneInfo>(desc.planes).ok()?) }; //~ unbounded-allocation
    Some(p as *mut PlaneInfo)
}

pub fn plane_table_checked(desc: &FrameDescriptor) -> Option<*mut PlaneInfo> {
    if desc.planes == 0 || desc.planes > MAX_PLANES {
        return None;
    }
    let p = unsafe { alloc_zeroed(Layout::array::<PlaneInfo>(desc.planes).ok()?) };
    Some(p as *mut PlaneInfo)
}

/// Pixel storage is handed to a C encoder, so it comes from the C heap.
pub fn c_pixels(desc: &FrameDescriptor) -> *mut c_void {
    let bytes = desc.stride * desc.height;
    unsafe { libc::malloc(bytes) } //~ unbounded-allocation
}

pub fn c_pixels_checked(desc: &FrameDescriptor) -> Option<*mut c_void> {
    let bytes = desc.stride.checked_mul(desc.height)?;
    if bytes > MAX_PIXELS || desc.width > desc.stride {
        return None;
    }
    let p = unsafe { libc::malloc(bytes) };
    if p.is_null() {
        None
    } else {
        Some(p)
    }
}
