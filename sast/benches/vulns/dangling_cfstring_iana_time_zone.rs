// https://github.com/strawlab/iana-time-zone/pull/54 (RUSTSEC-2022-0049: the CFString owning the C string is released at the end of one closure, the pointer is read in the next; fix commit 0819f92)
use core_foundation_sys::base::{CFRelease, CFTypeRef};
use core_foundation_sys::string::{kCFStringEncodingUTF8, CFStringGetCStringPtr};
use core_foundation_sys::timezone::{CFTimeZoneCopySystem, CFTimeZoneGetName};

#[derive(Debug)]
pub enum GetTimezoneError {
    OsError,
}

pub fn get_timezone_inner() -> Result<String, GetTimezoneError> {
    unsafe {
        Dropping::new(CFTimeZoneCopySystem())
            .and_then(|tz| Dropping::new(CFTimeZoneGetName(tz.0)))
            .and_then(|name| {
                let name = CFStringGetCStringPtr(name.0, kCFStringEncodingUTF8);
                if name.is_null() {
                    None
                } else {
                    Some(name)
                }
            })
            .and_then(|name| std::ffi::CStr::from_ptr(name).to_str().ok()) //~ dangling-pointer
            .map(|name| name.to_owned())
            .ok_or(GetTimezoneError::OsError)
    }
}

pub fn fixed_get_timezone_inner() -> Result<String, GetTimezoneError> {
    unsafe {
        if let Some(tz) = Dropping::new(CFTimeZoneCopySystem()) {
            if let Some(name) = Dropping::new(CFTimeZoneGetName(tz.0)) {
                let name = CFStringGetCStringPtr(name.0, kCFStringEncodingUTF8);
                if !name.is_null() {
                    let name = std::ffi::CStr::from_ptr(name);
                    if let Ok(name) = name.to_str() {
                        return Ok(name.to_owned());
                    }
                }
            }
        }
    }
    Err(GetTimezoneError::OsError)
}

struct Dropping<T>(*const T);

impl<T> Drop for Dropping<T> {
    #[inline]
    fn drop(&mut self) {
        unsafe { CFRelease(self.0 as CFTypeRef) };
    }
}

impl<T> Dropping<T> {
    #[inline]
    unsafe fn new(v: *const T) -> Option<Self> {
        if v.is_null() {
            None
        } else {
            Some(Self(v))
        }
    }
}
