//! cosign's keyless identity flags, shared by `verify-bundle`,
//! `verify-image` and `verify-attestation`:
//!
//! * `--certificate-identity ID` or `--certificate-identity-regexp RE`
//!   (exactly one), matched against the certificate's single Subject
//!   Alternative Name as `tollgate_attest::identity` reads it (a certificate
//!   with several names has no identity and never matches);
//! * `--certificate-oidc-issuer URL` or `--certificate-oidc-issuer-regexp RE`
//!   (exactly one), matched against the certificate's OIDC issuer extension.
//!
//! Exact values compare byte for byte: no case folding, no trimming, so a
//! trailing newline or a different case is a different identity.
//!
//! **Patterns match the whole value.** cosign passes the pattern to Go's
//! `regexp.MatchString`, which is unanchored: there `--certificate-identity-regexp
//! 'github.com/org/'` also admits `https://github.com/org/../evil` or
//! `https://evil.example/github.com/org/`. Tollgate anchors every pattern
//! (`^(?:RE)$`), as the policy's `subjectRegExp` does, so a pattern admits
//! only what it spells out; write `.*` where any text may follow. Every
//! anchored match is also an unanchored one, so a pattern that admits an
//! identity here admits it in cosign too; the reverse may not hold, and
//! then tollgate refuses (fail closed).

use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use tollgate_attest::verify::{Signer, Trust, Verified};

/// The four flags, flattened into each verify command.
#[derive(Args, Debug, Clone, Default)]
pub struct IdentityArgs {
    /// Required signer identity (the certificate's SAN), exactly, for keyless signatures.
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub certificate_identity: Option<String>,
    /// Required signer identity as a pattern over the WHOLE SAN (anchored,
    /// unlike cosign: write `.*` where anything may follow).
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Option<String>,
    /// Required OIDC issuer of the signer's identity token, exactly.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub certificate_oidc_issuer: Option<String>,
    /// Required OIDC issuer as a pattern over the whole issuer URL (anchored).
    #[arg(long, value_name = "REGEX")]
    pub certificate_oidc_issuer_regexp: Option<String>,
}

/// Who must have signed a bundle or attestation, and under which trusted
/// root: the flags `verify-bundle` and `verify-attestation` share.
#[derive(Args, Debug, Clone, Default)]
pub struct SignerArgs {
    /// Public key (SPKI PEM) for keyed signatures.
    #[arg(long, value_name = "PEM", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer", "certificate_identity_regexp", "certificate_oidc_issuer_regexp"])]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Trusted root JSON (default: the Sigstore public-good root, built in).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

impl SignerArgs {
    /// The signer to verify with (`--key`, checked to be a public key, or
    /// the identity rule: exactly one), and the rule.
    pub fn signer(&self) -> Result<(Signer, Option<IdentityMatcher>)> {
        let matcher = self.identity.matcher()?;
        let signer = match (&self.key, &matcher) {
            (Some(key), None) => {
                crate::checks::public_key(key)?;
                Signer::Key(key.clone())
            }
            (None, Some(rule)) => rule.signer(),
            _ => bail!(
                "give --key, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]"
            ),
        };
        Ok((signer, matcher))
    }

    /// `--trusted-root`, checked to be one, else `default`.
    pub fn trust(&self, default: Trust) -> Result<Trust> {
        Ok(match &self.trusted_root {
            Some(path) => {
                crate::checks::trusted_root(path)?;
                Trust::File(path.clone())
            }
            None => default,
        })
    }
}

/// One side of the rule: a value compared exactly, or an anchored pattern.
#[derive(Debug, Clone)]
pub enum Match {
    Exact(String),
    Pattern(regex::Regex),
}

impl Match {
    fn pattern(flag: &str, pattern: &str) -> Result<Match> {
        match tollgate_verifier::policy::whole_value_regex(pattern) {
            Ok(re) => Ok(Match::Pattern(re)),
            Err(e) => bail!("--{flag}: `{pattern}` is not a valid pattern: {e}"),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Match::Exact(want) => value == want,
            Match::Pattern(re) => re.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Match::Exact(want) => want.clone(),
            Match::Pattern(re) => format!("/{}/", re.as_str()),
        }
    }
}

/// Who a keyless signature must come from.
#[derive(Debug, Clone)]
pub struct IdentityMatcher {
    pub identity: Match,
    pub issuer: Match,
}

impl IdentityArgs {
    /// Was any identity flag given?
    pub fn given(&self) -> bool {
        self.certificate_identity.is_some()
            || self.certificate_identity_regexp.is_some()
            || self.certificate_oidc_issuer.is_some()
            || self.certificate_oidc_issuer_regexp.is_some()
    }

