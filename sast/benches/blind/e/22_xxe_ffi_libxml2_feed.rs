// Scenario: a feed-aggregator worker that binds libxml2 directly over FFI for
// RSS/Atom and OPML. Feeds come from the subscription table; OPML from uploads.
use quick_xml::events::Event;
use quick_xml::Reader;
use std::ffi::{c_char, c_int, c_void, CString};

const XML_PARSE_RECOVER: c_int = 1;
const XML_PARSE_NOENT: c_int = 2;
const XML_PARSE_DTDLOAD: c_int = 4;
const XML_PARSE_DTDATTR: c_int = 8;
const XML_PARSE_NOERROR: c_int = 32;
const XML_PARSE_NONET: c_int = 2048;

#[link(name = "xml2")]
extern "C" {
    fn xmlNewParserCtxt() -> *mut c_void;
    fn xmlFreeParserCtxt(ctxt: *mut c_void);
    fn xmlCtxtReadMemory(
        ctxt: *mut c_void,
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        enc: *const c_char,
        opts: c_int,
    ) -> *mut c_void;
    fn xmlReadFile(filename: *const c_char, enc: *const c_char, opts: c_int) -> *mut c_void;
    fn xmlFreeDoc(doc: *mut c_void);
}

pub struct XmlDoc(*mut c_void);

impl Drop for XmlDoc {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.0) }
    }
}

fn feed_options(lenient: bool) -> c_int {
    if lenient {
        XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOENT
    } else {
        XML_PARSE_NONET | XML_PARSE_NOERROR
    }
}

pub fn parse_feed(body: &[u8], base_url: &str, lenient: bool) -> Option<XmlDoc> {
    let url = CString::new(base_url).ok()?;
    let opts = feed_options(lenient);
    unsafe {
        let ctxt = xmlNewParserCtxt();
        let (buf, len) = (body.as_ptr() as *const c_char, body.len() as c_int);
        let doc = xmlCtxtReadMemory(ctxt, buf, len, url.as_ptr(), std::ptr::null(), opts); //~ xxe
        xmlFreeParserCtxt(ctxt);
        (!doc.is_null()).then(|| XmlDoc(doc))
    }
}

pub fn import_opml(upload_path: &str) -> Option<XmlDoc> {
    let path = CString::new(upload_path).ok()?;
    let opts = XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR;
    let doc = unsafe { xmlReadFile(path.as_ptr(), std::ptr::null(), opts) }; //~ xxe
    (!doc.is_null()).then(|| XmlDoc(doc))
}

pub fn quick_titles(body: &[u8]) -> Vec<String> {
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut titles = Vec::new();
    let mut in_title = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => in_title = e.name().as_ref() == b"title",
            Ok(Event::Text(t)) if in_title => {
                titles.push(t.unescape().map(|s| s.into_owned()).unwrap_or_default())
            }
            Ok(Event::End(_)) => in_title = false,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    titles
}

pub async fn refresh(
    http: &reqwest::Client,
    feed_url: &str,
) -> Result<usize, Box<dyn std::error::Error>> {
    let resp = http.get(feed_url).send().await?.error_for_status()?;
    let is_atom = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or(false, |ct| ct.contains("atom"));
    let body = resp.bytes().await?;
    if is_atom {
        return Ok(quick_titles(&body).len());
    }
    let lenient = body.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"");
    let doc = parse_feed(&body, feed_url, lenient).ok_or("unparseable feed")?;
    drop(doc);
    Ok(1)
}
