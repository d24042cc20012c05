// Plugin manifest and site-config loader for a static site generator, parsed with roxmltree.
use roxmltree::{Document, ParsingOptions};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

const PERMISSIVE: ParsingOptions = ParsingOptions {
    allow_dtd: true,
    nodes_limit: u32::MAX,
};

#[derive(Debug, Default)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub hooks: Vec<String>,
}

fn read_manifest(doc: &Document) -> Manifest {
    let mut m = Manifest::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "name" => m.name = node.text().unwrap_or_default().to_string(),
            "version" => m.version = node.text().unwrap_or_default().to_string(),
            "hook" => m.hooks.push(node.attribute("run").unwrap_or_default().to_string()),
            _ => {}
        }
    }
    m
}

/// Manifests of third-party plugins downloaded from the registry (untrusted).
pub fn load_plugin_manifest(text: &str) -> Result<Manifest, roxmltree::Error> {
    let doc = Document::parse_with_options(text, ParsingOptions { allow_dtd: true, ..ParsingOptions::default() })?; //~ xxe
    Ok(read_manifest(&doc))
}

/// Theme bundles uploaded by users.
pub fn load_theme_manifest(path: &Path) -> Option<Manifest> {
    let text = fs::read_to_string(path).ok()?;
    let doc = Document::parse_with_options(&text, PERMISSIVE).ok()?; //~ xxe
    Some(read_manifest(&doc))
}

/// Project's own site.xml: default options reject DTDs.
pub fn load_site_config(path: &Path) -> Option<HashMap<String, String>> {
    let text = fs::read_to_string(path).ok()?;
    let doc = Document::parse(&text).ok()?;
    let mut out = HashMap::new();
    for node in doc.root_element().children().filter(|n| n.is_element()) {
        if let Some(v) = node.text() {
            out.insert(node.tag_name().name().to_string(), v.trim().to_string());
        }
    }
    Some(out)
}

/// Hardened path for remote manifests after the security review.
pub fn load_plugin_manifest_strict(text: &str) -> Result<Manifest, roxmltree::Error> {
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 50_000,
    };
    let doc = Document::parse_with_options(text, opts)?;
    Ok(read_manifest(&doc))
}