    /// The rule, `None` when no flag was given. Half a rule (an identity
    /// without an issuer or the reverse) or an invalid pattern is a usage
    /// error: a keyless signature is never accepted on its identity alone.
    pub fn matcher(&self) -> Result<Option<IdentityMatcher>> {
        if !self.given() {
            return Ok(None);
        }
        let identity = match (
            &self.certificate_identity,
            &self.certificate_identity_regexp,
        ) {
            (Some(exact), None) => Match::Exact(exact.clone()),
            (None, Some(re)) => Match::pattern("certificate-identity-regexp", re)?,
            (Some(_), Some(_)) => {
                bail!("give --certificate-identity or --certificate-identity-regexp, not both")
            }
            (None, None) => bail!(
                "keyless verification needs --certificate-identity or --certificate-identity-regexp"
            ),
        };
        let issuer = match (
            &self.certificate_oidc_issuer,
            &self.certificate_oidc_issuer_regexp,
        ) {
            (Some(exact), None) => Match::Exact(exact.clone()),
            (None, Some(re)) => Match::pattern("certificate-oidc-issuer-regexp", re)?,
            (Some(_), Some(_)) => bail!(
                "give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both"
            ),
            (None, None) => bail!(
                "keyless verification needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp"
            ),
        };
        Ok(Some(IdentityMatcher { identity, issuer }))
    }
}

impl IdentityMatcher {
    /// The signer to verify with: exact values are also checked inside the
    /// Sigstore verifier; with a pattern, the chain, SCT and log are
    /// verified for any certified identity and [`IdentityMatcher::check`]
    /// then judges the identity the certificate names.
    pub fn signer(&self) -> Signer {
        match (&self.identity, &self.issuer) {
            (Match::Exact(identity), Match::Exact(issuer)) => Signer::Identity {
                identity: identity.clone(),
                issuer: issuer.clone(),
            },
            _ => Signer::AnyIdentity,
        }
    }

