//! Per-user rate limits on the endpoints that occupy the language model, the embedder or the
//! BPMN parser, so one busy client cannot starve the others; everything else is unmetered.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::ErrorType;
use super::{ApiError, AppState};
use crate::auth::Principal;

/// `(method, route)` of the metered endpoints.
const METERED: &[(&str, &str)] = &[
    ("POST", "/api/draft"),
    ("POST", "/api/draft/stream"),
    ("POST", "/api/transcribe"),
    ("POST", "/api/transcribe/stream"),
    ("POST", "/api/review"),
    ("POST", "/api/preview/similar"),
    ("POST", "/api/import/bpmn"),
];

/// Requests per minute and user on the metered endpoints, with bursts up to the same number.
#[derive(Clone)]
pub struct RateLimits {
    per_minute: NonZeroU32,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl RateLimits {
    pub fn per_minute(per_minute: NonZeroU32) -> RateLimits {
        RateLimits { per_minute, limiter: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute))) }
    }

    fn check(&self, user: &str) -> Result<(), ApiError> {
        self.limiter.check_key(&user.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorType::RateLimited,
                format!("{user} sent more than {} such requests per minute; try again shortly", self.per_minute),
            )
            .retry_after(wait.as_secs() + 1)
        })
    }
}

/// Runs after [`super::auth::authorize`], which has put the caller into the request.
pub async fn limit(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let route = matched.as_ref().map_or("", MatchedPath::as_str);
    if METERED.contains(&(request.method().as_str(), route)) {
        let user = request.extensions().get::<Principal>().map_or("anonymous", |p| p.user.as_str());
        state.limits.check(user)?;
    }
    Ok(next.run(request).await)
}
