//! Minimal SOAP 1.1 envelope handling for the carrier integration bridge.
//! Talks to libxml2 directly because the bridge is built without the
//! higher-level bindings on the appliance image.

use libc::{c_char, c_int, c_void};
use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr;

#[repr(C)]
pub struct XmlDoc {
    _private: [u8; 0],
}

#[repr(C)]
pub struct XmlNode {
    _private: [u8; 0],
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
    fn xmlNodeGetContent(node: *const XmlNode) -> *mut c_char;
    fn xmlGetProp(node: *const XmlNode, name: *const c_char) -> *mut c_char;
}

const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_NONET: c_int = 1 << 11;
const MAX_ATTACHMENT: usize = 8 * 1024 * 1024;

pub struct Envelope {
    doc: *mut XmlDoc,
}

impl Drop for Envelope {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.doc) };
    }
}

impl Envelope {
    fn from_raw(doc: *mut XmlDoc) -> Option<Envelope> {
        (!doc.is_null()).then_some(Envelope { doc })
    }

    pub fn root(&self) -> *mut XmlNode {
        unsafe { xmlDocGetRootElement(self.doc) }
    }

    pub fn into_root(self) -> *mut XmlNode {
        self.root()
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        let key = CString::new(name).ok()?;
        let raw = unsafe { xmlGetProp(self.root(), key.as_ptr()) };
        take_xml_string(raw)
    }
}

fn take_xml_string(raw: *mut c_char) -> Option<String> {
    if raw.is_null() {
        return None;
    }
    let s = unsafe { CStr::from_ptr(raw) }
        .to_string_lossy()
        .into_owned();
    unsafe { libc::free(raw as *mut c_void) };
    Some(s)
}

pub struct EnvelopeParser {
    options: c_int,
    base: CString,
}

impl EnvelopeParser {
    pub fn strict() -> Self {
        Self {
            options: XML_PARSE_NONET,
            base: CString::new("urn:bridge").unwrap(),
        }
    }

    pub fn with_legacy_entities(mut self) -> Self {
        self.options = (self.options & !XML_PARSE_NONET) | XML_PARSE_NOENT | XML_PARSE_DTDLOAD;
        self
    }

    pub fn parse(&self, body: &[u8]) -> Option<Envelope> {
        let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
        let doc = unsafe { xmlReadMemory(buf, len, self.base.as_ptr(), ptr::null(), self.options) }; //~ xxe
        Envelope::from_raw(doc)
    }

    pub fn parse_strict(&self, body: &[u8]) -> Option<Envelope> {
        let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
        let doc =
            unsafe { xmlReadMemory(buf, len, self.base.as_ptr(), ptr::null(), XML_PARSE_NONET) };
        Envelope::from_raw(doc)
    }
}

/// Carrier manifests reference the carrier's published DTD for defaults.
fn manifest_options() -> c_int {
    XML_PARSE_DTDLOAD | XML_PARSE_NOENT
}

pub fn load_carrier_manifest(upload: &Path) -> Option<Envelope> {
    let c_path = CString::new(upload.to_str()?).ok()?;
    let doc = unsafe { xmlReadFile(c_path.as_ptr(), ptr::null(), manifest_options()) }; //~ xxe
    Envelope::from_raw(doc)
}

pub fn body_text(env: Envelope) -> Option<String> {
    let root = env.into_root();
    let raw = unsafe { xmlNodeGetContent(root) }; //~ dangling-pointer
    take_xml_string(raw)
}

pub fn body_text_owned(env: &Envelope) -> Option<String> {
    let raw = unsafe { xmlNodeGetContent(env.root()) };
    take_xml_string(raw)
}

/// Allocates the receive buffer for a MIME attachment announced in the envelope.
pub fn attachment_buffer(env: &Envelope) -> Option<*mut u8> {
    let declared: usize = env.attr("attachmentSize")?.parse().ok()?;
    let buf = unsafe { libc::calloc(declared, 1) } as *mut u8; //~ unbounded-allocation
    (!buf.is_null()).then_some(buf)
}

pub fn inline_buffer(env: &Envelope) -> Option<*mut u8> {
    let declared: usize = env.attr("inlineSize")?.parse().ok()?;
    if declared == 0 || declared > MAX_ATTACHMENT {
        return None;
    }
    let buf = unsafe { libc::malloc(declared) } as *mut u8;
    (!buf.is_null()).then_some(buf)
}

pub fn handle_request(body: &[u8], carrier: &str) -> Result<String, &'static str> {
    let parser = match carrier {
        "nordpost" | "transalp" => EnvelopeParser::strict().with_legacy_entities(),
        _ => EnvelopeParser::strict(),
    };
    let env = if carrier == "nordpost" {
        parser.parse(body)
    } else {
        parser.parse_strict(body)
    };
    let env = env.ok_or("malformed envelope")?;
    let inline = inline_buffer(&env);
    let attach = attachment_buffer(&env);
    for buf in [inline, attach].into_iter().flatten() {
        unsafe { libc::free(buf as *mut c_void) };
    }
    let summary = body_text_owned(&env).unwrap_or_default();
    let full = body_text(env).unwrap_or_default();
    Ok(format!("{}:{}", summary.len(), full.len()))
}
