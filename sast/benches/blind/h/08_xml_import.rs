use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};

#[allow(non_camel_case_types)]
type xmlDocPtr = *mut c_void;
#[allow(non_camel_case_types)]
type xmlParserCtxtPtr = *mut c_void;

const XML_PARSE_RECOVER: c_int = 1 << 0;
const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_DTDATTR: c_int = 1 << 3;
const XML_PARSE_NOERROR: c_int = 1 << 5;
const XML_PARSE_NONET: c_int = 1 << 11;

extern "C" {
    fn xmlReadMemory(buf: *const c_char, size: c_int, url: *const c_char, enc: *const c_char, opts: c_int) -> xmlDocPtr;
    fn xmlNewParserCtxt() -> xmlParserCtxtPtr;
    fn xmlCtxtUseOptions(ctxt: xmlParserCtxtPtr, opts: c_int) -> c_int;
    fn xmlCtxtReadMemory(ctxt: xmlParserCtxtPtr, buf: *const c_char, size: c_int, url: *const c_char, enc: *const c_char, opts: c_int) -> xmlDocPtr;
    fn xmlFreeParserCtxt(ctxt: xmlParserCtxtPtr);
    fn xmlSubstituteEntitiesDefault(val: c_int) -> c_int;
    fn xmlParseMemory(buf: *const c_char, size: c_int) -> xmlDocPtr;
    fn xmlFreeDoc(doc: xmlDocPtr);
}

pub struct ImportOptions {
    pub expand_entities: bool,
    pub validate: bool,
}

fn options_for(cfg: &ImportOptions) -> c_int {
    let mut opts = XML_PARSE_NOERROR;
    if cfg.expand_entities {
        opts |= XML_PARSE_NOENT;
    }
    if cfg.validate {
        opts |= XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR;
    }
    opts
}

pub fn parse_invoice(body: &[u8]) -> Option<xmlDocPtr> {
    let doc = unsafe {
        xmlReadMemory(body.as_ptr() as *const c_char, body.len() as c_int, std::ptr::null(), std::ptr::null(), XML_PARSE_NOENT | XML_PARSE_DTDLOAD) //~ xxe
    };
    if doc.is_null() { None } else { Some(doc) }
}

pub fn parse_invoice_strict(body: &[u8]) -> Option<xmlDocPtr> {
    let doc = unsafe {
        xmlReadMemory(body.as_ptr() as *const c_char, body.len() as c_int, std::ptr::null(), std::ptr::null(), XML_PARSE_NONET | XML_PARSE_NOERROR)
    };
    if doc.is_null() { None } else { Some(doc) }
}

pub fn parse_catalog(body: &[u8], cfg: &ImportOptions) -> Option<xmlDocPtr> {
    let url = CString::new("catalog.xml").ok()?;
    unsafe {
        let ctxt = xmlNewParserCtxt();
        if ctxt.is_null() {
            return None;
        }
        xmlCtxtUseOptions(ctxt, options_for(cfg)); //~ xxe
        let doc = xmlCtxtReadMemory(ctxt, body.as_ptr() as *const c_char, body.len() as c_int, url.as_ptr(), std::ptr::null(), 0);
        xmlFreeParserCtxt(ctxt);
        if doc.is_null() { None } else { Some(doc) }
    }
}

pub fn parse_catalog_offline(body: &[u8]) -> Option<xmlDocPtr> {
    unsafe {
        let ctxt = xmlNewParserCtxt();
        if ctxt.is_null() {
            return None;
        }
        xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_RECOVER);
        let doc = xmlCtxtReadMemory(ctxt, body.as_ptr() as *const c_char, body.len() as c_int, std::ptr::null(), std::ptr::null(), 0);
        xmlFreeParserCtxt(ctxt);
        if doc.is_null() { None } else { Some(doc) }
    }
}

pub fn parse_legacy_feed(body: &[u8]) -> Option<xmlDocPtr> {
    unsafe {
        xmlSubstituteEntitiesDefault(1); //~ xxe
        let doc = xmlParseMemory(body.as_ptr() as *const c_char, body.len() as c_int);
        if doc.is_null() { None } else { Some(doc) }
    }
}

pub fn summarize_with_roxmltree(body: &str) -> Result<usize, roxmltree::Error> {
    let opts = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(body, opts)?;
    Ok(doc.descendants().filter(|n| n.has_tag_name("item")).count())
}

pub fn count_items_quick(body: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"item" => n += 1,
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    n
}

pub fn release(doc: xmlDocPtr) {
    unsafe { xmlFreeDoc(doc) }
}

pub fn import(body: &[u8], trusted_partner: bool) -> usize {
    let cfg = ImportOptions { expand_entities: trusted_partner, validate: true };
    let doc = if trusted_partner { parse_catalog(body, &cfg) } else { parse_catalog_offline(body) };
    match doc {
        Some(d) => {
            release(d);
            1
        }
        None => 0,
    }
}