    /// Judge what verification certified (always, exact rules included).
    pub fn check(&self, verified: &Verified) -> Result<(), String> {
        let (Some(identity), Some(issuer)) = (&verified.identity, &verified.issuer) else {
            return Err("the certificate names no identity or no OIDC issuer".into());
        };
        if !self.identity.matches(identity) {
            return Err(format!(
                "certificate identity mismatch: expected {}, got {identity}",
                self.identity.describe()
            ));
        }
        if !self.issuer.matches(issuer) {
            return Err(format!(
                "certificate OIDC issuer mismatch: expected {}, got {issuer}",
                self.issuer.describe()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main";
    const GH: &str = "https://token.actions.githubusercontent.com";

    fn verified(identity: &str, issuer: &str) -> Verified {
        Verified {
            identity: Some(identity.into()),
            issuer: Some(issuer.into()),
            source_repository: None,
            integrated_time: None,
            signed_at: None,
            certificate_verified: true,
            sct_verified: true,
            tlog_verified: true,
            content: Default::default(),
        }
    }

    fn rule(id: (&str, bool), iss: (&str, bool)) -> IdentityMatcher {
        let mut a = IdentityArgs::default();
        if id.1 {
            a.certificate_identity_regexp = Some(id.0.into());
        } else {
            a.certificate_identity = Some(id.0.into());
        }
        if iss.1 {
            a.certificate_oidc_issuer_regexp = Some(iss.0.into());
        } else {
            a.certificate_oidc_issuer = Some(iss.0.into());
        }
        a.matcher().unwrap().unwrap()
    }

    #[test]
    fn exact_identity_admits_only_the_same_bytes() {
        let r = rule((ID, false), (GH, false));
        assert!(r.check(&verified(ID, GH)).is_ok());
        for attacker in [
            ID.to_uppercase(),
            format!("{ID}\n"),
            format!(" {ID}"),
            format!("{ID}x"),
            ID[..ID.len() - 1].to_string(),
        ] {
            assert!(r.check(&verified(&attacker, GH)).is_err(), "{attacker:?}");
        }
        assert!(r.check(&verified(ID, &format!("{GH}/"))).is_err());
        assert!(r.check(&verified(ID, &GH.to_uppercase())).is_err());
    }

    #[test]
    fn a_pattern_matches_the_whole_identity_only() {
        let r = rule(("foo", true), (GH, false));
        assert!(r.check(&verified("foo", GH)).is_ok());
        for attacker in ["evilfoo", "fooevil", "foo\n", "\nfoo", "FOO", "xfoox"] {
            assert!(r.check(&verified(attacker, GH)).is_err(), "{attacker:?}");
        }
        let r = rule((".*foo", true), (GH, false));
        assert!(
            r.check(&verified("evilfoo", GH)).is_ok(),
            "the user wrote .*"
        );
        assert!(r.check(&verified("evilfoo\n", GH)).is_err());
    }

    #[test]
    fn a_workflow_pattern_refuses_the_usual_tricks() {
        let r = rule(
            (
                r"https://github\.com/org/app/\.github/workflows/.*@refs/heads/main",
                true,
            ),
            (GH, false),
        );
        assert!(r.check(&verified(ID, GH)).is_ok());
        for attacker in [
            "https://github.com/org/app-evil/.github/workflows/x.yml@refs/heads/main",
            "https://evil.example/https://github.com/org/app/.github/workflows/x.yml@refs/heads/main",
            "https://github.com/org/app/.github/workflows/x.yml@refs/heads/main-evil",
            "https://github.com/org/app/.github/workflows/x.yml@refs/heads/main\nhttps://evil",
            "https://github.com/ORG/app/.github/workflows/x.yml@refs/heads/main",
        ] {
            assert!(r.check(&verified(attacker, GH)).is_err(), "{attacker:?}");
        }
    }

    #[test]
    fn a_pattern_cannot_break_out_of_its_anchors() {
        // Red-team finding: `^(?:a)|(b)$` was built from `a)|(b`.
        for (flag, pattern) in [
            (
                "identity",
                r"https://github\.com/org/app/.*)|(.*@refs/heads/main",
            ),
            ("issuer", "x)|(.*"),
            ("identity", "(?x)a#"),
        ] {
            assert!(Match::pattern(flag, pattern).is_err(), "{pattern}");
        }
    }

    #[test]
    fn an_issuer_pattern_is_anchored_too() {
        let r = rule(
            (ID, false),
            (r"https://token\.actions\.githubusercontent\.com", true),
        );
        assert!(r.check(&verified(ID, GH)).is_ok());
        for attacker in [
            "https://token.actions.githubusercontent.com.evil.example",
            "https://evil.example/https://token.actions.githubusercontent.com",
            "https://token.actions.githubusercontent.com\n",
        ] {
            assert!(r.check(&verified(ID, attacker)).is_err(), "{attacker:?}");
        }
    }

    #[test]
    fn no_identity_or_issuer_certified_is_refused() {
        let r = rule((".*", true), (".*", true));
        let mut v = verified(ID, GH);
        v.identity = None;
        assert!(r.check(&v).is_err());
        let mut v = verified(ID, GH);
        v.issuer = None;
        assert!(r.check(&v).is_err());
    }

    #[test]
    fn half_a_rule_or_a_bad_pattern_is_a_usage_error() {
        let only_identity = IdentityArgs {
            certificate_identity: Some(ID.into()),
            ..Default::default()
        };
        assert!(only_identity.matcher().is_err());
        let only_issuer = IdentityArgs {
            certificate_oidc_issuer_regexp: Some(".*".into()),
            ..Default::default()
        };
        assert!(only_issuer.matcher().is_err());
        let bad = IdentityArgs {
            certificate_identity_regexp: Some("(".into()),
            certificate_oidc_issuer: Some(GH.into()),
            ..Default::default()
        };
        assert!(bad.matcher().is_err());
        // A pattern cannot break out of the anchors with an alternation.
        let alt = rule(("foo|.*", true), (GH, false));
        assert!(
            alt.check(&verified("anything", GH)).is_ok(),
            "the user wrote .*"
        );
        let alt = rule(("foo|bar", true), (GH, false));
        assert!(alt.check(&verified("evilbar", GH)).is_err());
        assert!(alt.check(&verified("fooevil", GH)).is_err());
        assert!(IdentityArgs::default().matcher().unwrap().is_none());
    }

    #[test]
    fn exact_values_use_the_verifiers_own_identity_check() {
        assert!(matches!(
            rule((ID, false), (GH, false)).signer(),
            Signer::Identity { .. }
        ));
        assert!(matches!(
            rule((".*", true), (GH, false)).signer(),
            Signer::AnyIdentity
        ));
    }
}
