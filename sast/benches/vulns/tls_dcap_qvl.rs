// https://github.com/Phala-Network/dcap-qvl/pull/97 (collateral client: PCCS fetched with certificate verification turned off; fix commit 765888f)
use std::time::Duration;

pub fn build_http_client() -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder();
    let builder = builder
        .danger_accept_invalid_certs(true) //~ tls-verification-disabled
        .timeout(Duration::from_secs(180));
    builder.build()
}

pub fn fixed_build_http_client() -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder();
    let builder = builder.timeout(Duration::from_secs(180));
    builder.build()
}
