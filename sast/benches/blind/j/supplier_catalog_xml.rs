//! Imports supplier catalogue feeds (XML uploads) into the local SQLite store.

use libc::{c_char, c_int, c_uchar};
use rusqlite::{params, Connection};
use std::ffi::CStr;

#[allow(non_camel_case_types)]
#[repr(C)]
pub struct xmlDoc {
    _p: [u8; 0],
}

#[allow(non_camel_case_types)]
#[repr(C)]
pub struct xmlNode {
    _p: [u8; 0],
}

const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_NOBLANKS: c_int = 1 << 8;
const XML_PARSE_NONET: c_int = 1 << 11;

extern "C" {
    fn xmlReadMemory(
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut xmlDoc;
    fn xmlDocGetRootElement(doc: *mut xmlDoc) -> *mut xmlNode;
    fn xmlFirstElementChild(node: *mut xmlNode) -> *mut xmlNode;
    fn xmlNextElementSibling(node: *mut xmlNode) -> *mut xmlNode;
    fn xmlGetProp(node: *mut xmlNode, name: *const c_uchar) -> *mut c_uchar;
    fn xmlFreeDoc(doc: *mut xmlDoc);
}

pub struct FeedDoc {
    raw: *mut xmlDoc,
}

impl Drop for FeedDoc {
    fn drop(&mut self) {
        unsafe { xmlFreeDoc(self.raw) }
    }
}

fn supplier_options() -> c_int {
    XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_NOBLANKS
}

fn read_doc(bytes: &[u8], options: c_int) -> *mut xmlDoc {
    let (ptr, len) = (bytes.as_ptr() as *const c_char, bytes.len() as c_int);
    unsafe { xmlReadMemory(ptr, len, std::ptr::null(), std::ptr::null(), options) }
}

impl FeedDoc {
    pub fn parse_supplier(bytes: &[u8]) -> Option<Self> {
        let opts = supplier_options();
        let (ptr, len) = (bytes.as_ptr() as *const c_char, bytes.len() as c_int);
        let raw = unsafe { xmlReadMemory(ptr, len, std::ptr::null(), std::ptr::null(), opts) }; //~ xxe
        (!raw.is_null()).then_some(Self { raw })
    }

    pub fn parse_strict(bytes: &[u8]) -> Option<Self> {
        let raw = read_doc(bytes, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
        (!raw.is_null()).then_some(Self { raw })
    }

    pub fn root(&self) -> *mut xmlNode {
        unsafe { xmlDocGetRootElement(self.raw) }
    }
}

fn attr(node: *mut xmlNode, name: &CStr) -> Option<String> {
    let value = unsafe { xmlGetProp(node, name.as_ptr() as *const c_uchar) };
    if value.is_null() {
        return None;
    }
    let text = unsafe { CStr::from_ptr(value as *const c_char) };
    Some(text.to_string_lossy().into_owned())
}

pub struct Product {
    pub sku: String,
    pub title: String,
    pub price_cents: i64,
}

fn products(doc: &FeedDoc) -> Vec<Product> {
    let mut out = Vec::new();
    let mut node = unsafe { xmlFirstElementChild(doc.root()) };
    while !node.is_null() {
        let sku = attr(node, c"sku").unwrap_or_default();
        let title = attr(node, c"title").unwrap_or_default();
        let price = attr(node, c"price").and_then(|p| p.parse().ok());
        out.push(Product {
            sku,
            title,
            price_cents: price.unwrap_or(0),
        });
        node = unsafe { xmlNextElementSibling(node) };
    }
    out
}

fn insert_product(conn: &Connection, p: &Product) -> rusqlite::Result<usize> {
    let sql = format!(
        "INSERT OR REPLACE INTO products (sku, title, price_cents) VALUES ('{}', '{}', {})",
        p.sku, p.title, p.price_cents
    );
    conn.execute(&sql, []) //~ sql-injection
}

fn record_stock(conn: &Connection, p: &Product, qty: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO stock (sku, qty) VALUES (?1, ?2) ON CONFLICT(sku) DO UPDATE SET qty = ?2",
        params![p.sku, qty],
    )
}

fn root_of(bytes: &[u8]) -> Option<*mut xmlNode> {
    let doc = FeedDoc::parse_strict(bytes)?;
    Some(doc.root())
}

pub fn feed_version(bytes: &[u8]) -> Option<String> {
    let root = root_of(bytes)?;
    let raw = unsafe { xmlGetProp(root, c"version".as_ptr() as *const c_uchar) }; //~ dangling-pointer
    if raw.is_null() {
        return None;
    }
    let text = unsafe { CStr::from_ptr(raw as *const c_char) };
    Some(text.to_string_lossy().into_owned())
}

pub fn import_supplier_feed(conn: &Connection, upload: &[u8]) -> Result<usize, String> {
    let doc = FeedDoc::parse_supplier(upload).ok_or("unparseable feed")?;
    let items = products(&doc);
    for item in &items {
        insert_product(conn, item).map_err(|e| e.to_string())?;
    }
    Ok(items.len())
}

pub fn import_stock_feed(conn: &Connection, upload: &[u8]) -> Result<usize, String> {
    let doc = FeedDoc::parse_strict(upload).ok_or("unparseable feed")?;
    let version = attr(doc.root(), c"version").unwrap_or_else(|| "1".into());
    let items = products(&doc);
    for item in &items {
        record_stock(conn, item, item.price_cents).map_err(|e| e.to_string())?;
    }
    log::info!("stock feed v{} imported: {} rows", version, items.len());
    Ok(items.len())
}
