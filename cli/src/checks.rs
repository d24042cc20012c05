//! Checks on command-line inputs made before any work starts, so a
//! mistake is an input error (exit 2) that names the file and the problem,
//! never a verification failure, a silently empty input, or a request to a
//! public registry.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// Whether an argument that is not an existing file names an image.
///
/// Like cosign's `sign`/`sign-blob` split, but in one command: an existing
/// path is always a file. Anything else is an image only when written as a
/// full reference — a registry host (`ghcr.io/…`, `localhost:5000/…`,
/// `docker.io/library/…`) and a tag (`:1.0`) or a digest (`@sha256:…`) —
/// and not like a path (`./x`, `/x`, `../x`, `~/x`). So a mistyped file name
/// (`dist/app.tar.gzz`, `app-v2.bin`) is reported as a missing file instead
/// of being resolved against Docker Hub.
pub fn is_image_reference(arg: &str) -> bool {
    if arg.is_empty()
        || arg.starts_with(['/', '.', '~'])
        || arg.contains(char::is_whitespace)
        || arg.contains('\\')
    {
        return false;
    }
    let Some((host, rest)) = arg.split_once('/') else {
        return false;
    };
    let host_like = host == "localhost" || host.contains('.') || host.contains(':');
    if !host_like || rest.is_empty() || host.starts_with('-') {
        return false;
    }
    let (name, digest) = match rest.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (rest, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tagged = last
        .split_once(':')
        .is_some_and(|(repo, tag)| !repo.is_empty() && !tag.is_empty());
    let digested = digest.is_some_and(|d| {
        d.strip_prefix("sha256:")
            .is_some_and(|hex| hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
    });
    let repository_ok = name.split('/').all(|part| {
        let part = part.split(':').next().unwrap_or(part);
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    });
    repository_ok && (tagged || digested) && (digest.is_none() || digested)
}

/// The error for an argument that is neither an existing file nor an image.
pub fn missing_file_or_image(arg: &str, what: &str) -> anyhow::Error {
    let path = Path::new(arg);
    if path.is_dir() {
        return anyhow::anyhow!("{arg}: is a directory, not a file");
    }
    anyhow::anyhow!(
        "{arg}: no such file (to {what} an image, give its full reference with the registry and a tag or digest, \
like ghcr.io/org/app:1.0 or docker.io/library/app@sha256:<hex>)"
    )
}

/// A `sha256:…`-style digest argument that is not an existing file must be
/// exactly `sha256:` and 64 hex digits; anything else that looks like a
/// digest is a malformed or unsupported digest, not a missing file.
pub fn digest_argument(arg: &str) -> Result<()> {
    if Path::new(arg).exists() {
        return Ok(());
    }
    let Some((algorithm, value)) = arg.split_once(':') else {
        return Ok(());
    };
    let algorithm_like = !algorithm.is_empty()
        && algorithm.len() <= 16
        && algorithm
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let value_like = !value.is_empty() && value.chars().all(|c| c.is_ascii_hexdigit());
    if !(algorithm_like && (value_like || algorithm.starts_with("sha"))) {
        return Ok(());
    }
    match algorithm {
        "sha256" if value.len() == 64 && value_like => Ok(()),
        "sha256" => bail!(
            "{arg}: malformed digest: sha256 needs 64 hexadecimal digits, this has {} character(s){}",
            value.len(),
            if value_like { "" } else { " that are not all hexadecimal" }
        ),
        other => bail!("{arg}: unsupported digest algorithm `{other}` (give the file, or sha256:<64 hex>)"),
    }
}

/// A public key file: readable and an SPKI PEM key of a supported kind.
pub fn public_key(path: &Path) -> Result<String> {
    let text = std::fs::read(path)
        .with_context(|| format!("{}: cannot read public key", path.display()))?;
    let text = String::from_utf8(text).map_err(|_| {
        anyhow::anyhow!(
            "{}: not a PEM public key (the file is not text)",
            path.display()
        )
    })?;
    if tollgate_attest::keys::public_key_algorithm(&text).is_some() {
        return Ok(text);
    }
    if !text.contains("-----BEGIN PUBLIC KEY-----") {
        if text.contains("PRIVATE KEY-----") {
            bail!(
                "{}: a private key; give the public key (`.pub`)",
                path.display()
            );
        }
        bail!(
            "{}: not a PEM public key (expected -----BEGIN PUBLIC KEY-----)",
            path.display()
        );
    }
    bail!(
        "{}: unreadable or unsupported public key (supported: ECDSA P-256, P-384, RSA 2048+, Ed25519)",
        path.display()
    )
}

/// A trusted root file: JSON, and a Sigstore trusted root, not a bundle or
/// any other document (which would otherwise read as an empty root).
pub fn trusted_root(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read trusted root", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: trusted root is not JSON: {e}", path.display()))?;
    let Some(object) = value.as_object() else {
        bail!(
            "{}: not a Sigstore trusted root (expected a JSON object)",
            path.display()
        );
    };
    let media_type = object.get("mediaType").and_then(|m| m.as_str());
    if object.contains_key("verificationMaterial")
        || media_type.is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
    {
        bail!(
            "{}: is a Sigstore bundle, not a trusted root (--trusted-root takes trusted_root.json)",
            path.display()
        );
    }
    if let Some(m) = media_type {
        if !m.starts_with("application/vnd.dev.sigstore.trustedroot") {
            bail!(
                "{}: mediaType `{m}` is not a Sigstore trusted root",
                path.display()
            );
        }
    }
    let listed = |key: &str| {
        object
            .get(key)
            .and_then(|v| v.as_array())
            .is_some_and(|a| !a.is_empty())
    };
    if ![
        "tlogs",
        "certificateAuthorities",
        "ctlogs",
        "timestampAuthorities",
    ]
    .iter()
    .any(|k| listed(k))
    {
        bail!(
            "{}: not a Sigstore trusted root (no tlogs, certificateAuthorities, ctlogs or timestampAuthorities)",
            path.display()
        );
    }
    Ok(())
}

