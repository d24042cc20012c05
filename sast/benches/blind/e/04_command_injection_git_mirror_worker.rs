// Scenario: a tokio worker that mirrors git repositories. A scheduler pushes
// newline-delimited JSON jobs over TCP; the worker shells out to git.
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;

mod jobs {
    use serde::Deserialize;

    #[derive(Deserialize, Clone)]
    pub struct MirrorJob {
        pub name: String,
        pub remote: String,
        pub branch: String,
        pub prune_after: Option<String>,
        pub notify: Option<String>,
    }

    pub fn decode(line: &str) -> Option<MirrorJob> {
        serde_json::from_str(line).ok()
    }
}

mod runner {
    use super::jobs::MirrorJob;
    use std::process::{Command, Output};

    pub struct Runner {
        pub base: String,
    }

    fn ref_ok(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| matches!(c, 'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '/' | '.'))
    }

    impl Runner {
        fn dest(&self, job: &MirrorJob) -> String {
            let slug: String = job
                .name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            format!("{}/{}.git", self.base, slug)
        }

        pub fn clone_or_fetch(&self, job: &MirrorJob) -> std::io::Result<Output> {
            let dest = self.dest(job);
            if std::path::Path::new(&dest).exists() && ref_ok(&job.branch) {
                return Command::new("git")
                    .args(["-C", &dest, "fetch", "origin", &job.branch])
                    .output();
            }
            let script = format!(
                "git clone --mirror --branch {} {} {}",
                job.branch, job.remote, dest
            );
            Command::new("sh").arg("-c").arg(script).output() //~ command-injection
        }

        pub fn housekeeping(&self, job: &MirrorJob) -> Option<std::io::Result<Output>> {
            let dest = self.dest(job);
            let run_sh = |body: String| Command::new("sh").arg("-c").arg(body).output(); //~ command-injection
            job.prune_after
                .as_ref()
                .map(|when| format!("cd {} && git gc --prune={}", dest, when))
                .map(run_sh)
        }

        pub fn notify(&self, job: &MirrorJob) -> Option<std::io::Result<Output>> {
            let hook = job.notify.as_deref()?;
            let dest = self.dest(job);
            Some(Command::new(hook).arg(&dest).arg(&job.name).output()) //~ command-injection
        }

        pub fn verify(&self, job: &MirrorJob) -> std::io::Result<Output> {
            Command::new("git")
                .arg("-C")
                .arg(self.dest(job))
                .args(["fsck", "--no-dangling"])
                .output()
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("MIRROR_LISTEN").unwrap_or_else(|_| "127.0.0.1:7420".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (sock, peer) = listener.accept().await?;
        tokio::spawn(async move {
            let mut lines = BufReader::new(sock).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Some(job) = jobs::decode(&line) else {
                    continue;
                };
                let r = runner::Runner {
                    base: "/srv/mirrors".to_string(),
                };
                let res = tokio::task::spawn_blocking(move || {
                    let out = r.clone_or_fetch(&job);
                    let _ = r.housekeeping(&job);
                    let _ = r.notify(&job);
                    out.and_then(|_| r.verify(&job))
                })
                .await;
                if !matches!(res, Ok(Ok(ref o)) if o.status.success()) {
                    eprintln!("mirror job from {} failed", peer);
                }
            }
        });
    }
}
