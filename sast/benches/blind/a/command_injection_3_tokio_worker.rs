// Async media worker: jobs are pulled from a Redis queue as JSON and executed via tokio::process.
use serde::Deserialize;
use tokio::process::Command;

#[derive(Deserialize, Debug)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Job {
    Thumbnail { input: String, size: String },
    Transcode { input: String, codec: String, output: String },
    Custom { script: String },
    Probe { input: String },
}

struct Worker {
    redis: redis::aio::MultiplexedConnection,
    queue: String,
    ffmpeg: String,
}

impl Worker {
    async fn next_job(&mut self) -> Option<Job> {
        let raw: Option<String> = redis::cmd("LPOP").arg(&self.queue).query_async(&mut self.redis).await.ok()?;
        raw.and_then(|s| serde_json::from_str(&s).ok())
    }

    async fn handle(&self, job: Job) -> std::io::Result<()> {
        match job {
            Job::Thumbnail { input, size } => {
                let line = format!("convert {} -thumbnail {} /tmp/thumb.png", input, size);
                Command::new("sh").arg("-c").arg(&line).status().await?; //~ command-injection
            }
            Job::Transcode { input, codec, output } => {
                let build = |i: &str, c: &str, o: &str| format!("{} -i {} -c:v {} {}", self.ffmpeg, i, c, o);
                let cmd = build(&input, &codec, &output);
                let mut child = Command::new("bash").args(&["-c", cmd.as_str()]).spawn()?; //~ command-injection
                child.wait().await?;
            }
            Job::Custom { script } => {
                let interpreter = script.split_whitespace().next().unwrap_or("true").to_string();
                Command::new(&interpreter).spawn()?.wait().await?; //~ command-injection
            }
            Job::Probe { input } => {
                // SAFE: constant program, input passed as one argv element after "--".
                let out = Command::new("ffprobe")
                    .args(["-v", "error", "-show_format", "--"])
                    .arg(&input)
                    .output()
                    .await?;
                println!("{}", String::from_utf8_lossy(&out.stdout));
            }
        }
        Ok(())
    }

    async fn run(mut self) {
        loop {
            match self.next_job().await {
                Some(job) => {
                    if let Err(e) = self.handle(job).await {
                        eprintln!("job failed: {e}");
                    }
                }
                None => tokio::time::sleep(std::time::Duration::from_secs(1)).await,
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = redis::Client::open("redis://127.0.0.1/")?;
    let redis = client.get_multiplexed_async_connection().await?;
    // SAFE: constant ffmpeg version check, no external input.
    Command::new("ffmpeg").arg("-version").status().await?;
    let worker = Worker { redis, queue: "media_jobs".into(), ffmpeg: "/usr/bin/ffmpeg".into() };
    worker.run().await;
    Ok(())
}