/// A bundle file: readable JSON object, so a wrong file is named as such
/// rather than by the parser's internal type names.
pub fn bundle_shape(path: &Path) -> Result<()> {
    let bytes =
        std::fs::read(path).with_context(|| format!("{}: cannot read bundle", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: bundle is not JSON: {e}", path.display()))?;
    let is_bundle = value.as_object().is_some_and(|o| {
        o.contains_key("verificationMaterial")
            && (o.contains_key("messageSignature") || o.contains_key("dsseEnvelope"))
    });
    if !is_bundle {
        bail!(
            "{}: not a Sigstore bundle (expected a JSON object with verificationMaterial and a messageSignature or dsseEnvelope)",
            path.display()
        );
    }
    Ok(())
}

/// A file given as the artifact to verify: it must exist and be a regular
/// file (symbolic links followed). A directory, a FIFO (whose read would
/// wait forever for a writer) or a device is an input error (exit 2).
pub fn subject_file(path: &std::path::Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) if m.is_dir() => anyhow::bail!("{}: is a directory, not a file", path.display()),
        Ok(_) => anyhow::bail!(
            "{}: not a regular file (a FIFO, socket or device is refused)",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "{}: no such file (a digest is written sha256:<64 hex>)",
            path.display()
        ),
        Err(e) => anyhow::bail!("{}: cannot read: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_paths() {
        for image in [
            "ghcr.io/org/app:1.0",
            "localhost:5000/app:latest",
            "127.0.0.1:5000/a/b:v1",
            "docker.io/library/nginx:1.27",
            "ghcr.io/org/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(is_image_reference(image), "{image}");
        }
        for path in [
            "app.tar",
            "dist/app.bin",
            "./ghcr.io/x:1",
            "/tmp/a:b",
            "nginx:latest",
            "ghcr.io/org/app",
            "ghcr.io/org/app@sha256:abc",
            "build.out/App:1",
            "",
        ] {
            assert!(!is_image_reference(path), "{path}");
        }
    }

    #[test]
    fn digests() {
        let ok = format!("sha256:{}", "a".repeat(64));
        assert!(digest_argument(&ok).is_ok());
        let short = format!("sha256:{}", "a".repeat(63));
        assert!(digest_argument(&short)
            .unwrap_err()
            .to_string()
            .contains("malformed digest"));
        assert!(digest_argument("sha512:abcd")
            .unwrap_err()
            .to_string()
            .contains("unsupported digest algorithm"));
        assert!(digest_argument("file.txt").is_ok());
        assert!(digest_argument("dir/file:1.txt").is_ok());
    }
}
