use serde::Deserialize;
use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Job {
    Archive { source: String, label: String },
    Mirror { repo_url: String, branch: Option<String> },
    Exec { program: String, args: Vec<String> },
    Tool { name: String, input: String },
}

struct Workspace {
    root: PathBuf,
    tools: HashMap<&'static str, &'static str>,
    registry_token: Option<String>,
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && s.len() < 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') && !s.starts_with('.')
}

impl Workspace {
    fn from_env() -> Self {
        let mut tools = HashMap::new();
        tools.insert("lint", "/usr/local/bin/lint-config");
        tools.insert("fmt", "/usr/local/bin/fmt-config");
        let registry_token = std::env::var("REGISTRY_TOKEN").ok();
        if let Some(t) = &registry_token {
            println!("registry auth configured (token ending ...{})", &t[t.len().saturating_sub(4)..]);
        }
        Self { root: PathBuf::from(std::env::var("JOB_ROOT").unwrap_or_else(|_| "/var/lib/jobs".into())), tools, registry_token }
    }

    fn archive(&self, source: &str, label: &str) -> io::Result<Output> {
        let out = self.root.join("archives").join(format!("{}.tar.gz", label));
        let script = format!("tar czf {} -C {} .", out.display(), source);
        Command::new("bash").args(["-c", &script]).output() //~ command-injection
    }

    fn archive_checked(&self, source: &str, label: &str) -> io::Result<Output> {
        if !is_plain_name(source) || !is_plain_name(label) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad name"));
        }
        let out = self.root.join("archives").join(format!("{}.tar.gz", label));
        Command::new("tar").arg("czf").arg(out).arg("-C").arg(self.root.join("src").join(source)).arg(".").output()
    }

    fn mirror(&self, repo_url: &str, branch: Option<&str>) -> io::Result<Output> {
        let dest = self.root.join("mirrors").join(uuid::Uuid::new_v4().to_string());
        let mut cmd = Command::new("git");
        cmd.arg("clone").arg("--depth").arg("1");
        if let Some(b) = branch.filter(|b| is_plain_name(b)) {
            cmd.arg("--branch").arg(b);
        }
        if let Some(token) = &self.registry_token {
            cmd.env("GIT_ASKPASS_TOKEN", token);
            eprintln!("cloning {} with token {}", repo_url, token); //~ cleartext-logging
        }
        cmd.arg(repo_url).arg(&dest).stdin(Stdio::null()).output() //~ command-injection
    }

    fn exec(&self, program: &str, args: &[String]) -> io::Result<Output> {
        let bin = Path::new(program);
        let name = bin.file_name().and_then(|s| s.to_str()).unwrap_or_default();
        log::info!("running {} with {} args", name, args.len());
        Command::new(bin).args(args).current_dir(&self.root).output() //~ command-injection
    }

    fn tool(&self, name: &str, input: &str) -> io::Result<Output> {
        let Some(bin) = self.tools.get(name) else {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("unknown tool {name}")));
        };
        if !is_plain_name(input) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad input name"));
        }
        Command::new(bin).arg("--").arg(self.root.join("inputs").join(input)).output()
    }

    fn dispatch(&self, job: &Job, strict: bool) -> io::Result<Output> {
        match job {
            Job::Archive { source, label } if strict => self.archive_checked(source, label),
            Job::Archive { source, label } => self.archive(source, label),
            Job::Mirror { repo_url, branch } => self.mirror(repo_url, branch.as_deref()),
            Job::Exec { program, args } => self.exec(program, args),
            Job::Tool { name, input } => self.tool(name, input),
        }
    }
}

fn main() -> io::Result<()> {
    let strict = std::env::args().any(|a| a == "--strict");
    let ws = Workspace::from_env();
    let stdin = io::stdin();
    for (lineno, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let job: Job = match serde_json::from_str(&line) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("line {}: invalid job: {}", lineno + 1, e);
                continue;
            }
        };
        match ws.dispatch(&job, strict) {
            Ok(out) if out.status.success() => println!("job {} ok", lineno + 1),
            Ok(out) => eprintln!("job {} failed: {}", lineno + 1, String::from_utf8_lossy(&out.stderr)),
            Err(e) => eprintln!("job {} error: {}", lineno + 1, e),
        }
    }
    Ok(())
}
