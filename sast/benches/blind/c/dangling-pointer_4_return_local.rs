// Helpers that build C-compatible views (points, labels, series) for a C plotting library.
use std::ffi::CString;
use std::mem::ManuallyDrop;
use std::os::raw::{c_char, c_int};

#[repr(C)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

static ORIGIN: Point = Point { x: 0.0, y: 0.0 };

extern "C" {
    fn plot_point(p: *const Point) -> c_int;
    fn plot_label(label: *const c_char) -> c_int;
    fn plot_register(points: *const Point, len: usize) -> c_int;
}

pub fn origin_ptr() -> *const Point {
    let origin = Point { x: 0.0, y: 0.0 };
    return &origin as *const Point; //~ dangling-pointer
}

pub fn static_origin_ptr() -> *const Point {
    &ORIGIN as *const Point
}

pub fn boxed_origin() -> *mut Point {
    Box::into_raw(Box::new(Point { x: 0.0, y: 0.0 }))
}

pub fn label_ptr(name: &str) -> *const u8 {
    let owned = format!("{}\0", name);
    return owned.as_ptr(); //~ dangling-pointer
}

pub fn plot_origin() -> c_int {
    let origin = Point { x: 0.0, y: 0.0 };
    unsafe { plot_point(&origin as *const Point) }
}

pub fn plot_named(name: &str, units: Option<&str>) -> c_int {
    let label_ptr: *const c_char;
    {
        let label = match units {
            Some(u) => format!("{} [{}]\0", name, u),
            None => format!("{}\0", name),
        };
        label_ptr = label.as_ptr() as *const c_char;
    }
    unsafe { plot_label(label_ptr) } //~ dangling-pointer
}

pub fn plot_named_ok(name: &str) -> c_int {
    let label = CString::new(name).unwrap_or_default();
    let rc = {
        let p = label.as_ptr();
        unsafe { plot_label(p) }
    };
    rc
}

/// Meant to leak the buffer so the C side can keep it for the process lifetime.
pub fn leak_for_c(points: Vec<Point>) -> (*const Point, usize) {
    let ptr = points.as_ptr();
    let len = points.len();
    std::mem::forget(ptr);
    return (ptr, len); //~ dangling-pointer
}

pub fn leak_for_c_ok(points: Vec<Point>) -> (*const Point, usize) {
    let points = ManuallyDrop::new(points);
    (points.as_ptr(), points.len())
}

pub fn register_series(points: Vec<Point>) -> c_int {
    let (ptr, len) = leak_for_c_ok(points);
    unsafe { plot_register(ptr, len) }
}
