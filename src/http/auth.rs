//! Authentication (API token or login session) and the route policy check, plus the
//! `/api/session` and `/api/users` endpoints.

use axum::extract::{FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};

use super::body::JsonBody;
use super::types::{AddUserRequest, LoginRequest};
use super::{ApiError, AppState};
use crate::auth::{self, Access, Principal};
use crate::store::Change;

const SESSION_COOKIE: &str = "ablauf_session";
const CSRF_HEADER: &str = "x-csrf-token";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", get(whoami).post(login).delete(logout))
        .route("/api/users", get(list_users).post(add_user))
        .route("/api/users/{name}", delete(revoke_user))
}

/// The CSRF token of the caller's login session, for `GET /api/session` after a page reload.
#[derive(Clone)]
struct CsrfToken(String);

/// How the caller proved who they are.
enum Credential {
    Token(String),
    Session(String),
    None,
}

fn credential(headers: &HeaderMap) -> Result<Credential, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be \"Bearer <token>\""))?;
        return Ok(Credential::Token(token.to_owned()));
    }
    let session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned());
    Ok(session.map_or(Credential::None, Credential::Session))
}

/// The caller, as resolved by [`authorize`]; handlers that write name their author with it.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("log in or send \"Authorization: Bearer <token>\""))
    }
}

/// Resolves the caller and checks the route's policy; the principal is handed to handlers
/// as a request extension.
pub async fn authorize(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let route = matched.as_ref().map_or("", MatchedPath::as_str);
    let access = auth::required_access(request.method().as_str(), route);
    let principal = match credential(request.headers())? {
        Credential::Token(token) => Some(
            state
                .blocking(move |store| Ok(store.principal_for_token(&token)?))
                .await?
                .ok_or_else(|| ApiError::unauthorized("the API token is unknown or revoked"))?,
        ),
        Credential::Session(id) => {
            let found = state.blocking(move |store| Ok(store.session(&id)?)).await?;
            let (principal, csrf) =
                found.ok_or_else(|| ApiError::unauthorized("the login session has expired; log in again"))?;
            // Cookies are sent by the browser on its own, so writes must prove they come from our page.
            let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !safe && sent != Some(csrf.as_str()) {
                return Err(ApiError::forbidden(format!("missing or wrong {CSRF_HEADER} header")));
            }
            request.extensions_mut().insert(CsrfToken(csrf));
            Some(principal)
        }
        Credential::None => None,
    };
    match (access, &principal) {
        (Access::Public, _) => {}
        (Access::Read, None) if state.anonymous_read => {}
        (_, None) => return Err(ApiError::unauthorized("log in or send \"Authorization: Bearer <token>\"")),
        (Access::Read, Some(_)) => {}
        (Access::AtLeast(role), Some(p)) if !p.may(role) => {
            return Err(ApiError::forbidden(format!(
                "{} is {}, this needs {}",
                p.user,
                p.role.as_str(),
                role.as_str()
            )));
        }
        (Access::AtLeast(_), Some(_)) => {}
    }
    if let Some(p) = principal {
        request.extensions_mut().insert(p);
    }
    Ok(next.run(request).await)
}

async fn login(State(state): State<AppState>, JsonBody(req): JsonBody<LoginRequest>) -> Result<Response, ApiError> {
    let session = state
        .blocking(move |store| Ok(store.login(&req.name, &req.password)?))
        .await?
        .ok_or_else(|| ApiError::unauthorized("wrong user name or password"))?;
    // Secure is left to the deployment's TLS proxy; HttpOnly keeps scripts away from the id
    // and SameSite=Strict keeps other sites from riding on it.
    let cookie = format!("{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", session.id);
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?;
    let body = serde_json::json!({ "user": session.principal.user, "role": session.principal.role, "csrf_token": session.csrf });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// `{user: {user, role} | null, csrf_token?, anonymous_read}`: who the caller is, so the web
/// interface can show the login form or adapt to the role.
async fn whoami(
    State(state): State<AppState>,
    principal: Option<axum::Extension<Principal>>,
    csrf: Option<axum::Extension<CsrfToken>>,
) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "user": principal.map(|p| p.0),
        "csrf_token": csrf.map(|c| c.0.0),
        "anonymous_read": state.anonymous_read,
    }))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Credential::Session(id) = credential(&headers)? {
        state.blocking(move |store| Ok(store.logout(&id)?)).await?;
    }
    let expired = HeaderValue::from_static("ablauf_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(header::SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response())
}

async fn add_user(
    State(state): State<AppState>,
    admin: Principal,
    JsonBody(req): JsonBody<AddUserRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let user = state
        .blocking(move |store| {
            let change = Change { author: &admin.user, reason: "", own_drafts_only: false };
            Ok(store.add_user(&req.name, req.role, req.password.as_deref(), &change)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn list_users(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.blocking(|store| Ok(store.list_users()?)).await?))
}

async fn revoke_user(
    State(state): State<AppState>,
    admin: Principal,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state
        .blocking(move |store| {
            Ok(store.revoke_user(&name, &Change { author: &admin.user, reason: "", own_drafts_only: false })?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
