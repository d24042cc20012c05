//! Imports HR roster exports (uploaded XML) and provisions database accounts.

use libc::{c_char, c_int, c_uchar};
use postgres::Client;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::ffi::CStr;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

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

#[allow(non_camel_case_types)]
#[repr(C)]
pub struct xmlParserCtxt {
    _p: [u8; 0],
}

const XML_PARSE_NOENT: c_int = 1 << 1;
const XML_PARSE_DTDLOAD: c_int = 1 << 2;
const XML_PARSE_DTDATTR: c_int = 1 << 3;

extern "C" {
    fn xmlSubstituteEntitiesDefault(val: c_int) -> c_int;
    fn xmlParseMemory(buf: *const c_char, size: c_int) -> *mut xmlDoc;
    fn xmlNewParserCtxt() -> *mut xmlParserCtxt;
    fn xmlCtxtReadMemory(
        ctxt: *mut xmlParserCtxt,
        buf: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut xmlDoc;
    fn xmlFreeParserCtxt(ctxt: *mut xmlParserCtxt);
    fn xmlDocGetRootElement(doc: *mut xmlDoc) -> *mut xmlNode;
    fn xmlFirstElementChild(node: *mut xmlNode) -> *mut xmlNode;
    fn xmlNextElementSibling(node: *mut xmlNode) -> *mut xmlNode;
    fn xmlGetProp(node: *mut xmlNode, name: *const c_uchar) -> *mut c_uchar;
    fn xmlFreeDoc(doc: *mut xmlDoc);
}

#[derive(Default, Clone)]
pub struct Account {
    pub login: String,
    pub email: String,
    pub password: String,
}

fn prop(node: *mut xmlNode, name: &CStr) -> String {
    let raw = unsafe { xmlGetProp(node, name.as_ptr() as *const c_uchar) };
    if raw.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(raw as *const c_char) }
        .to_string_lossy()
        .into_owned()
}

fn accounts_from(doc: *mut xmlDoc) -> Vec<Account> {
    let mut out = Vec::new();
    let mut node = unsafe { xmlFirstElementChild(xmlDocGetRootElement(doc)) };
    while !node.is_null() {
        out.push(Account {
            login: prop(node, c"login"),
            email: prop(node, c"email"),
            password: prop(node, c"initial-password"),
        });
        node = unsafe { xmlNextElementSibling(node) };
    }
    unsafe { xmlFreeDoc(doc) };
    out
}

pub fn enable_legacy_entities() {
    unsafe { xmlSubstituteEntitiesDefault(1) }; //~ xxe
}

fn parse_legacy(bytes: &[u8]) -> Vec<Account> {
    let doc = unsafe { xmlParseMemory(bytes.as_ptr() as *const c_char, bytes.len() as c_int) };
    if doc.is_null() {
        return Vec::new();
    }
    accounts_from(doc)
}

pub struct ImportProfile {
    options: c_int,
}

impl ImportProfile {
    pub fn hr_feed() -> Self {
        Self {
            options: XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR,
        }
    }

    pub fn parse(&self, bytes: &[u8]) -> Vec<Account> {
        let (buf, len) = (bytes.as_ptr() as *const c_char, bytes.len() as c_int);
        let ctxt = unsafe { xmlNewParserCtxt() };
        let nul = std::ptr::null();
        let doc = unsafe { xmlCtxtReadMemory(ctxt, buf, len, nul, nul, self.options) }; //~ xxe
        unsafe { xmlFreeParserCtxt(ctxt) };
        if doc.is_null() {
            return Vec::new();
        }
        accounts_from(doc)
    }
}

pub fn parse_roster_quick(bytes: &[u8]) -> Vec<Account> {
    let mut reader = Reader::from_reader(bytes);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Ok(ev) = reader.read_event_into(&mut buf) {
        match ev {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"employee" => {
                let mut acct = Account::default();
                for a in e.attributes().flatten() {
                    let v = String::from_utf8_lossy(&a.value).into_owned();
                    match a.key.as_ref() {
                        b"login" => acct.login = v,
                        b"email" => acct.email = v,
                        _ => {}
                    }
                }
                out.push(acct);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

pub fn write_accounts_csv(path: &Path, accounts: &[Account]) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for a in accounts {
        writeln!(out, "{},{},{}", a.login, a.email, a.password)?; //~ cleartext-storage
    }
    out.flush()
}

pub fn write_directory_csv(path: &Path, accounts: &[Account]) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for a in accounts {
        writeln!(out, "{},{}", a.login, a.email)?;
    }
    out.flush()
}

pub fn provision(db: &mut Client, a: &Account) -> Result<(), postgres::Error> {
    let ddl = format!("CREATE ROLE \"{}\" LOGIN IN ROLE staff", a.login);
    db.batch_execute(&ddl)?; //~ sql-injection
    let sql = "INSERT INTO directory (login, email) VALUES ($1, $2)";
    db.execute(sql, &[&a.login, &a.email])?;
    Ok(())
}

pub fn import_upload(db: &mut Client, upload: &[u8], legacy: bool) -> std::io::Result<usize> {
    let accounts = if legacy {
        enable_legacy_entities();
        parse_legacy(upload)
    } else if upload.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><hr") {
        ImportProfile::hr_feed().parse(upload)
    } else {
        parse_roster_quick(upload)
    };
    write_accounts_csv(Path::new("/var/lib/hr/initial-credentials.csv"), &accounts)?;
    write_directory_csv(Path::new("/var/lib/hr/directory.csv"), &accounts)?;
    for a in &accounts {
        provision(db, a).map_err(std::io::Error::other)?;
    }
    Ok(accounts.len())
}
