//! SAML IdP metadata loader: discovery with quick-xml/roxmltree, signature prep with libxml2.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};
use std::ptr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;

const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_DTDATTR: c_int = 1 << 3;
const XML_PARSE_NONET: c_int = 1 << 11;
const MAX_ENTITIES: usize = 10_000;

#[repr(C)]
pub struct XmlDoc {
    _opaque: [u8; 0],
}

#[repr(C)]
pub struct XmlNodeHead {
    _private: *mut std::ffi::c_void,
    kind: c_int,
    name: *const c_char,
}

extern "C" {
    fn xmlReadMemory(
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        enc: *const c_char,
        opts: c_int,
    ) -> *mut XmlDoc;
    fn xmlFreeDoc(doc: *mut XmlDoc);
    fn xmlDocGetRootElement(doc: *const XmlDoc) -> *mut XmlNodeHead;
}

#[derive(Debug, Default)]
pub struct IdpEntry {
    pub entity_id: String,
    pub sso_url: Option<String>,
}

pub struct SignedDoc(*mut XmlDoc);

impl Drop for SignedDoc {
    fn drop(&mut self) {
        // SAFETY: pointer came from xmlReadMemory and is released once.
        unsafe { xmlFreeDoc(self.0) }
    }
}

fn declared_entity_count(xml: &str) -> usize {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"EntitiesDescriptor" => {
                return e
                    .try_get_attribute("count")
                    .ok()
                    .flatten()
                    .and_then(|a| a.unescape_value().ok()?.parse().ok())
                    .unwrap_or(0);
            }
            Ok(Event::Eof) | Err(_) => return 0,
            _ => {}
        }
    }
}

pub fn list_entities(xml: &str) -> Vec<IdpEntry> {
    let mut out = Vec::with_capacity(declared_entity_count(xml)); //~ unbounded-allocation
    let mut bounded: Vec<String> = Vec::with_capacity(declared_entity_count(xml).min(MAX_ENTITIES));
    let Ok(doc) = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    ) else {
        return out;
    };
    for node in doc
        .descendants()
        .filter(|n| n.has_tag_name("EntityDescriptor"))
    {
        let entity_id = node.attribute("entityID").unwrap_or_default().to_string();
        let sso_url = node
            .descendants()
            .find(|n| n.has_tag_name("SingleSignOnService"))
            .and_then(|n| n.attribute("Location"))
            .map(str::to_string);
        bounded.push(entity_id.clone());
        out.push(IdpEntry { entity_id, sso_url });
    }
    out
}

pub fn entity_ids_streaming(xml: &[u8]) -> Vec<String> {
    let reader = xml::reader::ParserConfig::new()
        .trim_whitespace(true)
        .create_reader(xml);
    reader
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|ev| match ev {
            xml::reader::XmlEvent::StartElement {
                name, attributes, ..
            } if name.local_name == "EntityDescriptor" => attributes
                .into_iter()
                .find(|a| a.name.local_name == "entityID")
                .map(|a| a.value),
            _ => None,
        })
        .collect()
}

pub fn parse_for_signature(xml: &[u8]) -> Option<SignedDoc> {
    let (buf, len) = (xml.as_ptr() as *const c_char, xml.len() as c_int);
    let opts = XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR;
    // SAFETY: buf/len describe the borrowed metadata for the duration of the call.
    let doc = unsafe { xmlReadMemory(buf, len, ptr::null(), ptr::null(), opts) }; //~ xxe
    (!doc.is_null()).then(|| SignedDoc(doc))
}

pub fn parse_offline(xml: &[u8]) -> Option<SignedDoc> {
    let (buf, len) = (xml.as_ptr() as *const c_char, xml.len() as c_int);
    // SAFETY: buf/len describe the borrowed metadata for the duration of the call.
    let doc = unsafe { xmlReadMemory(buf, len, ptr::null(), ptr::null(), XML_PARSE_NONET) };
    (!doc.is_null()).then(|| SignedDoc(doc))
}

pub fn root_element_name(xml: &[u8]) -> Option<String> {
    let doc = parse_offline(xml)?;
    let raw = doc.0;
    drop(doc);
    // SAFETY: raw is the document pointer returned by libxml2 above.
    let root = unsafe { xmlDocGetRootElement(raw) }; //~ dangling-pointer
    if root.is_null() {
        return None;
    }
    // SAFETY: root is non-null and its name is a NUL-terminated libxml2 string.
    let name = unsafe { CStr::from_ptr((*root).name) };
    Some(name.to_string_lossy().into_owned())
}

fn decode_cert(b64: &str) -> (*const u8, usize) {
    let der = B64.decode(b64.trim()).unwrap_or_default();
    (der.as_ptr(), der.len())
}

pub fn signing_cert_fingerprint(b64: &str) -> String {
    let (p, n) = decode_cert(b64);
    // SAFETY: decode_cert returns the pointer and length of the decoded certificate.
    let der = unsafe { std::slice::from_raw_parts(p, n) }; //~ dangling-pointer
    hex::encode(ring::digest::digest(&ring::digest::SHA256, der))
}

pub fn signing_cert_fingerprint_owned(b64: &str) -> Option<String> {
    let der = B64.decode(b64.trim()).ok()?;
    let view = der.as_slice();
    Some(hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        view,
    )))
}
