use std::env;
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

const MAX_FRAME: usize = 64 * 1024;
const ALLOWED_PROGRAMS: &[&str] = &["uptime", "df", "free", "uname"];

struct AgentConfig {
    hostname: String,
    token: String,
    listen: String,
}

enum Request {
    Shell(String),
    Run { program: String, args: Vec<String> },
    Exec { program: String, args: Vec<String> },
    Ping(String),
    Trace(String),
    Upload(Vec<u8>),
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

async fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let len = stream.read_u32().await? as usize;
    if len > MAX_FRAME {
        return Err(invalid("frame too large"));
    }
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn read_string(stream: &mut TcpStream) -> io::Result<String> {
    Ok(String::from_utf8_lossy(&read_frame(stream).await?).into_owned())
}

async fn read_blob(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let len = stream.read_u64().await? as usize;
    let mut buf = vec![0u8; len]; //~ unbounded-allocation
    stream.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn read_args(stream: &mut TcpStream) -> io::Result<Vec<String>> {
    let argc = stream.read_u32().await? as usize;
    let mut args = Vec::with_capacity(argc); //~ unbounded-allocation
    for _ in 0..argc {
        args.push(read_string(stream).await?);
    }
    Ok(args)
}

async fn parse_request(stream: &mut TcpStream) -> io::Result<Request> {
    match stream.read_u8().await? {
        1 => Ok(Request::Shell(read_string(stream).await?)),
        2 => Ok(Request::Run { program: read_string(stream).await?, args: read_args(stream).await? }),
        3 => Ok(Request::Exec { program: read_string(stream).await?, args: read_args(stream).await? }),
        4 => Ok(Request::Ping(read_string(stream).await?)),
        5 => Ok(Request::Trace(read_string(stream).await?)),
        6 => Ok(Request::Upload(read_blob(stream).await?)),
        _ => Err(invalid("unknown request")),
    }
}

async fn spawn_shell(line: &str) -> io::Result<std::process::Output> {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(line) //~ command-injection
        .output()
        .await
}

async fn handle(req: Request) -> io::Result<Vec<u8>> {
    let out = match req {
        Request::Shell(line) => spawn_shell(&line).await?,
        Request::Run { program, args } => {
            if !ALLOWED_PROGRAMS.contains(&program.as_str()) {
                return Err(invalid("program not allowed"));
            }
            Command::new(&program).args(&args).output().await?
        }
        Request::Exec { program, args } => Command::new(&program).args(&args).output().await?, //~ command-injection
        Request::Ping(host) => Command::new("sh").args(["-c", &format!("ping -c 1 -W 2 {}", host)]).output().await?, //~ command-injection
        Request::Trace(host) => Command::new("traceroute").arg("-m").arg("8").arg("--").arg(&host).output().await?,
        Request::Upload(data) => {
            tokio::fs::write("/var/lib/agent/upload.bin", &data).await?;
            return Ok(b"stored".to_vec());
        }
    };
    Ok(out.stdout)
}

async fn register(cfg: &AgentConfig) -> io::Result<TcpStream> {
    let mut s = TcpStream::connect("controller.internal:7400").await?;
    s.write_all(format!("HELLO {}\n", cfg.hostname).as_bytes()).await?;
    s.write_all(format!("AUTH {}\n", cfg.token).as_bytes()).await?; //~ cleartext-url
    Ok(s)
}

fn banner(cfg: &AgentConfig) {
    println!("agent {} listening on {}", cfg.hostname, cfg.listen);
    println!("controller auth token: {}", cfg.token); //~ cleartext-logging
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let cfg = AgentConfig {
        hostname: env::var("HOSTNAME").unwrap_or_else(|_| "unknown".into()),
        token: env::var("AGENT_TOKEN").expect("AGENT_TOKEN must be set"),
        listen: env::var("AGENT_LISTEN").unwrap_or_else(|_| "0.0.0.0:7401".into()),
    };
    banner(&cfg);
    let _controller = register(&cfg).await?;
    let listener = TcpListener::bind(&cfg.listen).await?;
    loop {
        let (mut sock, peer) = listener.accept().await?;
        tokio::spawn(async move {
            let reply = match parse_request(&mut sock).await {
                Ok(req) => handle(req).await.unwrap_or_else(|e| e.to_string().into_bytes()),
                Err(e) => format!("bad request from {}: {}", peer, e).into_bytes(),
            };
            let _ = sock.write_u32(reply.len() as u32).await;
            let _ = sock.write_all(&reply).await;
        });
    }
}
