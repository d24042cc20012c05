//! `tollgate key generate` and keyed `tollgate sign`, with cosign's flags.
//!
//! Passwords come from `--password-file`, `--password-stdin`, a prompt on
//! a terminal, or (for CI compatibility with cosign) the `COSIGN_PASSWORD`
//! environment variable, which is the weaker choice: environments leak
//! into child processes, crash reports and `/proc`.

use crate::{checks, output};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use tollgate_attest::keys::{KeyKind, KeyPair};
use zeroize::Zeroizing;

#[derive(Args, Debug, Clone)]
pub struct PasswordArgs {
    /// Read the key password from this file (first line).
    #[arg(long, value_name = "FILE", conflicts_with = "password_stdin")]
    pub password_file: Option<PathBuf>,
    /// Read the key password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Allow plain HTTP to a registry on a loopback address (tests, local registries).
    #[arg(long)]
    pub allow_insecure_registry: bool,
    /// Registry user name (default: the Docker config file and credential helpers).
    #[arg(long, value_name = "USER", requires = "registry_password_file")]
    pub registry_username: Option<String>,
    /// File holding the registry password.
    #[arg(long, value_name = "FILE", requires = "registry_username")]
    pub registry_password_file: Option<PathBuf>,
}

impl RegistryArgs {
    pub fn options(&self) -> Result<tollgate_attest::oci::RegistryOptions> {
        let password = match &self.registry_password_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("{}: cannot read", path.display()))?
                    .trim_end()
                    .to_string(),
            ),
            None => None,
        };
        Ok(tollgate_attest::oci::RegistryOptions {
            allow_insecure: self.allow_insecure_registry,
            username: self.registry_username.clone(),
            password,
        })
    }
}

