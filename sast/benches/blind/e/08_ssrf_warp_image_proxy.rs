// Scenario: a warp image proxy in front of a CDN. It resizes product photos,
// mirrors "external" images and revalidates cached origin objects.
use hyper::client::HttpConnector;
use hyper::{Client, Uri};
use std::collections::HashMap;
use std::io::Read;
use warp::{http::StatusCode, Filter, Rejection, Reply};

const CDN_BASE: &str = "https://cdn.example-shop.com/products";
const MAX_IMAGE: u64 = 5 * 1024 * 1024;

type HttpClient = Client<HttpConnector>;

fn fetch_blocking(location: &str) -> Result<Vec<u8>, ureq::Error> {
    let resp = ureq::get(location).call()?; //~ ssrf
    let mut buf = Vec::new();
    resp.into_reader().take(MAX_IMAGE).read_to_end(&mut buf)?;
    Ok(buf)
}

fn product_url(id: u64, width: Option<u32>) -> String {
    let w = width.unwrap_or(800).clamp(64, 2048);
    format!("{}/{}.jpg?w={}", CDN_BASE, id, w)
}

async fn product_photo(id: u64, q: HashMap<String, String>) -> Result<impl Reply, Rejection> {
    let width = q.get("w").and_then(|v| v.parse().ok());
    let url = product_url(id, width);
    let body = tokio::task::spawn_blocking(move || fetch_blocking(&url))
        .await
        .map_err(|_| warp::reject())?
        .map_err(|_| warp::reject::not_found())?;
    Ok(warp::reply::with_header(body, "content-type", "image/jpeg"))
}

async fn mirror(q: HashMap<String, String>) -> Result<impl Reply, Rejection> {
    let Some(src) = q.get("src").cloned() else {
        return Ok(warp::reply::with_status(
            Vec::new(),
            StatusCode::BAD_REQUEST,
        ));
    };
    let fetched = tokio::task::spawn_blocking(move || fetch_blocking(&src)).await;
    match fetched {
        Ok(Ok(body)) => Ok(warp::reply::with_status(body, StatusCode::OK)),
        _ => Ok(warp::reply::with_status(
            Vec::new(),
            StatusCode::BAD_GATEWAY,
        )),
    }
}

fn origin_uri(host: &str, object: &str) -> Option<Uri> {
    format!("http://{}/origin/{}", host, object).parse().ok()
}

async fn revalidate(
    object: String,
    forwarded_host: Option<String>,
    client: HttpClient,
) -> Result<impl Reply, Rejection> {
    let host = forwarded_host.unwrap_or_else(|| "origin.internal:8080".to_string());
    let uri = origin_uri(&host, &object).ok_or_else(warp::reject::not_found)?;
    let resp = client.get(uri).await.map_err(|_| warp::reject())?; //~ ssrf
    let status = resp.status();
    let body = hyper::body::to_bytes(resp.into_body())
        .await
        .map_err(|_| warp::reject())?;
    Ok(warp::reply::with_status(body.to_vec(), status))
}

pub fn routes() -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let client: HttpClient = Client::new();
    let with_client = warp::any().map(move || client.clone());

    let photo = warp::path!("p" / u64)
        .and(warp::query::<HashMap<String, String>>())
        .and_then(product_photo);
    let ext = warp::path!("mirror")
        .and(warp::query::<HashMap<String, String>>())
        .and_then(mirror);
    let reval = warp::path!("revalidate" / String)
        .and(warp::header::optional::<String>("x-forwarded-host"))
        .and(with_client)
        .and_then(revalidate);
    photo.or(ext).or(reval)
}
