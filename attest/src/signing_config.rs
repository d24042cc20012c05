//! Sigstore SigningConfig: which Fulcio, Rekor and timestamp authority a
//! signature goes to.
//!
//! v0.2 (`application/vnd.dev.sigstore.signingconfig.v0.2+json`, the
//! protobuf-specs `SigningConfig`) lists `caUrls`, `rekorTlogUrls` and
//! `tsaUrls`, each with a `majorApiVersion` and a `validFor` window. As in
//! cosign v3 and sigstore-go's `SelectService`, a service is eligible when
//! its API version is one this client speaks and `now` lies inside its
//! window; among the eligible ones the highest API version wins, then the
//! order of the file. `rekorTlogConfig`/`tsaConfig` may ask for `ANY` one
//! service, or `EXACT` with a count of 1; asking for several (`ALL`, or a
//! larger count) is refused rather than silently signing with fewer.
//!
//! v0.1 (`caUrl`, `tlogUrls`) is still read: Rekor API v1, no TSA.

use crate::Error;
use serde::Deserialize;
use std::path::Path;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Media type of SigningConfig v0.1.
pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.signingconfig.v0.1+json";
/// Media type of SigningConfig v0.2.
pub const MEDIA_TYPE_V02: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// The API versions this client writes to.
const FULCIO_VERSIONS: &[u32] = &[1];
const REKOR_VERSIONS: &[u32] = &[1, 2];
const TSA_VERSIONS: &[u32] = &[1];

/// A Rekor transparency log and the API version used to write to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekorLog {
    /// The log's URL.
    pub url: String,
    /// 1: `/api/v1/log/entries` (SET, integrated time); 2:
    /// `/api/v2/log/entries` (tiles, checkpoint and inclusion proof only).
    pub major_api_version: u32,
}

