//! Import of supplier invoices (UBL 2.1 XML) through a thin libxml2 binding.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

#[repr(C)]
pub struct XmlDoc {
    _opaque: [u8; 0],
}

#[repr(C)]
pub struct XmlNode {
    _private: *mut c_void,
    kind: c_int,
    name: *const u8,
    children: *mut XmlNode,
    last: *mut XmlNode,
    parent: *mut XmlNode,
    next: *mut XmlNode,
    prev: *mut XmlNode,
    doc: *mut XmlDoc,
}

#[link(name = "xml2")]
extern "C" {
    fn xmlReadMemory(
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        enc: *const c_char,
        options: c_int,
    ) -> *mut XmlDoc;
    fn xmlReadFile(filename: *const c_char, enc: *const c_char, options: c_int) -> *mut XmlDoc;
    fn xmlFreeDoc(doc: *mut XmlDoc);
    fn xmlDocGetRootElement(doc: *const XmlDoc) -> *mut XmlNode;
    fn xmlNodeGetContent(node: *const XmlNode) -> *mut u8;
    static xmlFree: unsafe extern "C" fn(*mut c_void);
}

const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_NOERROR: c_int = 1 << 5;
const XML_PARSE_NONET: c_int = 1 << 11;
const XML_PARSE_HUGE: c_int = 1 << 19;
const ELEMENT_NODE: c_int = 1;

#[derive(Debug)]
pub enum ImportError {
    TooLarge,
    Malformed,
    BadPath,
}

pub struct Document {
    raw: *mut XmlDoc,
}

impl Drop for Document {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.raw) }
    }
}

fn wrap(raw: *mut XmlDoc) -> Result<Document, ImportError> {
    if raw.is_null() {
        Err(ImportError::Malformed)
    } else {
        Ok(Document { raw })
    }
}

unsafe fn node_text(node: *const XmlNode) -> String {
    let raw = xmlNodeGetContent(node);
    if raw.is_null() {
        return String::new();
    }
    let text = CStr::from_ptr(raw.cast()).to_string_lossy().into_owned();
    xmlFree(raw.cast());
    text
}

impl Document {
    /// Text of the first direct child of the root element called `name`.
    pub fn child_text(&self, name: &str) -> Option<String> {
        unsafe {
            let root = xmlDocGetRootElement(self.raw);
            let mut cur = if root.is_null() {
                ptr::null_mut()
            } else {
                (*root).children
            };
            while !cur.is_null() {
                let tag = CStr::from_ptr((*cur).name.cast());
                if (*cur).kind == ELEMENT_NODE && tag.to_bytes() == name.as_bytes() {
                    return Some(node_text(cur));
                }
                cur = (*cur).next;
            }
            None
        }
    }
}

pub struct Importer {
    options: c_int,
    base_url: CString,
}

impl Importer {
    /// Partner feeds reference shared entity sets for currency and unit codes.
    pub fn partner_feed() -> Importer {
        Importer {
            options: XML_PARSE_DTDLOAD | XML_PARSE_NOENT | XML_PARSE_NOERROR,
            base_url: CString::new("https://partners.example.com/ubl/").unwrap(),
        }
    }

    pub fn parse(&self, bytes: &[u8]) -> Result<Document, ImportError> {
        let len = c_int::try_from(bytes.len()).map_err(|_| ImportError::TooLarge)?;
        let (buf, url) = (bytes.as_ptr().cast(), self.base_url.as_ptr());
        let doc = unsafe { xmlReadMemory(buf, len, url, ptr::null(), self.options) }; //~ xxe
        wrap(doc)
    }
}

/// Quick structural check run by the upload endpoint before queueing.
pub fn validate_envelope(bytes: &[u8]) -> Result<Document, ImportError> {
    let len = c_int::try_from(bytes.len()).map_err(|_| ImportError::TooLarge)?;
    let flags = XML_PARSE_NONET | XML_PARSE_NOERROR;
    wrap(unsafe { xmlReadMemory(bytes.as_ptr().cast(), len, ptr::null(), ptr::null(), flags) })
}

/// Imports an invoice that the upload endpoint spooled to disk.
pub fn import_spooled(path: &Path) -> Result<Document, ImportError> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| ImportError::BadPath)?;
    let flags = XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_HUGE;
    let doc = unsafe { xmlReadFile(c_path.as_ptr(), ptr::null(), flags) }; //~ xxe
    wrap(doc)
}

fn root_tag(importer: &Importer, bytes: &[u8]) -> Option<*const u8> {
    let doc = importer.parse(bytes).ok()?;
    let root = unsafe { xmlDocGetRootElement(doc.raw) };
    (!root.is_null()).then(|| unsafe { (*root).name })
}

#[derive(Debug, PartialEq)]
pub enum DocKind {
    Invoice,
    CreditNote,
    Other,
}

pub fn classify(importer: &Importer, bytes: &[u8]) -> DocKind {
    let Some(tag) = root_tag(importer, bytes) else {
        return DocKind::Other;
    };
    let tag = unsafe { CStr::from_ptr(tag.cast()) }; //~ dangling-pointer
    match tag.to_bytes() {
        b"Invoice" => DocKind::Invoice,
        b"CreditNote" => DocKind::CreditNote,
        _ => DocKind::Other,
    }
}

pub fn invoice_number(doc: &Document) -> Option<String> {
    doc.child_text("ID").filter(|id| !id.is_empty())
}
