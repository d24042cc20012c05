// Invoice import for the AP automation service: supplier UBL documents arrive by
// upload or SFTP drop and are parsed with libxml2 through a small FFI layer.
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};

#[allow(non_camel_case_types)]
type xmlDocPtr = *mut c_void;
#[allow(non_camel_case_types)]
type xmlParserCtxtPtr = *mut c_void;

const XML_PARSE_RECOVER: c_int = 1 << 0;
const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_DTDVALID: c_int = 1 << 4;
const XML_PARSE_NOERROR: c_int = 1 << 5;
const XML_PARSE_NOBLANKS: c_int = 1 << 8;
const XML_PARSE_NONET: c_int = 1 << 11;

#[link(name = "xml2")]
extern "C" {
    fn xmlReadMemory(
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> xmlDocPtr;
    fn xmlNewParserCtxt() -> xmlParserCtxtPtr;
    fn xmlFreeParserCtxt(ctxt: xmlParserCtxtPtr);
    fn xmlCtxtReadFile(
        ctxt: xmlParserCtxtPtr,
        filename: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> xmlDocPtr;
    fn xmlSubstituteEntitiesDefault(val: c_int) -> c_int;
    fn xmlFreeDoc(doc: xmlDocPtr);
}

pub struct XmlDoc(xmlDocPtr);

impl Drop for XmlDoc {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.0) }
    }
}

#[derive(Debug)]
pub enum ImportError {
    Parse,
    BadInput,
}

const SAFE_OPTIONS: c_int = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR;

fn schema_options(validate: bool) -> c_int {
    let mut opts = XML_PARSE_NOBLANKS | XML_PARSE_RECOVER;
    if validate {
        // supplier documents reference the UBL DTD for defaulted attributes
        opts |= XML_PARSE_DTDLOAD | XML_PARSE_DTDVALID;
    }
    opts
}

fn wrap(doc: xmlDocPtr) -> Result<XmlDoc, ImportError> {
    if doc.is_null() {
        Err(ImportError::Parse)
    } else {
        Ok(XmlDoc(doc))
    }
}

pub fn parse_upload(body: &[u8]) -> Result<XmlDoc, ImportError> {
    let len = c_int::try_from(body.len()).map_err(|_| ImportError::BadInput)?;
    let opts = XML_PARSE_NOENT | XML_PARSE_NONET;
    let (buf, none) = (body.as_ptr() as *const c_char, std::ptr::null());
    let doc = unsafe { xmlReadMemory(buf, len, none, none, opts) }; //~ xxe
    wrap(doc)
}

pub fn parse_upload_strict(body: &[u8]) -> Result<XmlDoc, ImportError> {
    let len = c_int::try_from(body.len()).map_err(|_| ImportError::BadInput)?;
    let ptr = body.as_ptr() as *const c_char;
    let doc = unsafe { xmlReadMemory(ptr, len, std::ptr::null(), std::ptr::null(), SAFE_OPTIONS) };
    wrap(doc)
}

pub fn parse_drop_file(path: &str, validate: bool) -> Result<XmlDoc, ImportError> {
    let c_path = CString::new(path).map_err(|_| ImportError::BadInput)?;
    unsafe {
        let ctxt = xmlNewParserCtxt();
        let opts = schema_options(validate);
        let doc = xmlCtxtReadFile(ctxt, c_path.as_ptr(), std::ptr::null(), opts); //~ xxe
        xmlFreeParserCtxt(ctxt);
        wrap(doc)
    }
}

pub fn parse_drop_file_plain(path: &str) -> Result<XmlDoc, ImportError> {
    let c_path = CString::new(path).map_err(|_| ImportError::BadInput)?;
    unsafe {
        let ctxt = xmlNewParserCtxt();
        let opts = schema_options(false) | XML_PARSE_NONET;
        let doc = xmlCtxtReadFile(ctxt, c_path.as_ptr(), std::ptr::null(), opts);
        xmlFreeParserCtxt(ctxt);
        wrap(doc)
    }
}

pub fn init_parser(expand_entities: bool) {
    if expand_entities {
        unsafe { xmlSubstituteEntitiesDefault(1) }; //~ xxe
    } else {
        unsafe { xmlSubstituteEntitiesDefault(0) };
    }
}

pub fn import_all(uploads: Vec<Vec<u8>>, drops: &[String]) -> usize {
    init_parser(std::env::var("AP_EXPAND_ENTITIES").is_ok());
    let mut ok = uploads.iter().filter(|u| parse_upload(u).is_ok()).count();
    for (i, path) in drops.iter().enumerate() {
        let parsed = if i % 2 == 0 {
            parse_drop_file(path, true)
        } else {
            parse_drop_file_plain(path)
        };
        ok += parsed.is_ok() as usize;
    }
    ok + uploads
        .iter()
        .filter(|u| parse_upload_strict(u).is_ok())
        .count()
}
