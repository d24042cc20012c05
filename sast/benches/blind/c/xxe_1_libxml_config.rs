// SAML/metadata loader for an SSO gateway built on the `libxml` crate (libxml2 bindings).
use libxml::parser::{Parser, ParserOptions, XmlParseError};
use libxml::tree::Document;
use libxml::xpath::Context;
use std::fs;
use std::path::Path;

pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
}

fn extract(doc: &Document) -> Option<IdpMetadata> {
    let ctx = Context::new(doc).ok()?;
    let entity_id = ctx
        .evaluate("string(/*[local-name()='EntityDescriptor']/@entityID)")
        .ok()?
        .to_string();
    let sso_url = ctx
        .evaluate("string(//*[local-name()='SingleSignOnService']/@Location)")
        .ok()?
        .to_string();
    Some(IdpMetadata { entity_id, sso_url })
}

/// Metadata pushed by a remote IdP during federation onboarding (untrusted).
pub fn load_remote_metadata(body: &str) -> Result<Document, XmlParseError> {
    let parser = Parser::default();
    parser.parse_string_with_options(body, ParserOptions { no_net: false, no_def_dtd: false, ..ParserOptions::default() }) //~ xxe
}

/// SAML responses posted back by the browser (untrusted).
pub fn parse_saml_response(decoded: &[u8]) -> Option<IdpMetadata> {
    let parser = Parser::default();
    let opts = ParserOptions {
        recover: true,
        no_net: true,
        ..ParserOptions::default()
    };
    let doc = parser.parse_string_with_options(decoded, opts).ok()?;
    extract(&doc)
}

/// Metadata file uploaded via the admin UI and stored on disk.
pub fn load_uploaded_file(path: &Path) -> Option<IdpMetadata> {
    let parser = Parser::default();
    let doc = parser.parse_file_with_options(path.to_str()?, ParserOptions { no_net: false, recover: true, ..ParserOptions::default() }).ok()?; //~ xxe
    extract(&doc)
}

/// Bundled, vendor-signed metadata: parsed with default options.
pub fn load_bundled(path: &Path) -> Option<IdpMetadata> {
    let text = fs::read_to_string(path).ok()?;
    let doc = Parser::default().parse_string(&text).ok()?;
    extract(&doc)
}

pub fn load_all(bodies: &[String]) -> Vec<IdpMetadata> {
    let mut out = Vec::new();
    for body in bodies {
        let parser = Parser::default();
        if let Ok(doc) = parser.parse_string(body) {
            if let Some(m) = extract(&doc) {
                out.push(m);
            }
        }
    }
    out
}
