//! Edge proxy in front of the asset and preview services (hyper 1.x).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

const MAX_BODY: usize = 2 * 1024 * 1024;
const MAX_ECHO_REPEAT: usize = 16;

pub struct EdgeProxy {
    client: HttpClient,
    upstreams: HashMap<&'static str, &'static str>,
    introspect_host: String,
}

fn query_param<'a>(uri: &'a Uri, key: &str) -> Option<&'a str> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then_some(v)
    })
}

fn header_usize(req: &Request<Incoming>, name: &str) -> Option<usize> {
    req.headers().get(name)?.to_str().ok()?.parse().ok()
}

impl EdgeProxy {
    pub fn new(introspect_host: String) -> Self {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let upstreams = HashMap::from([
            ("assets", "https://assets.internal.example.com"),
            ("preview", "https://preview.internal.example.com"),
        ]);
        Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            upstreams,
            introspect_host,
        }
    }

    async fn fetch(&self, uri: Uri) -> Result<Response<Full<Bytes>>, BoxError> {
        let upstream = self.client.get(uri).await?;
        let status = upstream.status();
        let body = upstream.into_body().collect().await?.to_bytes();
        Ok(Response::builder().status(status).body(Full::new(body))?)
    }

    async fn route_named(&self, name: &str, path: &str) -> Result<Response<Full<Bytes>>, BoxError> {
        let Some(base) = self.upstreams.get(name) else {
            return Ok(status_only(StatusCode::NOT_FOUND));
        };
        let uri: Uri = format!("{base}/{}", path.trim_start_matches('/')).parse()?;
        self.fetch(uri).await
    }

    async fn route_raw(&self, target: &str) -> Result<Response<Full<Bytes>>, BoxError> {
        let decoded = urlencoding::decode(target)?;
        let uri: Uri = decoded.parse()?;
        let upstream = self.client.get(uri).await?; //~ ssrf
        let status = upstream.status();
        let body = upstream.into_body().collect().await?.to_bytes();
        Ok(Response::builder().status(status).body(Full::new(body))?)
    }

    async fn introspect(&self, bearer: &str) -> Result<bool, BoxError> {
        let url = format!("http://{}/oauth/introspect", self.introspect_host);
        let req = Request::post(url).header("content-type", "application/x-www-form-urlencoded");
        let req = req.body(Full::new(Bytes::from(format!("token={bearer}"))))?;
        let resp = self.client.request(req).await?; //~ cleartext-url
        Ok(resp.status().is_success())
    }
}

async fn read_upload(body: Incoming, declared: usize) -> Result<Vec<u8>, BoxError> {
    let mut buf = Vec::with_capacity(declared); //~ unbounded-allocation
    let collected = Limited::new(body, MAX_BODY).collect().await?.to_bytes();
    buf.extend_from_slice(&collected);
    Ok(buf)
}

async fn read_upload_bounded(body: Incoming, declared: usize) -> Result<Vec<u8>, BoxError> {
    let mut buf = Vec::with_capacity(declared.min(MAX_BODY));
    let collected = Limited::new(body, MAX_BODY).collect().await?.to_bytes();
    buf.extend_from_slice(&collected);
    Ok(buf)
}

fn echo_body(payload: &[u8], times: usize) -> Bytes {
    Bytes::from(payload.repeat(times)) //~ unbounded-allocation
}

fn status_only(code: StatusCode) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = code;
    resp
}

async fn handle(
    proxy: Arc<EdgeProxy>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(bearer) = bearer else {
        return Ok(status_only(StatusCode::UNAUTHORIZED));
    };
    if !proxy.introspect(&bearer).await? {
        return Ok(status_only(StatusCode::FORBIDDEN));
    }
    let path = req.uri().path().to_owned();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/fetch") => {
            let target = query_param(req.uri(), "url").unwrap_or_default().to_owned();
            proxy.route_raw(&target).await
        }
        (Method::GET, p) if p.starts_with("/svc/") => {
            let rest = &p["/svc/".len()..];
            let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
            proxy.route_named(name, tail).await
        }
        (Method::POST, "/echo") => {
            let times = query_param(req.uri(), "repeat")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let body = read_upload_bounded(req.into_body(), 0).await?;
            Ok(Response::new(Full::new(echo_body(&body, times))))
        }
        (Method::POST, "/echo/sample") => {
            let times: usize = query_param(req.uri(), "repeat")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let body = read_upload_bounded(req.into_body(), 0).await?;
            Ok(Response::new(Full::new(echo_body(
                &body,
                times.min(MAX_ECHO_REPEAT),
            ))))
        }
        (Method::POST, "/upload") => {
            let declared = header_usize(&req, "content-length").unwrap_or(0);
            let trusted = header_usize(&req, "x-internal-hop").is_some();
            let body = if trusted {
                read_upload(req.into_body(), declared).await?
            } else {
                read_upload_bounded(req.into_body(), declared).await?
            };
            Ok(Response::new(Full::new(Bytes::from(format!(
                "{} bytes",
                body.len()
            )))))
        }
        _ => Ok(status_only(StatusCode::NOT_FOUND)),
    }
}

pub async fn serve(addr: &str) -> Result<(), BoxError> {
    let listener = TcpListener::bind(addr).await?;
    let proxy = Arc::new(EdgeProxy::new(std::env::var("INTROSPECT_HOST")?));
    loop {
        let (stream, _) = listener.accept().await?;
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let proxy = proxy.clone();
                async move {
                    Ok::<_, Infallible>(
                        handle(proxy, req)
                            .await
                            .unwrap_or_else(|_| status_only(StatusCode::BAD_GATEWAY)),
                    )
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
