// https://github.com/tomassedovic/tcod-rs/pull/241 (print_frame: `CString::new(..).unwrap().as_ptr()` kept after the CString is dropped)
use std::ffi::CString;
use std::os::raw::c_char;

extern "C" {
    fn TCOD_console_print_frame(con: *mut u8, x: i32, y: i32, w: i32, h: i32, clear: bool, fmt: *const c_char);
}

pub fn print_frame(con: *mut u8, x: i32, y: i32, w: i32, h: i32, title: Option<&str>) {
    let c_title = match title {
        Some(s) => CString::new(s).unwrap().as_ptr(),
        None => std::ptr::null(),
    };
    unsafe {
        TCOD_console_print_frame(con, x, y, w, h, true, c_title); //~ dangling-pointer
    }
}

pub fn fixed_print_frame(con: *mut u8, x: i32, y: i32, w: i32, h: i32, title: Option<&str>) {
    let c_title = title.map(|s| CString::new(s).unwrap());
    let ptr = match c_title {
        Some(ref s) => s.as_ptr(),
        None => std::ptr::null(),
    };
    unsafe {
        TCOD_console_print_frame(con, x, y, w, h, true, ptr);
    }
}
