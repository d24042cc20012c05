//! Supplier catalogue import: accepts XML catalogues, validates them against
//! a schema and renders them through supplier-specific templates.

use actix_web::{post, web, HttpResponse, Responder};
use libxml::bindings::{
    xmlCtxtReadMemory, xmlDocPtr, xmlFreeParserCtxt, xmlNewParserCtxt,
    xmlParserOption_XML_PARSE_DTDLOAD as XML_PARSE_DTDLOAD,
    xmlParserOption_XML_PARSE_NOENT as XML_PARSE_NOENT,
    xmlParserOption_XML_PARSE_NONET as XML_PARSE_NONET,
    xmlParserOption_XML_PARSE_RECOVER as XML_PARSE_RECOVER, xmlReadMemory,
};
use libxml::parser::Parser;
use libxml::tree::Document;
use serde::Deserialize;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Deserialize)]
pub struct ImportQuery {
    supplier: String,
    template: Option<String>,
    schema: Option<String>,
    expand: Option<bool>,
}

pub struct CatalogImporter {
    template_dir: PathBuf,
    schema_dir: PathBuf,
    base_url: CString,
}

const SAFE_FLAGS: u32 = XML_PARSE_NONET | XML_PARSE_RECOVER;

impl CatalogImporter {
    pub fn new(template_dir: PathBuf, schema_dir: PathBuf) -> Self {
        Self {
            template_dir,
            schema_dir,
            base_url: CString::new("catalog.xml").unwrap(),
        }
    }

    fn parse_plain(&self, body: &[u8]) -> Option<Document> {
        let text = std::str::from_utf8(body).ok()?;
        Parser::default().parse_string(text).ok()
    }

    fn parse_hardened(&self, body: &[u8]) -> Option<Document> {
        let ptr = body.as_ptr() as *const c_char;
        let len = body.len() as c_int;
        let doc = unsafe {
            xmlReadMemory(
                ptr,
                len,
                self.base_url.as_ptr(),
                std::ptr::null(),
                SAFE_FLAGS as c_int,
            )
        };
        Self::wrap(doc)
    }

    fn parse_expanded(&self, body: &[u8]) -> Option<Document> {
        let flags = (XML_PARSE_NOENT | XML_PARSE_DTDLOAD) as c_int;
        let (ptr, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
        let url = self.base_url.as_ptr();
        let doc = unsafe { xmlReadMemory(ptr, len, url, std::ptr::null(), flags) }; //~ xxe
        Self::wrap(doc)
    }

    fn parse_with_context(&self, body: &[u8], opts: c_int) -> Option<Document> {
        unsafe {
            let ctxt = xmlNewParserCtxt();
            let (ptr, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
            let url = self.base_url.as_ptr();
            let doc = xmlCtxtReadMemory(ctxt, ptr, len, url, std::ptr::null(), opts); //~ xxe
            xmlFreeParserCtxt(ctxt);
            Self::wrap(doc)
        }
    }

    fn wrap(doc: xmlDocPtr) -> Option<Document> {
        if doc.is_null() {
            None
        } else {
            Some(Document::new_ptr(doc))
        }
    }

    fn load_template(&self, name: &str) -> std::io::Result<String> {
        let path = self.template_dir.join(name);
        std::fs::read_to_string(path) //~ path-traversal
    }

    fn load_schema_path(&self, name: &str) -> std::io::Result<PathBuf> {
        let root = self.schema_dir.canonicalize()?;
        let candidate = root.join(name).canonicalize()?;
        if !candidate.starts_with(&root) {
            return Err(std::io::ErrorKind::PermissionDenied.into());
        }
        Ok(candidate)
    }

    fn validate_shell(&self, schema: &str, body: &[u8]) -> std::io::Result<bool> {
        let script = format!(
            "xmllint --noout --schema {}/{} -",
            self.schema_dir.display(),
            schema
        );
        let mut shell = Command::new("/bin/sh");
        shell.arg("-c").arg(&script); //~ command-injection
        let mut child = shell.stdin(Stdio::piped()).spawn()?;
        use std::io::Write;
        child.stdin.take().unwrap().write_all(body)?;
        Ok(child.wait()?.success())
    }

    fn validate(&self, schema_path: &Path, body: &[u8]) -> std::io::Result<bool> {
        let mut child = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(schema_path)
            .arg("-")
            .stdin(Stdio::piped())
            .spawn()?;
        use std::io::Write;
        child.stdin.take().unwrap().write_all(body)?;
        Ok(child.wait()?.success())
    }
}

fn count_items(doc: &Document) -> usize {
    doc.get_root_element()
        .map(|root| root.get_child_elements().len())
        .unwrap_or(0)
}

#[post("/catalog/import")]
async fn import(
    importer: web::Data<CatalogImporter>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> impl Responder {
    let doc = match (query.supplier.as_str(), query.expand) {
        ("acme-legacy", _) => {
            importer.parse_with_context(&body, (XML_PARSE_NOENT | XML_PARSE_DTDLOAD) as c_int)
        }
        (_, Some(true)) => importer.parse_expanded(&body),
        (_, _) if body.len() > 1 << 20 => importer.parse_hardened(&body),
        _ => importer.parse_plain(&body),
    };
    let Some(doc) = doc else {
        return HttpResponse::BadRequest().body("unparseable catalogue");
    };
    if let Some(schema) = &query.schema {
        let valid = if schema.ends_with(".xsd") {
            importer
                .load_schema_path(schema)
                .and_then(|p| importer.validate(&p, &body))
        } else {
            importer.validate_shell(schema, &body)
        };
        if !matches!(valid, Ok(true)) {
            return HttpResponse::UnprocessableEntity().finish();
        }
    }
    let rendered = match &query.template {
        Some(name) => importer.load_template(name).unwrap_or_default(),
        None => String::from("{count} items imported"),
    };
    HttpResponse::Ok().body(rendered.replace("{count}", &count_items(&doc).to_string()))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import);
}
