//! Federation metadata refresher: downloads SAML metadata aggregates and
//! extracts entity IDs for the SP's IdP picker (libxml crate).

use libxml::bindings::{
    xmlCtxtReadMemory, xmlDocGetRootElement, xmlDocPtr, xmlFreeDoc, xmlFreeParserCtxt,
    xmlNewParserCtxt, xmlNodePtr, xmlReadMemory,
};
use libxml::bindings::{
    xmlParserOption_XML_PARSE_DTDLOAD as DTDLOAD, xmlParserOption_XML_PARSE_NOENT as NOENT,
    xmlParserOption_XML_PARSE_NONET as NONET,
};
use libxml::parser::{Parser, XmlParseError};
use libxml::tree::Document;
use libxml::xpath::Context;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::ptr;

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

#[derive(Default, Clone, Copy)]
pub struct ParseFlags(u32);

impl ParseFlags {
    pub fn no_network(self) -> Self {
        ParseFlags(self.0 | NONET)
    }
    /// Aggregates from some federations declare attribute names as entities.
    pub fn substitute_entities(self) -> Self {
        ParseFlags(self.0 | NOENT)
    }
    fn bits(self) -> c_int {
        self.0 as c_int
    }
}

fn raw_parts(xml: &[u8]) -> (*const c_char, c_int) {
    (
        xml.as_ptr() as *const c_char,
        xml.len().min(c_int::MAX as usize) as c_int,
    )
}

/// Parses a downloaded aggregate through a dedicated parser context.
fn parse_aggregate(
    xml: &[u8],
    base_url: &str,
    flags: ParseFlags,
) -> Result<Document, XmlParseError> {
    let (buf, len) = raw_parts(xml);
    let url = CString::new(base_url).map_err(|_| XmlParseError::GotNullPointer)?;
    let doc = unsafe {
        let ctxt = xmlNewParserCtxt();
        let doc = xmlCtxtReadMemory(ctxt, buf, len, url.as_ptr(), ptr::null(), flags.bits()); //~ xxe
        xmlFreeParserCtxt(ctxt);
        doc
    };
    if doc.is_null() {
        Err(XmlParseError::GotNullPointer)
    } else {
        Ok(Document::new_ptr(doc))
    }
}

/// Single-entity metadata documents as posted by IdP admins in the console.
fn parse_entity(xml: &[u8]) -> Result<Document, XmlParseError> {
    let (buf, len) = raw_parts(xml);
    let opts = (DTDLOAD | NOENT) as c_int;
    let doc = unsafe { xmlReadMemory(buf, len, ptr::null(), ptr::null(), opts) }; //~ xxe
    if doc.is_null() {
        Err(XmlParseError::GotNullPointer)
    } else {
        Ok(Document::new_ptr(doc))
    }
}

/// The discovery service's JSON-in-XML feed needs no DTD features at all.
fn parse_discovery(xml: &str) -> Result<Document, XmlParseError> {
    Parser::default().parse_string(xml)
}

pub fn entity_ids(doc: &Document) -> Vec<String> {
    let Ok(ctx) = Context::new(doc) else {
        return Vec::new();
    };
    if ctx.register_namespace("md", MD_NS).is_err() {
        return Vec::new();
    }
    let nodes = ctx
        .findnodes("//md:EntityDescriptor/@entityID", None)
        .unwrap_or_default();
    nodes.iter().map(|n| n.get_content()).collect()
}

pub struct Summary {
    pub root_tag: String,
    pub entities: usize,
}

/// Low-level view used by the cache warmer, which only needs the root tag.
pub struct RawMetadata {
    doc: xmlDocPtr,
    root: xmlNodePtr,
}

impl RawMetadata {
    pub fn open(xml: &[u8]) -> Option<RawMetadata> {
        let (buf, len) = raw_parts(xml);
        let doc = unsafe { xmlReadMemory(buf, len, ptr::null(), ptr::null(), NONET as c_int) };
        if doc.is_null() {
            return None;
        }
        let root = unsafe { xmlDocGetRootElement(doc) };
        Some(RawMetadata { doc, root })
    }

    fn root_name(&self) -> String {
        unsafe {
            CStr::from_ptr((*self.root).name as *const c_char)
                .to_string_lossy()
                .into_owned()
        }
    }

    pub fn summarize(self, entities: usize) -> Summary {
        unsafe { xmlFreeDoc(self.doc) };
        let tag = unsafe { CStr::from_ptr((*self.root).name as *const c_char) }; //~ dangling-pointer
        Summary {
            root_tag: tag.to_string_lossy().into_owned(),
            entities,
        }
    }
}

pub struct Refresher {
    http: reqwest::blocking::Client,
}

impl Refresher {
    pub fn refresh_federation(&self, url: &'static str) -> anyhow::Result<Vec<String>> {
        let body = self.http.get(url).send()?.error_for_status()?.bytes()?;
        let flags = ParseFlags::default().no_network().substitute_entities();
        let doc = parse_aggregate(&body, url, flags).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(entity_ids(&doc))
    }

    pub fn import_entity(&self, posted: &[u8]) -> anyhow::Result<Vec<String>> {
        let doc = parse_entity(posted).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(entity_ids(&doc))
    }

    pub fn discovery(&self, url: &'static str) -> anyhow::Result<Vec<String>> {
        let text = self.http.get(url).send()?.error_for_status()?.text()?;
        let doc = parse_discovery(&text).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(entity_ids(&doc))
    }

    pub fn warm(&self, xml: &[u8]) -> Option<Summary> {
        let raw = RawMetadata::open(xml)?;
        log::debug!("warming cache for <{}>", raw.root_name());
        Some(raw.summarize(0))
    }
}
