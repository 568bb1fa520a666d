//! The web interface for clerks and reviewers: one HTML page plus its scripts and styles,
//! compiled into the binary so the server works offline and needs no front-end build.
//!
//! The page talks only to the JSON API of the same server; the Content-Security-Policy
//! forbids every other origin, so a stray reference to a CDN fails loudly in development.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{ApiError, AppState};

struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($path:literal => $mime:expr),* $(,)?) => {
        &[$(Asset { path: $path, mime: $mime, body: include_bytes!(concat!("assets/", $path)) }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = assets![
    "style.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "app.js" => JS,
    "api.js" => JS,
    "dom.js" => JS,
    "charts.js" => JS,
    "diff.js" => JS,
    "diagram.js" => JS,
    "similar.js" => JS,
    "form.js" => JS,
    "recorder.js" => JS,
    "pcm-worklet.js" => JS,
    "views/processes.js" => JS,
    "views/process.js" => JS,
    "views/draft.js" => JS,
    "views/duplicates.js" => JS,
    "views/gaps.js" => JS,
    "views/dashboard.js" => JS,
    "views/login.js" => JS,
    "views/users.js" => JS,
];

const INDEX: &str = include_str!("assets/index.html");

const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/assets/{*path}", get(asset))
}

async fn index() -> Response {
    respond("text/html; charset=utf-8", INDEX.as_bytes())
}

async fn asset(Path(path): Path<String>) -> Result<Response, ApiError> {
    let asset =
        ASSETS.iter().find(|a| a.path == path).ok_or_else(|| ApiError::not_found(format!("no asset {path:?}")))?;
    Ok(respond(asset.mime, asset.body))
}

fn respond(mime: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            // The assets change with the binary, which has no content hashes in file names:
            // browsers must revalidate rather than keep a stale script after an upgrade.
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
