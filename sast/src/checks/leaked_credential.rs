use super::prelude::*;

use std::sync::OnceLock;

/// `leaked-credential`: string literals shaped like real credentials.
pub(crate) struct Check;

impl super::Check for Check {
    fn literal(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, lit: &syn::Lit, value: &str) {
        if value.len() < 16 {
            return;
        }
        let matches = leaked_credential_patterns().matches(value);
        if let Some(first) = matches.iter().next() {
            let what = CREDENTIAL_NAMES
                .get(first)
                .copied()
                .unwrap_or("a credential");
            let span = lit.span();
            a.report(
                cx,
                id::LEAKED_CREDENTIAL,
                span,
                span,
                format!("string literal contains {what}"),
            );
        }
    }
}

fn leaked_credential_patterns() -> &'static regex::RegexSet {
    static SET: OnceLock<regex::RegexSet> = OnceLock::new();
    SET.get_or_init(|| {
        let patterns = [
            r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bgh[pousr]_[A-Za-z0-9]{36}\b",
            r"\bgithub_pat_[A-Za-z0-9_]{80,}",
            r"\bglpat-[A-Za-z0-9_\-]{20}\b",
            r"\bxox[baprs]-[A-Za-z0-9-]{10,}",
            r"\b[sr]k_live_[A-Za-z0-9]{20,}",
            r"\bAIza[0-9A-Za-z_\-]{35}\b",
            r"\bnpm_[A-Za-z0-9]{36}\b",
            r"\bsk-(proj-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
            // A header alone (a parser looking for one) is not a key: the
            // base64 body must follow, after any `Name: value` header lines.
            r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----\s*(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{16,}",
        ];
        // The patterns are constants checked by the unit tests below.
        regex::RegexSet::new(patterns).unwrap_or_else(|_| regex::RegexSet::empty())
    })
}

const CREDENTIAL_NAMES: &[&str] = &[
    "an AWS access key id",
    "a GitHub token",
    "a GitHub fine-grained token",
    "a GitLab token",
    "a Slack token",
    "a Stripe live key",
    "a Google API key",
    "an npm token",
    "an OpenAI API key",
    "a JSON Web Token",
    "a PEM private key",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_regexes_compile() {
        assert!(!leaked_credential_patterns().is_empty());
        assert_eq!(leaked_credential_patterns().len(), CREDENTIAL_NAMES.len());
    }
}
