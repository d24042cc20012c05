// https://github.com/miniben-90/x-win/pull/47 (rustc: "a dangling pointer will be produced because the temporary `Vec<u16>` will be dropped")
pub fn lang_code_ptr(lang_code_string: &str) -> u32 {
    let lang_code_ptr: *const u16 = lang_code_string
        .encode_utf16()
        .chain(Some(0))
        .collect::<Vec<_>>()
        .as_ptr();
    unsafe { get_file_version_info(lang_code_ptr) } //~ dangling-pointer
}

pub fn fixed_lang_code_ptr(lang_code_string: &str) -> u32 {
    let lang_code: Vec<u16> = lang_code_string.encode_utf16().chain(Some(0)).collect();
    let lang_code_ptr: *const u16 = lang_code.as_ptr();
    unsafe { get_file_version_info(lang_code_ptr) }
}

unsafe fn get_file_version_info(_p: *const u16) -> u32 {
    0
}
