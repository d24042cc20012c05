//! Supplier invoice import: accepts UBL-style XML uploads over HTTP.

use axum::{body::Bytes, extract::Path, http::StatusCode, routing::post, Json, Router};
use libxml::bindings::{
    xmlDocGetRootElement, xmlDocPtr, xmlFreeDoc, xmlGetProp, xmlNodePtr,
    xmlParserOption_XML_PARSE_DTDLOAD as XML_PARSE_DTDLOAD,
    xmlParserOption_XML_PARSE_NOENT as XML_PARSE_NOENT,
    xmlParserOption_XML_PARSE_NONET as XML_PARSE_NONET, xmlReadMemory,
};
use libxml::parser::Parser;
use serde::Serialize;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::ptr;

const MAX_LINES: usize = 5_000;

#[derive(Serialize, Default)]
struct ImportSummary {
    supplier: String,
    lines: usize,
}

#[derive(Clone, Copy)]
struct ImportOptions {
    parse_flags: c_int,
}

impl ImportOptions {
    fn strict() -> Self {
        Self {
            parse_flags: XML_PARSE_NONET as c_int,
        }
    }

    fn for_partner(partner: &str) -> Self {
        match partner {
            // Partner feeds reference their shared catalogue DTD for product codes.
            "acme" | "globex" => Self {
                parse_flags: (XML_PARSE_NOENT | XML_PARSE_DTDLOAD) as c_int,
            },
            _ => Self::strict(),
        }
    }
}

fn legacy_parse_flags() -> c_int {
    (XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_NONET) as c_int
}

struct Doc(xmlDocPtr);

impl Drop for Doc {
    fn drop(&mut self) {
        if !self.0.is_null() {
            unsafe { xmlFreeDoc(self.0) };
        }
    }
}

fn read_with_flags(bytes: &[u8], flags: c_int) -> Option<Doc> {
    let url = CString::new("upload.xml").ok()?;
    let len = bytes.len() as c_int;
    let buf = bytes.as_ptr() as *const c_char;
    let doc = unsafe { xmlReadMemory(buf, len, url.as_ptr(), ptr::null(), flags) };
    (!doc.is_null()).then(|| Doc(doc))
}

fn parse_legacy_invoice(bytes: &[u8]) -> Option<Doc> {
    let url = CString::new("invoice.xml").ok()?;
    let flags = legacy_parse_flags();
    let ptr = bytes.as_ptr() as *const c_char;
    let doc = unsafe { xmlReadMemory(ptr, bytes.len() as c_int, url.as_ptr(), ptr::null(), flags) }; //~ xxe
    (!doc.is_null()).then(|| Doc(doc))
}

fn parse_partner_invoice(bytes: &[u8], opts: ImportOptions) -> Option<Doc> {
    let url = CString::new("partner.xml").ok()?;
    let len = bytes.len() as c_int;
    let ptr = bytes.as_ptr() as *const c_char;
    let doc = unsafe { xmlReadMemory(ptr, len, url.as_ptr(), ptr::null(), opts.parse_flags) }; //~ xxe
    (!doc.is_null()).then(|| Doc(doc))
}

fn attr(node: xmlNodePtr, name: &str) -> Option<String> {
    let cname = CString::new(name).ok()?;
    unsafe {
        let raw = xmlGetProp(node, cname.as_ptr() as *const u8);
        if raw.is_null() {
            return None;
        }
        Some(
            CStr::from_ptr(raw as *const c_char)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

fn header_line_count(doc: &Doc) -> usize {
    let root = unsafe { xmlDocGetRootElement(doc.0) };
    attr(root, "lineCount")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn supplier_name(doc: &Doc) -> String {
    let root = unsafe { xmlDocGetRootElement(doc.0) };
    attr(root, "supplier").unwrap_or_default()
}

fn summarize(doc: &Doc) -> ImportSummary {
    let declared = header_line_count(doc);
    let mut lines: Vec<(String, u64)> = Vec::with_capacity(declared); //~ unbounded-allocation
    lines.push((supplier_name(doc), 0));
    ImportSummary {
        supplier: supplier_name(doc),
        lines: lines.len().max(declared),
    }
}

fn summarize_bounded(doc: &Doc) -> ImportSummary {
    let declared = header_line_count(doc);
    if declared > MAX_LINES {
        return ImportSummary::default();
    }
    let lines: Vec<u64> = Vec::with_capacity(declared);
    ImportSummary {
        supplier: supplier_name(doc),
        lines: lines.capacity().min(declared),
    }
}

async fn import_legacy(body: Bytes) -> Result<Json<ImportSummary>, StatusCode> {
    let doc = parse_legacy_invoice(&body).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    Ok(Json(summarize(&doc)))
}

async fn import_partner(
    Path(partner): Path<String>,
    body: Bytes,
) -> Result<Json<ImportSummary>, StatusCode> {
    let opts = ImportOptions::for_partner(&partner);
    let doc = parse_partner_invoice(&body, opts).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    Ok(Json(summarize_bounded(&doc)))
}

async fn import_v2(body: Bytes) -> Result<Json<ImportSummary>, StatusCode> {
    let doc = read_with_flags(&body, ImportOptions::strict().parse_flags)
        .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    Ok(Json(summarize_bounded(&doc)))
}

async fn validate(body: Bytes) -> StatusCode {
    let text = String::from_utf8_lossy(&body);
    match Parser::default().parse_string(text.as_ref()) {
        Ok(doc) if doc.get_root_element().is_some() => StatusCode::NO_CONTENT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/invoices/legacy", post(import_legacy))
        .route("/invoices/partner/:partner", post(import_partner))
        .route("/invoices", post(import_v2))
        .route("/invoices/validate", post(validate));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8088").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
