//! Authentication (API token or login session) and the route policy check, plus the
//! `/api/session` and `/api/users` endpoints.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};

use super::body::JsonBody;
use super::types::{AddTokenRequest, AddUserRequest, LoginRequest, PasswordChangeRequest, UpdateUserRequest};
use super::{ApiError, AppState, ErrorType};
use crate::auth::{self, Access, Principal};
use crate::directory::Verdict;
use crate::store::{Change, LoginFailure, Session, SessionState};

const SESSION_COOKIE: &str = "ablauf_session";
const CSRF_HEADER: &str = "x-csrf-token";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", get(whoami).post(login).delete(logout))
        .route("/api/session/password", put(change_password))
        .route("/api/users", get(list_users).post(add_user))
        .route("/api/users/{name}", put(update_user).delete(revoke_user))
        .route("/api/users/{name}/tokens", post(add_token))
}

/// The CSRF token of the caller's login session, for `GET /api/session` after a page reload.
#[derive(Clone)]
struct CsrfToken(String);

/// Where a request comes from, for throttling, the audit log and the cookie: the peer's
/// address, or behind a trusted proxy the client it names; the user agent; whether the client
/// reached the proxy over HTTPS.
struct Client {
    address: IpAddr,
    agent: String,
    https: bool,
}

impl Client {
    fn new(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> Client {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let agent = header("user-agent").unwrap_or("").chars().take(200).collect();
        let proxied = trusted_proxies.contains(&peer.ip());
        // The proxy appends the address it saw last; earlier entries come from the client.
        let forwarded = header("x-forwarded-for").and_then(|list| list.rsplit(',').next()?.trim().parse().ok());
        let address = if proxied { forwarded.unwrap_or(peer.ip()) } else { peer.ip() };
        let https = proxied && header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
        Client { address, agent, https }
    }

    /// The client of a request that went through the server (which records the peer).
    fn of(extensions: &axum::http::Extensions, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> Client {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0);
        Client::new(peer, headers, trusted_proxies)
    }

    /// The audit entry's detail: reason class, address, user agent.
    fn detail(&self, reason: &str) -> String {
        format!("{reason}; from {}; {}", self.address, self.agent)
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client::of(&parts.extensions, &parts.headers, &state.trusted_proxies))
    }
}

/// Refuses a sign-in for `account` (`None`: a bearer token) from `client` while the throttle
/// says wait: 429 with the wait, recorded in the audit log.
async fn check_throttle(state: &AppState, account: Option<&str>, client: &Client) -> Result<(), ApiError> {
    let Err(wait) = state.throttle.check(account, client.address, Instant::now()) else { return Ok(()) };
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let (actor, detail) = (account.unwrap_or("-").to_owned(), client.detail(&format!("wait {seconds} s")));
    if let Err(e) = state.blocking(move |store| Ok(store.audit_auth(&actor, "auth.throttled", &detail)?)).await {
        tracing::warn!(error = ?e.body.error, "cannot record a throttled sign-in");
    }
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorType::RateLimited,
        format!("too many failed sign-ins; try again in {seconds} s"),
    )
    .retry_after(seconds))
}

