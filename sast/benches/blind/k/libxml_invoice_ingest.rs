//! UBL invoice ingestion built on the system libxml2 (raw FFI).

use std::ffi::{CStr, CString};
use std::io::{self, Read};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

const XML_PARSE_RECOVER: c_int = 1 << 0;
const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_DTDATTR: c_int = 1 << 3;
const XML_PARSE_DTDVALID: c_int = 1 << 4;
const XML_PARSE_NOERROR: c_int = 1 << 5;
const XML_PARSE_NOWARNING: c_int = 1 << 6;
const XML_PARSE_NONET: c_int = 1 << 11;

const MAX_BODY: usize = 2 * 1024 * 1024;

#[repr(C)]
pub struct XmlDoc {
    _opaque: [u8; 0],
}

#[repr(C)]
pub struct XmlParserCtxt {
    _opaque: [u8; 0],
}

/// Leading fields of libxml2's `struct _xmlNode`.
#[repr(C)]
pub struct XmlNode {
    _private: *mut c_void,
    kind: c_int,
    name: *const u8,
    children: *mut XmlNode,
    last: *mut XmlNode,
    parent: *mut XmlNode,
    next: *mut XmlNode,
}

#[link(name = "xml2")]
extern "C" {
    fn xmlReadMemory(
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut XmlDoc;
    fn xmlReadFile(filename: *const c_char, encoding: *const c_char, options: c_int)
        -> *mut XmlDoc;
    fn xmlNewParserCtxt() -> *mut XmlParserCtxt;
    fn xmlCtxtReadMemory(
        ctxt: *mut XmlParserCtxt,
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut XmlDoc;
    fn xmlFreeParserCtxt(ctxt: *mut XmlParserCtxt);
    fn xmlFreeDoc(doc: *mut XmlDoc);
    fn xmlDocGetRootElement(doc: *const XmlDoc) -> *mut XmlNode;
    fn xmlNodeGetContent(node: *const XmlNode) -> *mut u8;
    static xmlFree: Option<unsafe extern "C" fn(*mut c_void)>;
}

pub struct Document(*mut XmlDoc);

impl Drop for Document {
    fn drop(&mut self) {
        // SAFETY: the pointer came from one of the xmlRead* functions and is owned here.
        unsafe { xmlFreeDoc(self.0) }
    }
}

fn legacy_options() -> c_int {
    XML_PARSE_RECOVER | XML_PARSE_NOENT | XML_PARSE_DTDLOAD
}

fn strict_options() -> c_int {
    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
}

pub fn parse_legacy_invoice(body: &[u8]) -> Option<Document> {
    let opts = legacy_options();
    let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
    // SAFETY: body is a valid slice for the duration of the call.
    let doc = unsafe { xmlReadMemory(buf, len, ptr::null(), ptr::null(), opts) }; //~ xxe
    (!doc.is_null()).then(|| Document(doc))
}

pub fn parse_invoice(body: &[u8]) -> Option<Document> {
    let opts = strict_options();
    let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
    // SAFETY: body is a valid slice for the duration of the call.
    let doc = unsafe { xmlReadMemory(buf, len, ptr::null(), ptr::null(), opts) };
    (!doc.is_null()).then(|| Document(doc))
}

pub fn parse_with_entities(body: &[u8]) -> Option<Document> {
    // SAFETY: the context is created and released within this function.
    unsafe {
        let ctxt = xmlNewParserCtxt();
        if ctxt.is_null() {
            return None;
        }
        let opts = XML_PARSE_NOENT | XML_PARSE_DTDVALID;
        let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
        let doc = xmlCtxtReadMemory(ctxt, buf, len, ptr::null(), ptr::null(), opts); //~ xxe
        xmlFreeParserCtxt(ctxt);
        (!doc.is_null()).then(|| Document(doc))
    }
}

pub struct ArchiveLoader {
    flags: c_int,
}

impl ArchiveLoader {
    pub fn with_dtd_defaults() -> Self {
        ArchiveLoader {
            flags: XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR,
        }
    }

    pub fn hardened() -> Self {
        ArchiveLoader {
            flags: XML_PARSE_NONET,
        }
    }

    pub fn load(&self, path: &str) -> Option<Document> {
        let c_path = CString::new(path).ok()?;
        // SAFETY: c_path is alive for the whole call.
        let doc = unsafe { xmlReadFile(c_path.as_ptr(), ptr::null(), self.flags) }; //~ xxe
        (!doc.is_null()).then(|| Document(doc))
    }
}

fn root_of(body: &[u8]) -> *mut XmlNode {
    match parse_invoice(body) {
        // SAFETY: doc is a valid document returned by libxml2.
        Some(doc) => unsafe { xmlDocGetRootElement(doc.0) },
        None => ptr::null_mut(),
    }
}

pub fn root_name(body: &[u8]) -> Option<String> {
    let root = root_of(body);
    if root.is_null() {
        return None;
    }
    // SAFETY: root is non-null and libxml2 keeps element names NUL-terminated.
    let name = unsafe { CStr::from_ptr((*root).name as *const c_char) }; //~ dangling-pointer
    Some(name.to_string_lossy().into_owned())
}

pub fn root_text(doc: &Document) -> Option<String> {
    // SAFETY: doc is alive for this borrow; content is released with xmlFree.
    unsafe {
        let root = xmlDocGetRootElement(doc.0);
        if root.is_null() {
            return None;
        }
        let content = xmlNodeGetContent(root);
        if content.is_null() {
            return None;
        }
        if let Some(free) = xmlFree {
            free(content as *mut c_void);
        }
        let text = CStr::from_ptr(content as *const c_char); //~ dangling-pointer
        Some(text.to_string_lossy().into_owned())
    }
}

fn declared_length(headers: &[(String, String)]) -> usize {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

pub fn read_upload<R: Read>(r: &mut R, headers: &[(String, String)]) -> io::Result<Vec<u8>> {
    let len = declared_length(headers);
    let mut body = vec![0u8; len]; //~ unbounded-allocation
    r.read_exact(&mut body)?;
    Ok(body)
}

pub fn read_upload_capped<R: Read>(r: &mut R, headers: &[(String, String)]) -> io::Result<Vec<u8>> {
    let len = declared_length(headers);
    if len > MAX_BODY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "invoice too large",
        ));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(body)
}
