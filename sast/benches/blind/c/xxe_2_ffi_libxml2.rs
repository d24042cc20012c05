// Raw libxml2 FFI used by a SOAP endpoint adapter; option flags are passed straight to xmlReadMemory.
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

#[repr(C)]
pub struct XmlDoc {
    _private: [u8; 0],
}

const XML_PARSE_RECOVER: c_int = 1 << 0;
const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_NOERROR: c_int = 1 << 5;
const XML_PARSE_NOWARNING: c_int = 1 << 6;
const XML_PARSE_NONET: c_int = 1 << 11;

extern "C" {
    fn xmlReadMemory(
        buffer: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut XmlDoc;
    fn xmlFreeDoc(doc: *mut XmlDoc);
    fn xmlDocGetRootElement(doc: *mut XmlDoc) -> *mut c_void;
    fn xmlNodeGetContent(node: *mut c_void) -> *mut c_char;
    fn xmlFree(p: *mut c_void);
}

pub enum Dialect {
    Soap12,
    Soap11Legacy,
    Fragment,
}

pub struct OwnedDoc(*mut XmlDoc);

impl Drop for OwnedDoc {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.0) }
    }
}

pub fn parse_envelope(body: &[u8], dialect: Dialect) -> Option<OwnedDoc> {
    let len = c_int::try_from(body.len()).ok()?;
    let buf = body.as_ptr() as *const c_char;
    let url = CString::new("envelope.xml").ok()?;
    let doc = match dialect {
        Dialect::Soap12 => unsafe { xmlReadMemory(buf, len, url.as_ptr(), ptr::null(), XML_PARSE_NONET | XML_PARSE_NOERROR) },
        Dialect::Soap11Legacy => unsafe { xmlReadMemory(buf, len, url.as_ptr(), ptr::null(), XML_PARSE_NOENT | XML_PARSE_DTDLOAD) }, //~ xxe
        Dialect::Fragment => unsafe { xmlReadMemory(buf, len, url.as_ptr(), ptr::null(), XML_PARSE_RECOVER | XML_PARSE_NOWARNING) },
    };
    if doc.is_null() {
        None
    } else {
        Some(OwnedDoc(doc))
    }
}

/// WS-Policy attachments fetched from partner endpoints.
pub fn parse_policy(body: &str) -> Option<String> {
    let c_body = CString::new(body).ok()?;
    let doc = unsafe { xmlReadMemory(c_body.as_ptr(), body.len() as c_int, ptr::null(), ptr::null(), XML_PARSE_NOENT) }; //~ xxe
    if doc.is_null() {
        return None;
    }
    let owned = OwnedDoc(doc);
    unsafe {
        let root = xmlDocGetRootElement(owned.0);
        let content = xmlNodeGetContent(root);
        let text = CStr::from_ptr(content).to_string_lossy().into_owned();
        xmlFree(content as *mut c_void);
        Some(text)
    }
}

pub fn parse_policy_strict(body: &str) -> Option<OwnedDoc> {
    let c_body = CString::new(body).ok()?;
    let doc = unsafe { xmlReadMemory(c_body.as_ptr(), body.len() as c_int, ptr::null(), ptr::null(), XML_PARSE_NONET) };
    (!doc.is_null()).then(|| OwnedDoc(doc))
}
