// Scenario: SAML SP endpoints for an actix-web app using the `libxml` crate.
// The ACS endpoint receives base64 SAMLResponse posts; admins import IdP metadata.
use actix_web::{post, web, HttpResponse};
use base64::Engine;
use libxml::bindings::{
    xmlParserOption_XML_PARSE_DTDLOAD as DTDLOAD, xmlParserOption_XML_PARSE_NOENT as NOENT,
    xmlParserOption_XML_PARSE_NONET as NONET, xmlReadMemory, xmlSubstituteEntitiesDefault,
};
use libxml::parser::Parser;
use libxml::tree::Document;
use libxml::xpath::Context;
use serde::Deserialize;
use std::os::raw::c_int;

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
}

#[derive(Deserialize)]
struct MetadataImport {
    xml: String,
}

struct SamlReader {
    options: c_int,
}

impl SamlReader {
    fn strict() -> Self {
        SamlReader {
            options: NONET as c_int,
        }
    }

    fn compat() -> Self {
        SamlReader {
            options: (NOENT | DTDLOAD) as c_int,
        }
    }

    fn read(&self, xml: &[u8]) -> Option<Document> {
        let (buf, len) = (xml.as_ptr().cast(), xml.len() as c_int);
        let none = std::ptr::null();
        let doc = unsafe { xmlReadMemory(buf, len, none, none, self.options) }; //~ xxe
        (!doc.is_null()).then(|| Document::new_ptr(doc))
    }
}

fn name_id(doc: &Document) -> Option<String> {
    let ctx = Context::new(doc).ok()?;
    ctx.register_namespace("saml", "urn:oasis:names:tc:SAML:2.0:assertion")
        .ok()?;
    let nodes = ctx
        .evaluate("//saml:Subject/saml:NameID")
        .ok()?
        .get_nodes_as_vec();
    nodes.first().map(|n| n.get_content())
}

fn decode_response(b64: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
}

#[post("/saml/acs")]
async fn acs(form: web::Form<AcsForm>) -> HttpResponse {
    let Some(raw) = decode_response(&form.saml_response) else {
        return HttpResponse::BadRequest().finish();
    };
    let legacy_idp = raw.windows(9).any(|w| w == b"<!DOCTYPE");
    let reader = if legacy_idp {
        SamlReader::compat()
    } else {
        SamlReader::strict()
    };
    match reader.read(&raw).as_ref().and_then(name_id) {
        Some(id) => HttpResponse::Ok().body(format!("welcome {}", id)),
        None => HttpResponse::Unauthorized().finish(),
    }
}

#[post("/admin/idp-metadata")]
async fn import_metadata(body: web::Json<MetadataImport>) -> HttpResponse {
    let parser = Parser::default();
    unsafe {
        xmlSubstituteEntitiesDefault(1); //~ xxe
    }
    let parsed = parser.parse_string(&body.xml);
    unsafe {
        xmlSubstituteEntitiesDefault(0);
    }
    match parsed {
        Ok(doc) => HttpResponse::Ok().body(
            doc.get_root_element()
                .map(|r| r.get_name())
                .unwrap_or_default(),
        ),
        Err(_) => HttpResponse::UnprocessableEntity().finish(),
    }
}

#[post("/admin/sp-config/validate")]
async fn validate_sp_config(body: String) -> HttpResponse {
    match roxmltree::Document::parse(&body) {
        Ok(doc) => HttpResponse::Ok().body(doc.root_element().tag_name().name().to_string()),
        Err(e) => HttpResponse::BadRequest().body(e.to_string()),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(acs)
        .service(import_metadata)
        .service(validate_sp_config);
}
