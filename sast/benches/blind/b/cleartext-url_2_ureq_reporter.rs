// CLI crash reporter that uploads a report to a collector, authenticated with an API key, via ureq.
use std::env;

pub struct Report {
    pub app: String,
    pub version: String,
    pub body: String,
}

fn collector_host() -> String {
    env::var("CRASH_COLLECTOR").unwrap_or_else(|_| "crash.example.com".to_string())
}

fn api_key() -> Option<String> {
    env::var("CRASH_API_KEY").ok()
}

fn upload_legacy(report: &Report, key: &str) -> Result<u16, ureq::Error> {
    let host = collector_host();
    let resp = ureq::post(&format!("http://{}/upload?api_key={}", host, key)) //~ cleartext-url
        .set("X-App", &report.app)
        .send_string(&report.body)?;
    Ok(resp.status())
}

fn upload(report: &Report, key: &str) -> Result<u16, ureq::Error> {
    let url = format!("https://{}/upload", collector_host());
    let resp = ureq::post(&url)
        .set("Authorization", &format!("ApiKey {}", key))
        .set("X-App", &report.app)
        .send_string(&report.body)?;
    Ok(resp.status())
}

fn check_version(app: &str, version: &str) -> Option<String> {
    let build_url = |host: &str| format!("http://{}/latest/{}?current={}", host, app, version); //~ cleartext-url
    let url = build_url(&collector_host());
    ureq::get(&url).call().ok()?.into_string().ok()
}

pub fn run(args: &[String]) -> i32 {
    let report = Report {
        app: args.get(1).cloned().unwrap_or_default(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        body: std::fs::read_to_string(args.get(2).map(String::as_str).unwrap_or("crash.log")).unwrap_or_default(),
    };
    let Some(key) = api_key() else {
        eprintln!("CRASH_API_KEY not set; skipping upload");
        return 1;
    };
    let legacy = args.iter().any(|a| a == "--legacy");
    let status = if legacy { upload_legacy(&report, &key) } else { upload(&report, &key) };
    if let Some(latest) = check_version(&report.app, &report.version) {
        println!("latest version: {}", latest.trim());
    }
    match status {
        Ok(code) => (code != 200) as i32,
        Err(e) => {
            eprintln!("upload failed: {}", e);
            2
        }
    }
}
