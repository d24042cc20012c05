// https://github.com/DioxusLabs/dioxus/pull/1305 (tool extract: zip entry name used as the output path)
use std::fs;
use std::io;
use std::path::Path;

pub fn extract_zip(archive_path: &Path, target: &Path) -> io::Result<()> {
    let file = fs::File::open(archive_path)?;
    let mut zip = zip::ZipArchive::new(file)?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let path = target.join(entry.name());
        let mut out = fs::File::create(&path)?; //~ path-traversal
        io::copy(&mut entry, &mut out)?;
    }
    Ok(())
}

pub fn fixed_extract_zip(archive_path: &Path, target: &Path) -> io::Result<()> {
    let file = fs::File::open(archive_path)?;
    let mut zip = zip::ZipArchive::new(file)?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let Some(name) = entry.enclosed_name() else { continue };
        let path = target.join(name);
        let mut out = fs::File::create(&path)?;
        io::copy(&mut entry, &mut out)?;
    }
    Ok(())
}
