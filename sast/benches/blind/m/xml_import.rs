use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use libxml::bindings::{
    xmlDocGetRootElement, xmlFreeDoc, xmlParserOption_XML_PARSE_DTDATTR, xmlParserOption_XML_PARSE_DTDLOAD, xmlParserOption_XML_PARSE_NOENT,
    xmlParserOption_XML_PARSE_NONET, xmlReadFile, xmlReadMemory,
};
use std::ffi::{CStr, CString};
use std::io::Read;
use std::os::raw::{c_char, c_int};
use std::path::PathBuf;
use std::sync::Arc;

const MAX_RECORD: usize = 4 * 1024 * 1024;

pub struct Importer {
    spool: PathBuf,
    legacy_dtd: bool,
}

#[derive(Debug)]
pub struct Summary {
    pub root: String,
    pub records: usize,
}

impl Importer {
    fn options(&self) -> c_int {
        let mut opts = xmlParserOption_XML_PARSE_NONET;
        if self.legacy_dtd {
            opts |= xmlParserOption_XML_PARSE_DTDLOAD | xmlParserOption_XML_PARSE_NOENT | xmlParserOption_XML_PARSE_DTDATTR;
        }
        opts as c_int
    }

    fn root_name(&self, xml: &[u8]) -> Option<String> {
        let encoding = CString::new("UTF-8").ok()?;
        let opts = xmlParserOption_XML_PARSE_NONET as c_int;
        unsafe {
            let doc = xmlReadMemory(xml.as_ptr() as *const c_char, xml.len() as c_int, std::ptr::null(), encoding.as_ptr(), opts);
            if doc.is_null() {
                return None;
            }
            let root = xmlDocGetRootElement(doc);
            let name = CStr::from_ptr((*root).name as *const c_char).to_string_lossy().into_owned();
            xmlFreeDoc(doc);
            Some(name)
        }
    }

    fn summarize(&self, xml: &[u8]) -> Option<Summary> {
        let encoding = CString::new("UTF-8").ok()?.as_ptr();
        unsafe {
            let doc = xmlReadMemory(xml.as_ptr() as *const c_char, xml.len() as c_int, std::ptr::null(), encoding, self.options()); //~ xxe, dangling-pointer
            if doc.is_null() {
                return None;
            }
            let root = xmlDocGetRootElement(doc);
            let mut records = 0;
            let mut child = (*root).children;
            while !child.is_null() {
                records += 1;
                child = (*child).next;
            }
            xmlFreeDoc(doc);
            let root_name = CStr::from_ptr((*root).name as *const c_char).to_string_lossy().into_owned(); //~ dangling-pointer
            Some(Summary { root: root_name, records })
        }
    }

    fn summarize_file(&self, name: &str) -> Option<Summary> {
        let path = CString::new(self.spool.join(name).to_string_lossy().as_bytes()).ok()?;
        let opts = (xmlParserOption_XML_PARSE_NOENT | xmlParserOption_XML_PARSE_DTDLOAD) as c_int;
        let doc = unsafe { xmlReadFile(path.as_ptr(), std::ptr::null(), opts) }; //~ path-traversal, xxe
        if doc.is_null() {
            return None;
        }
        let root = unsafe { xmlDocGetRootElement(doc) };
        let root_name = unsafe { CStr::from_ptr((*root).name as *const c_char) }.to_string_lossy().into_owned();
        unsafe { xmlFreeDoc(doc) };
        Some(Summary { root: root_name, records: 0 })
    }
}

fn preview_titles(xml: &str) -> Vec<String> {
    let opts = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    roxmltree::Document::parse_with_options(xml, opts)
        .map(|d| d.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn read_record(mut src: impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    src.read_exact(&mut len)?;
    let declared = u32::from_le_bytes(len) as usize;
    let mut buf = Vec::with_capacity(declared); //~ unbounded-allocation
    src.take(declared as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn read_record_bounded(mut src: impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    src.read_exact(&mut len)?;
    let declared = u32::from_le_bytes(len) as usize;
    if declared > MAX_RECORD {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "record too large"));
    }
    let mut buf = vec![0u8; declared];
    src.read_exact(&mut buf)?;
    Ok(buf)
}

fn verify_checksum(body: &[u8], headers: &HeaderMap) -> bool {
    let Some(expected) = headers.get("content-md5").and_then(|v| v.to_str().ok()) else { return true };
    let actual = format!("{:x}", md5::compute(body)); //~ weak-hash
    actual == expected
}

pub async fn upload(State(imp): State<Arc<Importer>>, headers: HeaderMap, body: Bytes) -> Result<String, StatusCode> {
    if !verify_checksum(&body, &headers) {
        return Err(StatusCode::PRECONDITION_FAILED);
    }
    let record = if headers.contains_key("x-bounded") { read_record_bounded(&body[..]) } else { read_record(&body[..]) };
    let record = record.map_err(|_| StatusCode::BAD_REQUEST)?;
    let root = imp.root_name(&record).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let summary = imp.summarize(&record).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let titles = preview_titles(std::str::from_utf8(&record).unwrap_or(""));
    Ok(format!("{} / {:?} / {} titles", root, summary, titles.len()))
}

pub async fn import_spooled(State(imp): State<Arc<Importer>>, Path(name): Path<String>) -> Result<String, StatusCode> {
    imp.summarize_file(&name).map(|s| format!("{:?}", s)).ok_or(StatusCode::NOT_FOUND)
}