#[derive(Args, Debug)]
pub struct VerifyImageArgs {
    /// Image reference; a tag is resolved to its digest first.
    pub image: String,
    /// Public key (SPKI PEM).
    #[arg(long, value_name = "PEM")]
    pub key: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

pub fn run_verify_image(args: VerifyImageArgs) -> Result<u8> {
    // An unreadable or non-PEM key is an input error (exit 2), not a failed verification.
    let pem = checks::public_key(&args.key)?;
    match tollgate_attest::oci::verify_image_keyed(&args.image, &pem, &args.registry.options()?) {
        Ok(v) => {
            output::line(&serde_json::to_string_pretty(&v)?)?;
            output::info!(
                "Verified OK: {} ({} cosign signature(s), {} bundle referrer(s))",
                v.image,
                v.signatures,
                v.bundles
            );
            Ok(0)
        }
        Err(tollgate_attest::Error::Verification(message)) => {
            eprintln!("error: {}: verification failed: {message}", args.image);
            Ok(crate::EXIT_FINDINGS)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeyType {
    EcdsaP256,
    /// ECDSA P-384 with SHA-384.
    EcdsaP384,
    Ed25519,
    /// RSA PKCS#1 v1.5 with SHA-256.
    #[value(name = "rsa-2048")]
    Rsa2048,
    #[value(name = "rsa-3072")]
    Rsa3072,
    #[value(name = "rsa-4096")]
    Rsa4096,
}

impl KeyType {
    fn kind(self) -> KeyKind {
        match self {
            KeyType::EcdsaP256 => KeyKind::EcdsaP256,
            KeyType::EcdsaP384 => KeyKind::EcdsaP384,
            KeyType::Ed25519 => KeyKind::Ed25519,
            KeyType::Rsa2048 => KeyKind::Rsa2048,
            KeyType::Rsa3072 => KeyKind::Rsa3072,
            KeyType::Rsa4096 => KeyKind::Rsa4096,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Generate a key pair: `<prefix>.key` (encrypted, mode 0600) and `<prefix>.pub` (SPKI PEM).
    Generate {
        /// The algorithm (cosign: `--signing-algorithm`).
        #[arg(
            long = "type",
            alias = "algorithm",
            value_enum,
            default_value = "ecdsa-p256"
        )]
        key_type: KeyType,
        /// File name prefix (cosign's flag).
        #[arg(long, default_value = "cosign")]
        output_key_prefix: String,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Rotate a signing key: write a new key pair and print the policy
    /// authorities that retire the old key and admit the new one (the old
    /// key's `validUntil` ends the overlap; signatures it made inside its
    /// window, as logged, stay valid).
    Rotate {
        /// The public key being retired (SPKI PEM).
        #[arg(long, value_name = "FILE")]
        old_public_key: PathBuf,
        /// The authority's name in the policy.
        #[arg(long, default_value = "release-key")]
        name: String,
        #[arg(long = "type", value_enum, default_value = "ecdsa-p256")]
        key_type: KeyType,
        /// File name prefix of the new key pair.
        #[arg(long)]
        output_key_prefix: String,
        /// Days both keys are accepted.
        #[arg(long, default_value_t = 7)]
        overlap_days: i64,
        /// Days the new key is valid (the rotation period).
        #[arg(long, default_value_t = 90)]
        validity_days: i64,
        /// Keep `allowUnlogged: true` on both authorities (for attestations
        /// made with `tollgate attest --key` and no transparency log).
        #[arg(long)]
        allow_unlogged: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Write a key's public key as SPKI PEM (cosign's `public-key`): from an
    /// encrypted key file, or from a PKCS#11 token (`--key pkcs11:...`).
    #[command(alias = "export")]
    PublicKey {
        /// Private key file, or a `pkcs11:` URI (RFC 7512, as cosign).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// Write here instead of standard output.
        #[arg(long, alias = "outfile", value_name = "FILE")]
        output_file: Option<PathBuf>,
        #[command(flatten)]
        password: PasswordArgs,
    },
}

#[derive(Args, Debug)]
#[command(
    after_help = "Without --key, signs keylessly: an OIDC identity token (--identity-token, or GitHub Actions' \
ambient token with `id-token: write`) buys a short-lived Fulcio certificate, and the signature is logged to Rekor."
)]
pub struct SignArgs {
    /// The file to sign. An argument that is not an existing file is an image
    /// only when written in full, with its registry and a tag or digest
    /// (`ghcr.io/org/app:1.0`, `localhost:5000/app@sha256:...`,
    /// `docker.io/library/app:1`); anything else is a missing file.
    pub file: PathBuf,
    /// Private key (cosign's encrypted PEM) for keyed signing, or a key on a
    /// PKCS#11 token: `pkcs11:token=T;object=LABEL?module-path=/path/to/module.so&pin-source=FILE`.
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub sigstore: SigstoreArgs,
    /// Where to write the Sigstore bundle (v0.3); required for files. For
    /// images the bundle is pushed to the registry as a referrer.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Sigstore services for keyless signing (and for logging keyed signatures).
#[derive(Args, Debug, Clone)]
pub struct SigstoreArgs {
    /// OIDC identity token for keyless signing (ignored with --key, so an
    /// ambient SIGSTORE_ID_TOKEN does not break keyed signing).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SIGSTORE_ID_TOKEN",
        hide_env_values = true
    )]
    pub identity_token: Option<String>,
    /// Fulcio (certificate authority) URL.
    #[arg(long, value_name = "URL", default_value = tollgate_attest::keyless::DEFAULT_FULCIO_URL)]
    pub fulcio_url: String,
    /// Rekor (transparency log) URL. Keyed signatures are logged only when this is given.
    #[arg(long, value_name = "URL")]
    pub rekor_url: Option<String>,
    /// Sigstore SigningConfig JSON (v0.2, or v0.1): the first CA, Rekor log
    /// (API v1 or v2) and RFC 3161 timestamp authority valid now, as cosign v3.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["rekor_url"])]
    pub signing_config: Option<PathBuf>,
    /// The services `--signing-config` selected.
    #[arg(skip)]
    pub services: Option<tollgate_attest::keyless::Services>,
    /// Verify the new bundle against this trusted root before writing it
    /// (certificate chain, SCT, log entry), so a misconfigured instance fails now.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

impl SigstoreArgs {
    /// Apply `--signing-config`: its CA and Rekor URLs replace the flags.
    pub fn resolve(&mut self) -> Result<()> {
        if let Some(root) = &self.trusted_root {
            checks::trusted_root(root)?;
        }
        if let Some(config) = &self.signing_config {
            let services = tollgate_attest::signing_config::load(config)?;
            self.fulcio_url = services.fulcio_url.clone();
            self.rekor_url = services.rekor.as_ref().map(|log| log.url.clone());
            self.services = Some(services);
        }
        Ok(())
    }

    /// The services to sign with: the signing config's, else the flags'
    /// (Rekor v1, no timestamp authority; keyless always logs).
    pub fn services(&self, keyless: bool) -> tollgate_attest::keyless::Services {
        match &self.services {
            Some(services) => services.clone(),
            None => {
                let rekor = match keyless {
                    true => Some(self.keyless_rekor_url()),
                    false => self.rekor_url.clone(),
                };
                tollgate_attest::keyless::Services::from_urls(&self.fulcio_url, rekor.as_deref())
            }
        }
    }

    /// The Rekor URL keyless signing logs to (public-good by default).
    pub fn keyless_rekor_url(&self) -> String {
        self.rekor_url
            .clone()
            .unwrap_or_else(|| tollgate_attest::keyless::DEFAULT_REKOR_URL.to_string())
    }

    /// The OIDC token: the flag or `SIGSTORE_ID_TOKEN`, else GitHub Actions' ambient token.
    pub fn identity_token(&self) -> Result<String> {
        match &self.identity_token {
            Some(token) => Ok(token.clone()),
            None => match tollgate_attest::keyless::github_actions_token()? {
                Some(token) => Ok(token),
                None => bail!("keyless signing needs an identity token: --identity-token, or GitHub Actions with `id-token: write` (or give --key)"),
            },
        }
    }
}

fn read_password(args: &PasswordArgs, confirm: bool) -> Result<Zeroizing<String>> {
    if let Some(path) = &args.password_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read password file", path.display()))?,
        );
        return Ok(Zeroizing::new(
            text.lines().next().unwrap_or("").to_string(),
        ));
    }
    if args.password_stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the password from standard input")?;
        return Ok(Zeroizing::new(
            text.trim_end_matches(['\n', '\r']).to_string(),
        ));
    }
    if let Ok(env) = std::env::var("COSIGN_PASSWORD") {
        return Ok(Zeroizing::new(env));
    }
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password(
            "Enter password for private key: ",
        )?);
        if confirm {
            let again = Zeroizing::new(rpassword::prompt_password(
                "Enter password for private key again: ",
            )?);
            if *first != *again {
                bail!("passwords do not match");
            }
        }
        return Ok(first);
    }
    bail!("no password: use --password-file, --password-stdin, or COSIGN_PASSWORD (weaker: environments leak)")
}

