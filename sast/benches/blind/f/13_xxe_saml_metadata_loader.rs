// SAML federation metadata loader for the SSO gateway: IdP metadata is fetched or
// uploaded by tenant admins, parsed, and the signing certificates are extracted.
use libxml::bindings::{
    xmlCreateMemoryParserCtxt, xmlCtxtUseOptions, xmlDocPtr, xmlFreeParserCtxt, xmlParseDocument,
    xmlParserOption_XML_PARSE_DTDATTR, xmlParserOption_XML_PARSE_DTDLOAD,
    xmlParserOption_XML_PARSE_NOBLANKS, xmlParserOption_XML_PARSE_NOENT,
    xmlParserOption_XML_PARSE_NONET, xmlReadFile,
};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::ffi::CString;
use std::os::raw::c_int;

pub struct LoaderConfig {
    pub resolve_entities: bool,
    pub load_external_dtd: bool,
}

pub struct MetadataLoader {
    config: LoaderConfig,
}

fn flag(v: u32) -> c_int {
    v as c_int
}

impl MetadataLoader {
    pub fn new(config: LoaderConfig) -> Self {
        MetadataLoader { config }
    }

    fn options(&self) -> c_int {
        let mut opts = flag(xmlParserOption_XML_PARSE_NOBLANKS);
        if self.config.resolve_entities {
            opts |= flag(xmlParserOption_XML_PARSE_NOENT);
        }
        if self.config.load_external_dtd {
            opts |= flag(xmlParserOption_XML_PARSE_DTDLOAD | xmlParserOption_XML_PARSE_DTDATTR);
        }
        opts
    }

    pub unsafe fn parse_uploaded(&self, xml: &str) -> xmlDocPtr {
        let ctxt = xmlCreateMemoryParserCtxt(xml.as_ptr().cast(), xml.len() as c_int);
        let opts = self.options();
        xmlCtxtUseOptions(ctxt, opts); //~ xxe
        xmlParseDocument(ctxt);
        let doc = (*ctxt).myDoc;
        xmlFreeParserCtxt(ctxt);
        doc
    }

    pub unsafe fn parse_uploaded_hardened(&self, xml: &str) -> xmlDocPtr {
        let ctxt = xmlCreateMemoryParserCtxt(xml.as_ptr().cast(), xml.len() as c_int);
        let opts = flag(xmlParserOption_XML_PARSE_NONET | xmlParserOption_XML_PARSE_NOBLANKS);
        xmlCtxtUseOptions(ctxt, opts);
        xmlParseDocument(ctxt);
        let doc = (*ctxt).myDoc;
        xmlFreeParserCtxt(ctxt);
        doc
    }
}

pub unsafe fn load_cached_metadata(tenant: &str) -> Option<xmlDocPtr> {
    let path = CString::new(format!(
        "/var/cache/sso/metadata/{}.xml",
        tenant.replace('/', "_")
    ))
    .ok()?;
    let opts = xmlParserOption_XML_PARSE_DTDLOAD | xmlParserOption_XML_PARSE_NOENT;
    let doc = xmlReadFile(path.as_ptr(), std::ptr::null(), opts as c_int); //~ xxe
    (!doc.is_null()).then_some(doc)
}

pub fn signing_certs(xml: &str) -> Result<Vec<String>, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(xml, opts).map_err(|e| e.to_string())?;
    Ok(doc
        .descendants()
        .filter(|n| n.has_tag_name("X509Certificate"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect())
}

pub fn entity_id(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"EntityDescriptor" => {
                let attr = e.try_get_attribute("entityID").ok()??;
                return Some(String::from_utf8_lossy(&attr.value).into_owned());
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

pub fn import_metadata(xml: &str, legacy_idp: bool) -> Result<Vec<String>, String> {
    let loader = MetadataLoader::new(LoaderConfig {
        resolve_entities: legacy_idp,
        load_external_dtd: legacy_idp,
    });
    let doc = unsafe {
        if legacy_idp {
            loader.parse_uploaded(xml)
        } else {
            loader.parse_uploaded_hardened(xml)
        }
    };
    if doc.is_null() || entity_id(xml).is_none() {
        return Err("invalid metadata".into());
    }
    signing_certs(xml)
}