/// The services a signature is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    /// Fulcio (certificate authority) base URL.
    pub fulcio_url: String,
    /// The log to write to; `None` when the config lists none.
    pub rekor: Option<RekorLog>,
    /// RFC 3161 timestamp authority endpoint (the full URL, e.g.
    /// `https://timestamp.sigstore.dev/api/v1/timestamp`).
    pub tsa_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Doc {
    media_type: String,
    // v0.2
    #[serde(default)]
    ca_urls: Vec<Endpoint>,
    #[serde(default)]
    oidc_urls: Vec<Endpoint>,
    #[serde(default)]
    rekor_tlog_urls: Vec<Endpoint>,
    /// v0.2: endpoints; v0.1: plain URL strings.
    #[serde(default)]
    tsa_urls: Vec<serde_json::Value>,
    #[serde(default)]
    rekor_tlog_config: Option<Selector>,
    #[serde(default)]
    tsa_config: Option<Selector>,
    // v0.1
    #[serde(default)]
    ca_url: Option<String>,
    #[serde(default)]
    oidc_url: Option<String>,
    #[serde(default)]
    tlog_urls: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Endpoint {
    url: String,
    major_api_version: u32,
    valid_for: Window,
    #[serde(default)]
    #[allow(dead_code)] // informational in the specification
    operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Window {
    start: String,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Selector {
    #[serde(default)]
    selector: Option<String>,
    #[serde(default)]
    count: Option<u32>,
}

/// Read `path` and select the services valid now.
pub fn load(path: &Path) -> Result<Services, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    select(&text, OffsetDateTime::now_utc()).map_err(|e| Error::SigningConfig {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Why a signing config cannot be used.
#[derive(Debug, thiserror::Error)]
enum ConfigError {
    #[error("{0}")]
    Json(serde_json::Error),
    #[error("unsupported mediaType `{0}` (expected {MEDIA_TYPE_V02} or {MEDIA_TYPE_V01})")]
    MediaType(String),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("tsaUrls: {0}")]
    TsaUrl(serde_json::Error),
    #[error("{0}: selector ALL (writing to every listed service) is not supported")]
    SelectorAll(String),
    #[error("{field}: selector EXACT with count {count} is not supported (only 1)")]
    SelectorExact { field: String, count: String },
    #[error("{field}: unknown selector `{selector}`")]
    SelectorUnknown { field: String, selector: String },
    #[error("{field}: `{value}` is not an RFC 3339 time: {source}")]
    Time {
        field: String,
        value: String,
        source: time::error::Parse,
    },
    #[error("{0}: validFor ends before it starts")]
    Window(String),
}

/// Select the services of the config `text` valid at `now`.
fn select(text: &str, now: OffsetDateTime) -> Result<Services, ConfigError> {
    let doc: Doc = serde_json::from_str(text).map_err(ConfigError::Json)?;
    match doc.media_type.as_str() {
        MEDIA_TYPE_V02 => select_v02(&doc, now),
        MEDIA_TYPE_V01 => select_v01(&doc),
        other => Err(ConfigError::MediaType(other.to_string())),
    }
}

fn select_v01(doc: &Doc) -> Result<Services, ConfigError> {
    if !doc.ca_urls.is_empty() || !doc.rekor_tlog_urls.is_empty() || !doc.oidc_urls.is_empty() {
        return Err(ConfigError::Invalid(
            "a v0.1 config has caUrl/tlogUrls, not the v0.2 lists",
        ));
    }
    let _ = &doc.oidc_url; // signing here takes the token as given
    let tsa_url = match doc.tsa_urls.first() {
        None => None,
        Some(serde_json::Value::String(url)) => Some(url.clone()),
        Some(_) => return Err(ConfigError::Invalid("v0.1 tsaUrls: expected URL strings")),
    };
    let fulcio_url = doc
        .ca_url
        .clone()
        .ok_or(ConfigError::Invalid("no CA URL (caUrl)"))?;
    let url = doc
        .tlog_urls
        .first()
        .ok_or(ConfigError::Invalid("no Rekor log URL (tlogUrls)"))?;
    Ok(Services {
        fulcio_url,
        rekor: Some(RekorLog {
            url: url.clone(),
            major_api_version: 1,
        }),
        tsa_url,
    })
}

fn select_v02(doc: &Doc, now: OffsetDateTime) -> Result<Services, ConfigError> {
    if doc.ca_url.is_some() || doc.oidc_url.is_some() || !doc.tlog_urls.is_empty() {
        return Err(ConfigError::Invalid(
            "a v0.2 config has caUrls/rekorTlogUrls, not the v0.1 fields",
        ));
    }
    let tsa_urls = doc
        .tsa_urls
        .iter()
        .map(|v| Endpoint::deserialize(v).map_err(ConfigError::TsaUrl))
        .collect::<Result<Vec<Endpoint>, ConfigError>>()?;
    for endpoint in doc
        .ca_urls
        .iter()
        .chain(&doc.oidc_urls)
        .chain(&doc.rekor_tlog_urls)
        .chain(&tsa_urls)
    {
        window(endpoint)?; // every window must be readable, used or not
    }
    let fulcio = first_eligible(&doc.ca_urls, FULCIO_VERSIONS, now)?.ok_or(
        ConfigError::Invalid("no certificate authority in caUrls is valid now with API version 1"),
    )?;
    one_service("rekorTlogConfig", doc.rekor_tlog_config.as_ref())?;
    one_service("tsaConfig", doc.tsa_config.as_ref())?;
    let rekor = first_eligible(&doc.rekor_tlog_urls, REKOR_VERSIONS, now)?;
    if rekor.is_none() && !doc.rekor_tlog_urls.is_empty() {
        return Err(ConfigError::Invalid(
            "no Rekor log in rekorTlogUrls is valid now with API version 1 or 2",
        ));
    }
    let tsa = first_eligible(&tsa_urls, TSA_VERSIONS, now)?;
    if tsa.is_none() && !tsa_urls.is_empty() {
        return Err(ConfigError::Invalid(
            "no timestamp authority in tsaUrls is valid now with API version 1",
        ));
    }
    Ok(Services {
        fulcio_url: fulcio.url.clone(),
        rekor: rekor.map(|e| RekorLog {
            url: e.url.clone(),
            major_api_version: e.major_api_version,
        }),
        tsa_url: tsa.map(|e| e.url.clone()),
    })
}

/// This client writes to one log and one TSA; a config demanding more is refused.
fn one_service(field: &str, config: Option<&Selector>) -> Result<(), ConfigError> {
    let Some(config) = config else {
        return Ok(());
    };
    match (config.selector.as_deref(), config.count) {
        (None | Some("ANY"), _) | (Some("EXACT"), Some(1)) => Ok(()),
        (Some("ALL"), _) => Err(ConfigError::SelectorAll(field.to_string())),
        (Some("EXACT"), count) => Err(ConfigError::SelectorExact {
            field: field.to_string(),
            count: count
                .map(|c| c.to_string())
                .unwrap_or_else(|| "unset".into()),
        }),
        (Some(other), _) => Err(ConfigError::SelectorUnknown {
            field: field.to_string(),
            selector: other.to_string(),
        }),
    }
}

fn parse_time(field: &str, value: &str) -> Result<OffsetDateTime, ConfigError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|source| ConfigError::Time {
        field: field.to_string(),
        value: value.to_string(),
        source,
    })
}

fn window(endpoint: &Endpoint) -> Result<(OffsetDateTime, Option<OffsetDateTime>), ConfigError> {
    let start = parse_time(
        &format!("{}: validFor.start", endpoint.url),
        &endpoint.valid_for.start,
    )?;
    let end = endpoint
        .valid_for
        .end
        .as_deref()
        .map(|e| parse_time(&format!("{}: validFor.end", endpoint.url), e))
        .transpose()?;
    if end.is_some_and(|end| end < start) {
        return Err(ConfigError::Window(endpoint.url.clone()));
    }
    Ok((start, end))
}

/// The first endpoint valid at `now` with the highest supported API version.
fn first_eligible<'a>(
    endpoints: &'a [Endpoint],
    versions: &[u32],
    now: OffsetDateTime,
) -> Result<Option<&'a Endpoint>, ConfigError> {
    let mut best: Option<&Endpoint> = None;
    for endpoint in endpoints {
        let (start, end) = window(endpoint)?;
        let valid = start <= now && end.is_none_or(|end| now < end);
        if !valid || !versions.contains(&endpoint.major_api_version) {
            continue;
        }
        if best.is_none_or(|b| endpoint.major_api_version > b.major_api_version) {
            best = Some(endpoint);
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn now() -> OffsetDateTime {
        parse_time("now", "2026-06-01T00:00:00Z").unwrap()
    }

    fn config(rekor: &str, tsa: &str, extra: &str) -> String {
        format!(
            r#"{{"mediaType": "{MEDIA_TYPE_V02}",
              "caUrls": [
                {{"url": "https://old-ca", "majorApiVersion": 1, "validFor": {{"start": "2020-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}}}},
                {{"url": "https://future-ca", "majorApiVersion": 1, "validFor": {{"start": "2027-01-01T00:00:00Z"}}}},
                {{"url": "https://ca", "majorApiVersion": 1, "validFor": {{"start": "2024-01-01T00:00:00Z"}}}}
              ],
              "rekorTlogUrls": [{rekor}], "tsaUrls": [{tsa}]{extra}}}"#
        )
    }

    fn endpoint(url: &str, version: u32, start: &str, end: Option<&str>) -> String {
        let end = end
            .map(|e| format!(r#", "end": "{e}""#))
            .unwrap_or_default();
        format!(
            r#"{{"url": "{url}", "majorApiVersion": {version}, "validFor": {{"start": "{start}"{end}}}}}"#
        )
    }

    #[test]
    fn highest_version_then_file_order_within_the_window() {
        let rekor = [
            endpoint("https://v1", 1, "2020-01-01T00:00:00Z", None),
            endpoint(
                "https://v2-expired",
                2,
                "2024-01-01T00:00:00Z",
                Some("2025-01-01T00:00:00Z"),
            ),
            endpoint("https://v3", 3, "2024-01-01T00:00:00Z", None),
            endpoint("https://v2-first", 2, "2025-01-01T00:00:00Z", None),
            endpoint("https://v2-second", 2, "2025-01-01T00:00:00Z", None),
        ]
        .join(",");
        let tsa = [
            endpoint("https://tsa-v2", 2, "2020-01-01T00:00:00Z", None),
            endpoint("https://tsa", 1, "2020-01-01T00:00:00Z", None),
            endpoint("https://tsa-later", 1, "2020-01-01T00:00:00Z", None),
        ]
        .join(",");
        let services = select(&config(&rekor, &tsa, ""), now()).unwrap();
        assert_eq!(
            services,
            Services {
                fulcio_url: "https://ca".into(),
                rekor: Some(RekorLog {
                    url: "https://v2-first".into(),
                    major_api_version: 2
                }),
                tsa_url: Some("https://tsa".into()),
            }
        );
    }

    #[test]
    fn v1_log_when_v2_is_not_yet_valid_and_no_tsa_listed() {
        let rekor = [
            endpoint("https://v2", 2, "2026-07-01T00:00:00Z", None),
            endpoint("https://v1", 1, "2020-01-01T00:00:00Z", None),
        ]
        .join(",");
        let services = select(&config(&rekor, "", ""), now()).unwrap();
        assert_eq!(services.rekor.unwrap().url, "https://v1");
        assert_eq!(services.tsa_url, None);
    }

    #[test]
    fn refused_configs() {
        let v2 = endpoint("https://v2", 2, "2020-01-01T00:00:00Z", None);
        let tsa = endpoint("https://tsa", 1, "2020-01-01T00:00:00Z", None);
        let expired = endpoint(
            "https://v2",
            2,
            "2020-01-01T00:00:00Z",
            Some("2021-01-01T00:00:00Z"),
        );
        let cases = [
            (config(&expired, &tsa, ""), "no Rekor log"),
            (
                config(&v2, &expired.replace("v2", "tsa"), ""),
                "no timestamp authority",
            ),
            (
                config(&v2, &tsa, r#", "rekorTlogConfig": {"selector": "ALL"}"#),
                "selector ALL",
            ),
            (
                config(
                    &v2,
                    &tsa,
                    r#", "tsaConfig": {"selector": "EXACT", "count": 2}"#,
                ),
                "count 2",
            ),
            (
                config(&v2, &tsa, r#", "tsaConfig": {"selector": "SOME"}"#),
                "unknown selector",
            ),
            (
                config(&v2.replace("2020-01-01T00:00:00Z", "yesterday"), &tsa, ""),
                "RFC 3339",
            ),
            (
                config(&v2, &tsa, r#", "tlogUrls": ["https://v1"]"#),
                "not the v0.1 fields",
            ),
            (config(&v2, &tsa, r#", "surprise": 1"#), "unknown field"),
            (
                config(&v2, &tsa, "").replace("v0.2", "v0.3"),
                "unsupported mediaType",
            ),
        ];
        for (text, expected) in cases {
            let err = select(&text, now()).unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        let no_ca = config(&v2, &tsa, "").replace(
            "https://ca\", \"majorApiVersion\": 1",
            "https://ca\", \"majorApiVersion\": 2",
        );
        assert!(select(&no_ca, now())
            .unwrap_err()
            .to_string()
            .contains("no certificate authority"));
    }

    #[test]
    fn v01_is_read_as_rekor_v1() {
        let text = format!(
            r#"{{"mediaType": "{MEDIA_TYPE_V01}", "caUrl": "https://ca", "oidcUrl": "https://oidc", "tlogUrls": ["https://rekor"]}}"#
        );
        let services = select(&text, now()).unwrap();
        assert_eq!(services.fulcio_url, "https://ca");
        assert_eq!(
            services.rekor,
            Some(RekorLog {
                url: "https://rekor".into(),
                major_api_version: 1
            })
        );
    }
}