/// Write a new private key file with mode 0600, refusing to replace one
/// unless forced: written whole into a temporary file beside it (created
/// 0600), synced, then moved into place, so a failed write leaves no
/// half-written key.
pub fn write_private_key(path: &Path, pem: &str, force: bool) -> Result<()> {
    use std::io::Write;
    let cannot = || format!("{}: cannot write key file", path.display());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".tollgate-key-")
        .tempfile_in(dir)
        .with_context(cannot)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(cannot)?;
    }
    tmp.write_all(pem.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(cannot)?;
    let placed = if force {
        tmp.persist(path).map(drop)
    } else {
        tmp.persist_noclobber(path).map(drop)
    };
    placed.map_err(|e| e.error).with_context(|| {
        format!(
            "{}: cannot create key file (use --force to overwrite)",
            path.display()
        )
    })
}

pub fn run_key(command: KeyCommand) -> Result<u8> {
    match command {
        KeyCommand::Generate {
            key_type,
            output_key_prefix,
            force,
            password,
        } => {
            let private = PathBuf::from(format!("{output_key_prefix}.key"));
            let public = PathBuf::from(format!("{output_key_prefix}.pub"));
            if !force && (private.exists() || public.exists()) {
                bail!(
                    "{} or {} already exists (use --force to overwrite)",
                    private.display(),
                    public.display()
                );
            }
            let password = read_password(&password, true)?;
            let key = KeyPair::try_generate(key_type.kind())?;
            let pem = key.to_encrypted_pem(password.as_bytes())?;
            write_private_key(&private, &pem, force)?;
            output::write_atomic(&public, key.public_key_pem().as_bytes())?;
            output::info!(
                "Private key written to {}\nPublic key written to {}",
                private.display(),
                public.display()
            );
            Ok(0)
        }
        KeyCommand::Rotate {
            old_public_key,
            name,
            key_type,
            output_key_prefix,
            overlap_days,
            validity_days,
            allow_unlogged,
            password,
        } => rotate(
            &old_public_key,
            &name,
            key_type,
            &output_key_prefix,
            (overlap_days, validity_days),
            allow_unlogged,
            &password,
        ),
        KeyCommand::PublicKey {
            key,
            output_file,
            password,
        } => {
            let key = load_key(&key, &password)?;
            let pem = key.public_key_pem();
            match &output_file {
                Some(path) => {
                    output::write_atomic(path, pem.as_bytes())?;
                    output::info!(
                        "Public key ({}) written to {}",
                        key.kind().as_str(),
                        path.display()
                    );
                }
                None => output::write(None, &pem)?,
            }
            Ok(0)
        }
    }
}