/// Records a failed password check of `account`: it counts toward the throttle and goes into
/// the audit log with its reason class.
async fn record_failure(state: &AppState, account: String, client: &Client, reason: &str) -> Result<(), ApiError> {
    state.throttle.failed(Some(&account), client.address, Instant::now());
    let detail = client.detail(reason);
    state.blocking(move |store| Ok(store.audit_auth(&account, "auth.login_failed", &detail)?)).await
}

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
        Credential::Token(token) => {
            let client = Client::of(request.extensions(), request.headers(), &state.trusted_proxies);
            check_throttle(&state, None, &client).await?;
            let found = state.blocking(move |store| Ok(store.principal_for_token(&token)?)).await?;
            match found {
                Some(principal) => Some(principal),
                None => {
                    state.throttle.failed(None, client.address, Instant::now());
                    let detail = client.detail("unknown or revoked token");
                    state.blocking(move |store| Ok(store.audit_auth("-", "auth.token_unknown", &detail)?)).await?;
                    return Err(ApiError::unauthorized("the API token is unknown or revoked"));
                }
            }
        }
        Credential::Session(id) => {
            let limits = state.sessions;
            let found = state.blocking(move |store| Ok(store.session(&id, limits)?)).await?;
            let (principal, csrf) = match found {
                SessionState::Live(principal, csrf) => (principal, csrf),
                ended => {
                    if let SessionState::Expired(user) = ended {
                        let client = Client::of(request.extensions(), request.headers(), &state.trusted_proxies);
                        let detail = client.detail("idle or too old");
                        state
                            .blocking(move |store| Ok(store.audit_auth(&user, "auth.session_expired", &detail)?))
                            .await?;
                    }
                    return Err(ApiError::unauthorized("the login session has expired; log in again"));
                }
            };
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

/// Signs in with name and password. Throttled per account and address before the password is
/// checked; every outcome goes into the audit log.
async fn login(
    State(state): State<AppState>,
    client: Client,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    let name: String = req.name.chars().take(64).collect();
    check_throttle(&state, Some(&name), &client).await?;
    let (outcome, by) = match sign_in(&state, name.clone(), req.password).await {
        Ok(signed_in) => signed_in,
        Err(e) if e.body.error_type == ErrorType::DirectoryUnavailable => {
            let detail = client.detail(&e.body.error);
            let tried = name.clone();
            state.blocking(move |store| Ok(store.audit_auth(&tried, "auth.directory_error", &detail)?)).await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let session = match outcome {
        Ok(session) => {
            state.throttle.succeeded(&name, client.address);
            let detail = client.detail(by);
            state.blocking(move |store| Ok(store.audit_auth(&name, "auth.login", &detail)?)).await?;
            session
        }
        Err(failure) => {
            record_failure(&state, name, &client, failure.as_str()).await?;
            return Err(match failure {
                LoginFailure::NoGroup | LoginFailure::Revoked => ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorType::NoAccess,
                    "the directory accepted the password, but this account has no access to ablauf; an admin can grant it",
                ),
                _ => ApiError::unauthorized("wrong user name or password"),
            });
        }
    };
    // HttpOnly keeps scripts away from the id, SameSite=Strict keeps other sites from riding on
    // it, and Secure keeps it off plain HTTP where a trusted proxy says the client came by HTTPS.
    let secure = if client.https { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/{secure}", session.id);
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?;
    let body = serde_json::json!({ "user": session.principal.user, "role": session.principal.role, "csrf_token": session.csrf });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Checks name and password where the account lives: here for local accounts, at the
/// directory (when one is configured) for everyone else. Also says which it was, for the audit log.
async fn sign_in(
    state: &AppState,
    name: String,
    password: String,
) -> Result<(Result<Session, LoginFailure>, &'static str), ApiError> {
    let limits = state.sessions;
    if let Some(directory) = state.directory.clone() {
        let tried = name.clone();
        let local = state.blocking(move |store| Ok(store.signs_in_locally(&tried)?)).await?;
        // A name the store would refuse cannot be a directory user of ours; the directory is not asked.
        if !local && auth::check_user_name(&name).is_ok() {
            let outcome = match directory.authenticate(&name, &password).await? {
                Verdict::Granted { dn, role } => {
                    state.blocking(move |store| Ok(store.directory_login(&name, &dn, role, limits)?)).await?
                }
                Verdict::NoGroup { .. } => {
                    state.blocking(move |store| Ok(store.directory_without_group(&name)?)).await?;
                    Err(LoginFailure::NoGroup)
                }
                Verdict::Rejected => Err(LoginFailure::DirectoryRejected),
                Verdict::UnknownUser => Err(LoginFailure::UnknownUser),
            };
            return Ok((outcome, "directory"));
        }
    }
    let outcome = state.blocking(move |store| Ok(store.login(&name, &password, limits)?)).await?;
    Ok((outcome, "password"))
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

async fn logout(
    State(state): State<AppState>,
    client: Client,
    principal: Option<axum::Extension<Principal>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Credential::Session(id) = credential(&headers)? {
        let user = principal.map(|p| p.0.user);
        state
            .blocking(move |store| {
                store.logout(&id)?;
                if let Some(user) = user {
                    store.audit_auth(&user, "auth.logout", &client.detail("session"))?;
                }
                Ok(())
            })
            .await?;
    }
    let expired = HeaderValue::from_str(&format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response())
}

async fn add_user(
    State(state): State<AppState>,
    admin: Principal,
    JsonBody(req): JsonBody<AddUserRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let user = state
        .blocking(move |store| {
            let change = Change::by(&admin, "");
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
    state.blocking(move |store| Ok(store.revoke_user(&name, &Change::by(&admin, ""))?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed-in user changes their own password: the current one is checked (and throttled like a
/// sign-in), the new one must meet the policy, and their other sessions end.
async fn change_password(
    State(state): State<AppState>,
    client: Client,
    principal: Principal,
    headers: HeaderMap,
    JsonBody(req): JsonBody<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    let name = principal.user.clone();
    check_throttle(&state, Some(&name), &client).await?;
    let keep = match credential(&headers)? {
        Credential::Session(id) => Some(id),
        _ => None,
    };
    let outcome = state
        .blocking(move |store| {
            let change = Change::by(&principal, "");
            Ok(store.change_password(
                &principal.user,
                &req.current_password,
                &req.new_password,
                keep.as_deref(),
                &change,
            )?)
        })
        .await?;
    if let Err(failure) = outcome {
        record_failure(&state, name, &client, &format!("password change: {}", failure.as_str())).await?;
        return Err(ApiError::forbidden("the current password is wrong"));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn update_user(
    State(state): State<AppState>,
    admin: Principal,
    Path(name): Path<String>,
    JsonBody(req): JsonBody<UpdateUserRequest>,
) -> Result<StatusCode, ApiError> {
    if req.role.is_none() && req.password.is_none() {
        return Err(ApiError::bad_request("name a new role, a new password, or both"));
    }
    state
        .blocking(move |store| {
            let change = Change::by(&admin, "");
            if let Some(role) = req.role {
                store.set_role(&name, role, &change)?;
            }
            if let Some(password) = &req.password {
                store.set_password(&name, password, None, &change)?;
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_token(
    State(state): State<AppState>,
    admin: Principal,
    Path(name): Path<String>,
    JsonBody(req): JsonBody<AddTokenRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if req.days == Some(0) {
        return Err(ApiError::bad_request("days must be at least 1"));
    }
    let token = state
        .blocking(move |store| {
            let change = Change::by(&admin, "");
            Ok(store.add_token(&name, req.days, &change)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "token": token, "days": req.days }))))
}
