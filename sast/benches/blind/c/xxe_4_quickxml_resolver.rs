// Invoice import for an ERP connector: quick-xml serde deserialisation with pluggable entity resolvers.
use quick_xml::de::{Deserializer, EntityResolver};
use quick_xml::events::BytesText;
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::fs::{self, File};
use std::io::BufReader;

#[derive(Debug, Deserialize)]
pub struct Invoice {
    pub number: String,
    pub customer: String,
    pub total: String,
}

/// Resolves `<!ENTITY name SYSTEM "path">` declarations by reading the referenced file.
#[derive(Default)]
pub struct FileEntityResolver {
    entities: HashMap<String, String>,
}

impl EntityResolver for FileEntityResolver {
    type Error = Infallible;

    fn capture(&mut self, doctype: BytesText) -> Result<(), Self::Error> {
        let decl = String::from_utf8_lossy(doctype.as_ref()).into_owned();
        for part in decl.split("<!ENTITY").skip(1) {
            let mut words = part.split_whitespace();
            let (Some(name), Some("SYSTEM"), Some(target)) = (words.next(), words.next(), words.next()) else {
                continue;
            };
            let path = target.trim_end_matches('>').trim_matches('"');
            let value = fs::read_to_string(path).unwrap_or_default();
            self.entities.insert(name.to_string(), value);
        }
        Ok(())
    }

    fn resolve(&self, entity: &str) -> Option<&str> {
        self.entities.get(entity).map(String::as_str)
    }
}

/// Only accepts internal `<!ENTITY name "literal">` declarations; never touches the filesystem.
#[derive(Default)]
pub struct InlineEntityResolver {
    entities: HashMap<String, String>,
}

impl EntityResolver for InlineEntityResolver {
    type Error = Infallible;

    fn capture(&mut self, doctype: BytesText) -> Result<(), Self::Error> {
        let decl = String::from_utf8_lossy(doctype.as_ref()).into_owned();
        for part in decl.split("<!ENTITY").skip(1) {
            let mut it = part.splitn(2, '"');
            let name = it.next().unwrap_or_default().trim();
            let value = it.next().and_then(|rest| rest.split('"').next());
            if let (false, Some(v)) = (name.contains(' '), value) {
                self.entities.insert(name.to_string(), v.to_string());
            }
        }
        Ok(())
    }

    fn resolve(&self, entity: &str) -> Option<&str> {
        self.entities.get(entity).map(String::as_str)
    }
}

/// Invoices uploaded by suppliers through the partner portal.
pub fn import_supplier_invoice(xml: &str) -> Result<Invoice, quick_xml::DeError> {
    let mut de = Deserializer::from_str_with_resolver(xml, FileEntityResolver::default()); //~ xxe
    Invoice::deserialize(&mut de)
}

/// Nightly batch: invoice files dropped into the SFTP inbox by partners.
pub fn import_inbox_file(path: &str) -> Result<Invoice, Box<dyn std::error::Error>> {
    let reader = BufReader::new(File::open(path)?);
    let mut de = Deserializer::with_resolver(reader, FileEntityResolver::default()); //~ xxe
    Ok(Invoice::deserialize(&mut de)?)
}

pub fn import_invoice_inline_entities(xml: &str) -> Result<Invoice, quick_xml::DeError> {
    let mut de = Deserializer::from_str_with_resolver(xml, InlineEntityResolver::default());
    Invoice::deserialize(&mut de)
}

pub fn import_invoice(xml: &str) -> Result<Invoice, quick_xml::DeError> {
    quick_xml::de::from_str(xml)
}
