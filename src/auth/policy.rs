//! The access policy: one table, route by route, so it can be read, reviewed and tested as
//! a whole. A route missing from the table is refused to everyone but admins.

use super::Role;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials needed (health check, login, the web interface's static files).
    Public,
    /// Readers and above; anonymous callers too when the server allows anonymous reading.
    Read,
    /// At least this role. Handlers may narrow it further (clerks edit only their own drafts).
    AtLeast(Role),
}

/// `(method, route pattern as registered with axum, access)`.
pub const POLICY: &[(&str, &str, Access)] = &[
    ("GET", "/health", Access::Public),
    ("POST", "/api/session", Access::Public),
    ("GET", "/api/session", Access::Read),
    ("DELETE", "/api/session", Access::Read),
    ("GET", "/api/schema/process", Access::Read),
    ("GET", "/api/processes", Access::Read),
    ("POST", "/api/processes", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/processes/{id}", Access::Read),
    ("PUT", "/api/processes/{id}", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/processes/{id}/versions", Access::Read),
    ("POST", "/api/processes/{id}/status", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/audit", Access::AtLeast(Role::Admin)),
    ("GET", "/api/users", Access::AtLeast(Role::Admin)),
    ("POST", "/api/users", Access::AtLeast(Role::Admin)),
    ("DELETE", "/api/users/{name}", Access::AtLeast(Role::Admin)),
];

/// The access a request needs, by method and matched route pattern.
pub fn required_access(method: &str, route: &str) -> Access {
    POLICY
        .iter()
        .find(|(m, r, _)| *m == method && *r == route)
        .map_or(Access::AtLeast(Role::Admin), |(_, _, access)| *access)
}
