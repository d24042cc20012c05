use axum::{body::Bytes, http::StatusCode};
use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr;

#[allow(non_camel_case_types)]
type xmlDocPtr = *mut c_void;
#[allow(non_camel_case_types)]
type xmlParserCtxtPtr = *mut c_void;

const XML_PARSE_RECOVER: c_int = 1 << 0;
const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_DTDATTR: c_int = 1 << 3;
const XML_PARSE_NOBLANKS: c_int = 1 << 8;
const XML_PARSE_NONET: c_int = 1 << 11;

extern "C" {
    fn xmlReadMemory(buf: *const c_char, size: c_int, url: *const c_char, enc: *const c_char, options: c_int) -> xmlDocPtr;
    fn xmlReadFile(filename: *const c_char, enc: *const c_char, options: c_int) -> xmlDocPtr;
    fn xmlNewParserCtxt() -> xmlParserCtxtPtr;
    fn xmlCtxtUseOptions(ctxt: xmlParserCtxtPtr, options: c_int) -> c_int;
    fn xmlCtxtReadMemory(ctxt: xmlParserCtxtPtr, buf: *const c_char, size: c_int, url: *const c_char, enc: *const c_char, options: c_int) -> xmlDocPtr;
    fn xmlCtxtReadDoc(ctxt: xmlParserCtxtPtr, cur: *const u8, url: *const c_char, enc: *const c_char, options: c_int) -> xmlDocPtr;
    fn xmlFreeParserCtxt(ctxt: xmlParserCtxtPtr);
    fn xmlFreeDoc(doc: xmlDocPtr);
}

pub struct Document(xmlDocPtr);

impl Drop for Document {
    fn drop(&mut self) {
        if !self.0.is_null() {
            unsafe { xmlFreeDoc(self.0) }
        }
    }
}

fn wrap(doc: xmlDocPtr) -> Option<Document> {
    if doc.is_null() { None } else { Some(Document(doc)) }
}

pub fn parse_invoice(body: &[u8]) -> Option<Document> {
    let url = CString::new("invoice.xml").ok()?;
    let doc = unsafe { xmlReadMemory(body.as_ptr() as *const c_char, body.len() as c_int, url.as_ptr(), ptr::null(), XML_PARSE_NOENT | XML_PARSE_DTDLOAD) }; //~ xxe
    wrap(doc)
}

pub fn parse_invoice_strict(body: &[u8]) -> Option<Document> {
    let url = CString::new("invoice.xml").ok()?;
    let doc = unsafe { xmlReadMemory(body.as_ptr() as *const c_char, body.len() as c_int, url.as_ptr(), ptr::null(), XML_PARSE_NONET | XML_PARSE_NOBLANKS) };
    wrap(doc)
}

pub fn parse_feed_file(path: &str) -> Option<Document> {
    let cpath = CString::new(path).ok()?;
    let doc = unsafe { xmlReadFile(cpath.as_ptr(), ptr::null(), XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR) }; //~ xxe
    wrap(doc)
}

pub struct ImportSession {
    ctxt: xmlParserCtxtPtr,
}

impl ImportSession {
    pub fn new() -> Option<Self> {
        let ctxt = unsafe { xmlNewParserCtxt() };
        if ctxt.is_null() { None } else { Some(ImportSession { ctxt }) }
    }

    pub fn expand_entities(&mut self) {
        unsafe { xmlCtxtUseOptions(self.ctxt, XML_PARSE_NOENT | XML_PARSE_NOBLANKS) }; //~ xxe
    }

    pub fn harden(&mut self) {
        unsafe { xmlCtxtUseOptions(self.ctxt, XML_PARSE_NONET | XML_PARSE_RECOVER) };
    }

    pub fn read(&mut self, body: &[u8]) -> Option<Document> {
        let doc = unsafe { xmlCtxtReadMemory(self.ctxt, body.as_ptr() as *const c_char, body.len() as c_int, ptr::null(), ptr::null(), XML_PARSE_NOENT | XML_PARSE_NONET) }; //~ xxe
        wrap(doc)
    }

    pub fn read_doc(&mut self, text: &CString) -> Option<Document> {
        let doc = unsafe { xmlCtxtReadDoc(self.ctxt, text.as_ptr() as *const u8, ptr::null(), ptr::null(), XML_PARSE_NONET) };
        wrap(doc)
    }
}

impl Drop for ImportSession {
    fn drop(&mut self) {
        unsafe { xmlFreeParserCtxt(self.ctxt) }
    }
}

pub fn summarize(body: &str) -> Result<usize, roxmltree::Error> {
    let opts = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let doc = roxmltree::Document::parse_with_options(body, opts)?;
    Ok(doc.descendants().filter(|n| n.has_tag_name("line")).count())
}

pub fn count_items(body: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut n = 0;
    while let Ok(ev) = reader.read_event() {
        match ev {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"item" => n += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    n
}

pub async fn upload_invoice(body: Bytes) -> Result<String, StatusCode> {
    let legacy = body.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"");
    let doc = if legacy { parse_invoice(&body) } else { parse_invoice_strict(&body) };
    doc.ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let mut session = ImportSession::new().ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
    if legacy { session.expand_entities() } else { session.harden() }
    session.read(&body).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let text = std::str::from_utf8(&body).map_err(|_| StatusCode::BAD_REQUEST)?;
    let lines = summarize(text).map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    Ok(format!("{} lines, {} items", lines, count_items(text)))
}
