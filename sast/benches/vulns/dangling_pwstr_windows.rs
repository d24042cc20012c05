// https://github.com/microsoft/windows-rs/issues/1342 via https://github.com/rust-lang/rust-clippy/issues/8015 (PWSTR from a temporary Vec<u16>)
pub struct PWSTR(pub *mut u16);

pub fn set_filter(filter: &str) -> u32 {
    let pwfilter = PWSTR(format!("{}\0", filter).encode_utf16().collect::<Vec<u16>>().as_mut_ptr());
    unsafe { set_filter_spec(pwfilter) } //~ dangling-pointer
}

pub fn fixed_set_filter(filter: &str) -> u32 {
    let mut wide: Vec<u16> = format!("{}\0", filter).encode_utf16().collect();
    let pwfilter = PWSTR(wide.as_mut_ptr());
    unsafe { set_filter_spec(pwfilter) }
}

unsafe fn set_filter_spec(_p: PWSTR) -> u32 {
    0
}
