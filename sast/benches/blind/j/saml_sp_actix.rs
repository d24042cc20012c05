//! SAML service provider endpoints: IdP metadata registration and the ACS.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{post, web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use libxml::bindings::{
    xmlDocGetRootElement, xmlFreeDoc, xmlParserOption_XML_PARSE_DTDATTR,
    xmlParserOption_XML_PARSE_DTDLOAD, xmlParserOption_XML_PARSE_NOENT,
    xmlParserOption_XML_PARSE_NONET, xmlReadMemory,
};
use openssl::hash::{hash, MessageDigest};
use serde::Deserialize;
use std::os::raw::{c_char, c_int};

const SAML_PARSE_FLAGS: u32 = xmlParserOption_XML_PARSE_NOENT | xmlParserOption_XML_PARSE_DTDATTR;
const MAX_METADATA: usize = 1024 * 1024;
const TRUSTED_IDPS: &[&str] = &["login.microsoftonline.com", "accounts.google.com"];

#[derive(Deserialize)]
struct MetadataForm {
    idp_metadata_url: String,
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
}

struct Assertion {
    subject: String,
    digest_ok: bool,
}

fn parse_assertion(xml: &[u8]) -> Option<Assertion> {
    let (buf, len) = (xml.as_ptr() as *const c_char, xml.len() as c_int);
    let nul = std::ptr::null();
    let doc = unsafe { xmlReadMemory(buf, len, nul, nul, SAML_PARSE_FLAGS as c_int) }; //~ xxe
    if doc.is_null() {
        return None;
    }
    let root = unsafe { xmlDocGetRootElement(doc) };
    let found = !root.is_null();
    unsafe { xmlFreeDoc(doc) };
    let subject = extract_subject(xml)?;
    Some(Assertion {
        digest_ok: found && verify_digest(xml),
        subject,
    })
}

fn extract_subject(xml: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    let node = doc.descendants().find(|n| n.has_tag_name("NameID"))?;
    node.text().map(str::to_owned)
}

fn digest_value(canonical: &[u8]) -> Option<Vec<u8>> {
    let digest = hash(MessageDigest::sha1(), canonical).ok()?; //~ weak-hash
    Some(digest.to_vec())
}

fn verify_digest(xml: &[u8]) -> bool {
    let text = String::from_utf8_lossy(xml);
    let claimed = text
        .split("<ds:DigestValue>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|s| B64.decode(s.trim()).ok());
    let canonical = text
        .split("<ds:Signature")
        .next()
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    claimed.is_some() && claimed == digest_value(&canonical)
}

fn metadata_fingerprint(metadata: &[u8]) -> Option<String> {
    hash(MessageDigest::sha256(), metadata)
        .ok()
        .map(hex::encode)
}

async fn read_capped(mut resp: reqwest::Response) -> reqwest::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_METADATA.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(out)
}

async fn fetch_metadata(client: &reqwest::Client, url: &str) -> reqwest::Result<Vec<u8>> {
    let resp = client.get(url).send().await?; //~ ssrf
    read_capped(resp).await
}

fn idp_allowed(url: &str) -> bool {
    match reqwest::Url::parse(url) {
        Ok(u) => u.scheme() == "https" && u.host_str().is_some_and(|h| TRUSTED_IDPS.contains(&h)),
        Err(_) => false,
    }
}

fn sp_session_cookie(sid: String) -> Cookie<'static> {
    Cookie::build("sp_session", sid) //~ cookie-without-httponly
        .path("/")
        .secure(true)
        .same_site(SameSite::Strict)
        .finish()
}

fn relay_state_cookie(state: String) -> Cookie<'static> {
    Cookie::build("sp_relay", state)
        .path("/acs")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

#[post("/admin/idp")]
async fn register_idp(
    client: web::Data<reqwest::Client>,
    form: web::Form<MetadataForm>,
) -> HttpResponse {
    let Ok(raw) = fetch_metadata(&client, &form.idp_metadata_url).await else {
        return HttpResponse::BadGateway().finish();
    };
    let opts = xmlParserOption_XML_PARSE_DTDLOAD | xmlParserOption_XML_PARSE_NOENT;
    let (buf, len) = (raw.as_ptr() as *const c_char, raw.len() as c_int);
    let nul = std::ptr::null();
    let doc = unsafe { xmlReadMemory(buf, len, nul, nul, opts as c_int) }; //~ xxe
    if doc.is_null() {
        return HttpResponse::UnprocessableEntity().finish();
    }
    unsafe { xmlFreeDoc(doc) };
    let fp = metadata_fingerprint(&raw).unwrap_or_default();
    HttpResponse::Created().body(fp)
}

#[post("/admin/idp/trusted")]
async fn register_trusted_idp(
    client: web::Data<reqwest::Client>,
    form: web::Form<MetadataForm>,
) -> HttpResponse {
    if !idp_allowed(&form.idp_metadata_url) {
        return HttpResponse::Forbidden().finish();
    }
    let Ok(raw) = client.get(&form.idp_metadata_url).send().await else {
        return HttpResponse::BadGateway().finish();
    };
    let body = read_capped(raw).await.unwrap_or_default();
    let opts = xmlParserOption_XML_PARSE_NONET as c_int;
    let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
    let doc = unsafe { xmlReadMemory(buf, len, std::ptr::null(), std::ptr::null(), opts) };
    if doc.is_null() {
        return HttpResponse::UnprocessableEntity().finish();
    }
    unsafe { xmlFreeDoc(doc) };
    HttpResponse::Created().finish()
}

#[post("/acs")]
async fn acs(form: web::Form<AcsForm>) -> HttpResponse {
    let Ok(xml) = B64.decode(form.saml_response.trim()) else {
        return HttpResponse::BadRequest().finish();
    };
    match parse_assertion(&xml) {
        Some(a) if a.digest_ok => {
            log::info!("saml login for {}", a.subject);
            HttpResponse::Found()
                .cookie(sp_session_cookie(uuid::Uuid::new_v4().to_string()))
                .cookie(relay_state_cookie("/".to_owned()))
                .insert_header(("Location", "/"))
                .finish()
        }
        _ => HttpResponse::Forbidden().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let client = web::Data::new(reqwest::Client::new());
    HttpServer::new(move || {
        App::new()
            .app_data(client.clone())
            .service(register_idp)
            .service(register_trusted_idp)
            .service(acs)
    })
    .bind(("0.0.0.0", 8443))?
    .run()
    .await
}