/// `tollgate key rotate`.
fn rotate(
    old_public_key: &Path,
    name: &str,
    key_type: KeyType,
    output_key_prefix: &str,
    (overlap_days, validity_days): (i64, i64),
    allow_unlogged: bool,
    password: &PasswordArgs,
) -> Result<u8> {
    if !(0..=365).contains(&overlap_days) || !(1..=3650).contains(&validity_days) {
        bail!("--overlap-days must be 0..=365 and --validity-days 1..=3650");
    }
    let old = std::fs::read_to_string(old_public_key)
        .with_context(|| format!("{}: cannot read public key", old_public_key.display()))?;
    if tollgate_attest::keys::public_key_algorithm(&old).is_none() {
        bail!(
            "{}: not an SPKI PEM public key of a supported type",
            old_public_key.display()
        );
    }
    let private = PathBuf::from(format!("{output_key_prefix}.key"));
    let public = PathBuf::from(format!("{output_key_prefix}.pub"));
    if private.exists() || public.exists() {
        bail!(
            "{} or {} already exists: a rotation never overwrites a key",
            private.display(),
            public.display()
        );
    }
    let password = read_password(password, true)?;
    let key = KeyPair::try_generate(key_type.kind())?;
    write_private_key(&private, &key.to_encrypted_pem(password.as_bytes())?, false)?;
    output::write_atomic(&public, key.public_key_pem().as_bytes())?;
    let now = crate::audit_cmd::now();
    let today = crate::dates::date_of(now)?;
    let retire = crate::dates::date_of(now + overlap_days * 86_400)?;
    let until = crate::dates::date_of(now + validity_days * 86_400)?;
    let indent = |pem: &str| -> String { pem.lines().map(|l| format!("      {l}\n")).collect() };
    // Both keys belong to one principal, so together they count once
    // towards a threshold.
    let extra = if allow_unlogged {
        "    allowUnlogged: true\n"
    } else {
        ""
    };
    let snippet = format!(
        "# Replace the authority `{name}` in your policy with these two.\n\
         # The old key is accepted until {retire} (signatures logged before then stay valid);\n\
         # the new key from {today} until {until}. Rotate again before then.\n\
         authorities:\n  - name: {name}-until-{retire}\n    principal: {name}\n    key: |\n{}    validUntil: \"{retire}\"\n{extra}\
         \x20 - name: {name}\n    principal: {name}\n    key: |\n{}    validFrom: \"{today}\"\n    validUntil: \"{until}\"\n{extra}",
        indent(&old),
        indent(&key.public_key_pem()),
    );
    output::write(None, &snippet)?;
    output::info!(
        "New private key written to {}\nNew public key written to {}",
        private.display(),
        public.display()
    );
    Ok(0)
}

/// A signing key: cosign's encrypted PEM file, or a key on a PKCS#11
/// token named by a `pkcs11:` URI (no password asked: the URI, its
/// `pin-source` or `COSIGN_PKCS11_PIN` gives the PIN). Errors name the
/// URI without its PIN.
pub fn load_key(path: &Path, password: &PasswordArgs) -> Result<KeyPair> {
    if let Some(text) = path
        .to_str()
        .filter(|t| tollgate_attest::pkcs11::is_pkcs11_uri(t))
    {
        let uri = tollgate_attest::pkcs11::Pkcs11Uri::parse(text)?;
        let key = tollgate_attest::pkcs11::Pkcs11Key::open(&uri)?;
        return Ok(KeyPair::from_pkcs11(key));
    }
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read key", path.display()))?;
    let password = read_password(password, false)?;
    KeyPair::from_encrypted_pem(&pem, password.as_bytes())
        .with_context(|| format!("{}", path.display()))
}

