use isahc::config::{Configurable, SslOption};
use isahc::HttpClient;
use libxml::bindings::{
    xmlCtxtReadMemory, xmlDocPtr, xmlFreeDoc, xmlFreeParserCtxt, xmlNewParserCtxt, xmlParserOption_XML_PARSE_DTDLOAD,
    xmlParserOption_XML_PARSE_NOENT, xmlParserOption_XML_PARSE_NONET, xmlParserOption_XML_PARSE_NOWARNING, xmlReadMemory,
};
use std::ffi::CString;
use std::net::TcpStream;
use std::os::raw::{c_char, c_int};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    pub ca_bundle: Option<Vec<u8>>,
    pub timeout: Duration,
    pub expand_entities: bool,
    pub legacy_host: String,
}

impl UpstreamConfig {
    pub fn from_env() -> Self {
        Self {
            ca_bundle: std::env::var("UPSTREAM_CA").ok().and_then(|p| std::fs::read(p).ok()),
            timeout: Duration::from_secs(10),
            expand_entities: std::env::var("FEED_EXPAND_ENTITIES").is_ok(),
            legacy_host: std::env::var("LEGACY_HOST").unwrap_or_else(|_| "legacy.partner.example".into()),
        }
    }
}

pub fn catalog_client(cfg: &UpstreamConfig) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder().timeout(cfg.timeout).danger_accept_invalid_certs(false);
    if let Some(pem) = &cfg.ca_bundle {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem)?);
    }
    b.build()
}

pub fn partner_client(cfg: &UpstreamConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(cfg.timeout)
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .build()
}

pub fn legacy_stream(cfg: &UpstreamConfig) -> Result<native_tls::TlsStream<TcpStream>, Box<dyn std::error::Error>> {
    let connector = native_tls::TlsConnector::builder()
        .danger_accept_invalid_hostnames(true) //~ tls-verification-disabled
        .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
        .build()?;
    let tcp = TcpStream::connect((cfg.legacy_host.as_str(), 443))?;
    Ok(connector.connect(&cfg.legacy_host, tcp)?)
}

pub fn metrics_client(cfg: &UpstreamConfig) -> Result<HttpClient, isahc::Error> {
    HttpClient::builder()
        .timeout(cfg.timeout)
        .ssl_options(SslOption::DANGER_ACCEPT_INVALID_CERTS | SslOption::DANGER_ACCEPT_REVOKED_CERTS) //~ tls-verification-disabled
        .build()
}

pub fn status_client(cfg: &UpstreamConfig) -> Result<HttpClient, isahc::Error> {
    HttpClient::builder().timeout(cfg.timeout).ssl_options(SslOption::NONE).build()
}

pub struct FeedParser {
    options: c_int,
}

impl FeedParser {
    pub fn strict() -> Self {
        Self { options: (xmlParserOption_XML_PARSE_NONET | xmlParserOption_XML_PARSE_NOWARNING) as c_int }
    }

    pub fn for_config(cfg: &UpstreamConfig) -> Self {
        let mut p = Self::strict();
        if cfg.expand_entities {
            p.options |= (xmlParserOption_XML_PARSE_NOENT | xmlParserOption_XML_PARSE_DTDLOAD) as c_int;
        }
        p
    }

    pub fn parse(&self, body: &[u8]) -> Option<xmlDocPtr> {
        unsafe {
            let ctxt = xmlNewParserCtxt();
            if ctxt.is_null() {
                return None;
            }
            let doc = xmlCtxtReadMemory(ctxt, body.as_ptr() as *const c_char, body.len() as c_int, std::ptr::null(), std::ptr::null(), self.options); //~ xxe
            xmlFreeParserCtxt(ctxt);
            if doc.is_null() {
                None
            } else {
                Some(doc)
            }
        }
    }
}

pub fn parse_partner_feed(body: &[u8]) -> Option<xmlDocPtr> {
    let base = CString::new("https://partner.example/feed.xml").ok()?;
    let opts = (xmlParserOption_XML_PARSE_NOENT | xmlParserOption_XML_PARSE_DTDLOAD) as c_int;
    let doc = unsafe { xmlReadMemory(body.as_ptr() as *const c_char, body.len() as c_int, base.as_ptr(), std::ptr::null(), opts) }; //~ xxe
    if doc.is_null() {
        None
    } else {
        Some(doc)
    }
}

pub fn parse_status_feed(body: &[u8]) -> Option<xmlDocPtr> {
    let opts = xmlParserOption_XML_PARSE_NONET as c_int;
    let doc = unsafe { xmlReadMemory(body.as_ptr() as *const c_char, body.len() as c_int, std::ptr::null(), std::ptr::null(), opts) };
    (!doc.is_null()).then_some(doc)
}

pub async fn refresh_all(cfg: &UpstreamConfig) -> Result<usize, Box<dyn std::error::Error>> {
    let catalog = catalog_client(cfg)?.get("https://catalog.example/items.xml").send().await?.bytes().await?;
    let partner = partner_client(cfg)?.get("https://partner.example/feed.xml").send().await?.bytes().await?;
    let mut docs = Vec::new();
    docs.extend(FeedParser::for_config(cfg).parse(&catalog));
    docs.extend(parse_partner_feed(&partner));
    docs.extend(parse_status_feed(&catalog));
    let n = docs.len();
    for d in docs {
        unsafe { xmlFreeDoc(d) };
    }
    Ok(n)
}
