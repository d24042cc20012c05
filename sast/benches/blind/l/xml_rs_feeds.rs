//! Feed reader backend: subscribe to RSS/Atom feeds and import OPML lists.

use actix_web::{post, web, App, HttpResponse, HttpServer};
use libxml::bindings::{
    xmlCtxtReadMemory, xmlDocPtr, xmlFreeDoc, xmlFreeParserCtxt, xmlNewParserCtxt,
    xmlParserOption_XML_PARSE_DTDATTR as XML_PARSE_DTDATTR,
    xmlParserOption_XML_PARSE_DTDLOAD as XML_PARSE_DTDLOAD,
    xmlParserOption_XML_PARSE_NOENT as XML_PARSE_NOENT,
};
use roxmltree::{Document, ParsingOptions};
use serde::{Deserialize, Serialize};
use std::os::raw::{c_char, c_int};
use std::ptr;
use xml::reader::{EventReader, ParserConfig, XmlEvent};

const MAX_ITEMS: usize = 500;
const MIRROR_BASE: &str = "https://feeds.mirror.example.org";

#[derive(Deserialize)]
struct SubscribeBody {
    url: String,
}

#[derive(Serialize, Default)]
struct FeedSummary {
    title: String,
    items: Vec<String>,
}

fn feed_parse_options() -> ParsingOptions {
    ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    }
}

fn opml_parse_flags() -> c_int {
    (XML_PARSE_DTDLOAD | XML_PARSE_NOENT | XML_PARSE_DTDATTR) as c_int
}

struct FeedFetcher {
    user_agent: String,
}

impl FeedFetcher {
    async fn fetch(&self, url: &str) -> surf::Result<String> {
        let ua = self.user_agent.as_str();
        surf::get(url).header("User-Agent", ua).recv_string().await //~ ssrf
    }

    async fn fetch_mirrored(&self, feed_id: u64) -> surf::Result<String> {
        let url = format!("{}/feeds/{}.xml", MIRROR_BASE, feed_id);
        surf::get(url).recv_string().await
    }
}

fn declared_item_count(doc: &Document) -> usize {
    doc.descendants()
        .find(|n| n.has_tag_name("channel"))
        .and_then(|n| n.attribute("itemCount"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn collect_titles(doc: &Document, items: &mut Vec<String>, limit: usize) {
    for node in doc.descendants().filter(|n| n.has_tag_name("item")) {
        if items.len() >= limit {
            break;
        }
        if let Some(t) = node.children().find(|c| c.has_tag_name("title")) {
            items.push(t.text().unwrap_or_default().to_string());
        }
    }
}

fn summarize_feed(xml: &str) -> Result<FeedSummary, roxmltree::Error> {
    let doc = Document::parse_with_options(xml, feed_parse_options())?; //~ xxe
    let mut items = Vec::with_capacity(declared_item_count(&doc)); //~ unbounded-allocation
    collect_titles(&doc, &mut items, usize::MAX);
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string();
    Ok(FeedSummary { title, items })
}

fn summarize_mirrored(xml: &str) -> Result<FeedSummary, roxmltree::Error> {
    let doc = Document::parse(xml)?;
    let mut items = Vec::with_capacity(declared_item_count(&doc).min(MAX_ITEMS));
    collect_titles(&doc, &mut items, MAX_ITEMS);
    Ok(FeedSummary {
        title: String::from("mirror"),
        items,
    })
}

struct OwnedDoc(xmlDocPtr);

impl Drop for OwnedDoc {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.0) };
    }
}

fn parse_opml_libxml(body: &[u8]) -> Option<OwnedDoc> {
    let flags = opml_parse_flags();
    let buf = body.as_ptr() as *const c_char;
    let len = body.len() as c_int;
    unsafe {
        let ctxt = xmlNewParserCtxt();
        let doc = xmlCtxtReadMemory(ctxt, buf, len, ptr::null(), ptr::null(), flags); //~ xxe
        xmlFreeParserCtxt(ctxt);
        (!doc.is_null()).then(|| OwnedDoc(doc))
    }
}

fn opml_outline_urls(body: &[u8]) -> Vec<String> {
    let config = ParserConfig::new()
        .trim_whitespace(true)
        .ignore_comments(true);
    let reader = EventReader::new_with_config(body, config);
    let mut urls = Vec::new();
    for event in reader.into_iter().flatten() {
        if let XmlEvent::StartElement {
            name, attributes, ..
        } = event
        {
            if name.local_name == "outline" {
                let url = attributes.iter().find(|a| a.name.local_name == "xmlUrl");
                urls.extend(url.map(|a| a.value.clone()));
            }
        }
        if urls.len() >= MAX_ITEMS {
            break;
        }
    }
    urls
}

#[post("/subscriptions")]
async fn subscribe(
    fetcher: web::Data<FeedFetcher>,
    body: web::Json<SubscribeBody>,
) -> HttpResponse {
    let xml = match fetcher.fetch(&body.url).await {
        Ok(x) => x,
        Err(_) => return HttpResponse::BadGateway().finish(),
    };
    match summarize_feed(&xml) {
        Ok(s) => HttpResponse::Ok().json(s),
        Err(_) => HttpResponse::UnprocessableEntity().finish(),
    }
}

#[post("/mirrored/{id}")]
async fn mirrored(fetcher: web::Data<FeedFetcher>, id: web::Path<u64>) -> HttpResponse {
    let Ok(xml) = fetcher.fetch_mirrored(id.into_inner()).await else {
        return HttpResponse::BadGateway().finish();
    };
    match summarize_mirrored(&xml) {
        Ok(s) => HttpResponse::Ok().json(s),
        Err(_) => HttpResponse::UnprocessableEntity().finish(),
    }
}

#[post("/opml")]
async fn import_opml(body: web::Bytes) -> HttpResponse {
    let urls = opml_outline_urls(&body);
    HttpResponse::Ok().json(serde_json::json!({ "feeds": urls }))
}

#[post("/opml/full")]
async fn import_opml_full(body: web::Bytes) -> HttpResponse {
    match parse_opml_libxml(&body) {
        Some(_doc) => HttpResponse::Accepted().finish(),
        None => HttpResponse::UnprocessableEntity().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let fetcher = web::Data::new(FeedFetcher {
        user_agent: "feedhub/2.3".into(),
    });
    HttpServer::new(move || {
        App::new()
            .app_data(fetcher.clone())
            .service(subscribe)
            .service(mirrored)
            .service(import_opml)
            .service(import_opml_full)
    })
    .bind(("0.0.0.0", 8095))?
    .run()
    .await
}