pub fn run_sign(mut args: SignArgs) -> Result<u8> {
    args.sigstore.resolve()?;
    let rekor = args.sigstore.keyless_rekor_url();
    if !args.file.exists() {
        // An image reference (written in full): sign its digest in the registry.
        let image = args.file.to_string_lossy().into_owned();
        if !checks::is_image_reference(&image) {
            return Err(checks::missing_file_or_image(&image, "sign"));
        }
        if let Some(services) = &args.sigstore.services {
            if services.tsa_url.is_some()
                || services
                    .rekor
                    .as_ref()
                    .is_some_and(|log| log.major_api_version != 1)
            {
                bail!("{}: images are signed through Rekor v1 only; this signing config selects Rekor v2 or a timestamp authority", args.sigstore.signing_config.as_deref().unwrap_or(Path::new("--signing-config")).display());
            }
        }
        let key = match &args.key {
            Some(path) => Some(load_key(path, &args.password)?),
            None => None,
        };
        let token;
        let signer = match &key {
            Some(key) => tollgate_attest::oci::ImageSigner::Keyed(key),
            None => {
                token = args.sigstore.identity_token()?;
                tollgate_attest::oci::ImageSigner::Keyless {
                    token: &token,
                    fulcio_url: &args.sigstore.fulcio_url,
                    rekor_url: &rekor,
                }
            }
        };
        let signed = tollgate_attest::oci::sign_image(&image, signer, &args.registry.options()?)?;
        output::line(&serde_json::to_string_pretty(&signed)?)?;
        output::info!(
            "Signed {} (cosign signature at tag {}, bundle referrer {}{})",
            signed.image,
            signed.signature_tag,
            signed.referrer_digest,
            if signed.referrers_fallback {
                ", indexed by the tag-schema fallback"
            } else {
                ""
            }
        );
        return Ok(0);
    }
    if args.file.is_dir() {
        bail!("{}: is a directory, not a file", args.file.display());
    }
    let Some(bundle_path) = &args.bundle else {
        bail!("--bundle FILE is required when signing a file");
    };
    let artifact = std::fs::read(&args.file)
        .with_context(|| format!("{}: cannot read", args.file.display()))?;
    let key = match &args.key {
        Some(key_path) => Some(load_key(key_path, &args.password)?),
        None => None,
    };
    let (bundle, how) = match &key {
        Some(key) => match &args.sigstore.rekor_url {
            Some(rekor) => (
                tollgate_attest::keyless::sign_keyed_via(
                    &artifact,
                    key,
                    &args.sigstore.services(false),
                )?,
                format!("keyed, {}, logged to {rekor}", key.kind().as_str()),
            ),
            None => (
                tollgate_attest::sign::keyed_bundle(key, &artifact),
                format!(
                    "keyed, {}, not logged to a transparency log",
                    key.kind().as_str()
                ),
            ),
        },
        None => {
            let token = args.sigstore.identity_token()?;
            let bundle = tollgate_attest::keyless::sign_keyless_via(
                &artifact,
                &token,
                &args.sigstore.services(true),
            )?;
            (
                bundle,
                format!(
                    "keyless, certificate from {}, logged to {rekor}",
                    args.sigstore.fulcio_url
                ),
            )
        }
    };
    if let Some(key) = &key {
        key.signing_failure()?;
    }
    let bytes = tollgate_attest::sign::to_bytes(&bundle);
    if let Some(root) = &args.sigstore.trusted_root {
        // Check the fresh bundle before it exists anywhere.
        let signer = match &key {
            Some(key) => tollgate_attest::verify::Signer::KeyPem(key.public_key_pem()),
            None => tollgate_attest::verify::Signer::AnyIdentity,
        };
        tollgate_attest::verify::verify_bundle_text(
            Path::new("<new bundle>"),
            &String::from_utf8_lossy(&bytes),
            &tollgate_attest::verify::Subject::File(args.file.clone()),
            &signer,
            &tollgate_attest::verify::Trust::File(root.clone()),
            args.sigstore.rekor_url.is_none() && args.key.is_some(),
        )
        .with_context(|| format!("the new bundle does not verify against {}", root.display()))?;
    }
    output::write_atomic(bundle_path, &bytes)?;
    output::info!("Wrote bundle to {} ({how})", bundle_path.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failed test
    use super::write_private_key;

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_private_key_is_written_whole_mode_0600_and_never_replaced_unforced() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.key");
        write_private_key(&key, "first", false).unwrap();
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let refused = write_private_key(&key, "second", false).unwrap_err();
        assert!(format!("{refused:#}").contains("--force"), "{refused:#}");
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "first");
        write_private_key(&key, "third", true).unwrap();
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "third");
        // No temporary file is left beside it.
        assert_eq!(names(dir.path()), ["k.key"]);
    }
}
