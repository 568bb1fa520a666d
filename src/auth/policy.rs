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
    ("GET", "/", Access::Public),
    ("GET", "/assets/{*path}", Access::Public),
    ("POST", "/api/session", Access::Public),
    ("GET", "/api/session", Access::Public),
    ("PUT", "/api/session/password", Access::Read),
    ("DELETE", "/api/session", Access::Public),
    ("GET", "/api/schema/process", Access::Read),
    ("GET", "/api/processes", Access::Read),
    ("POST", "/api/processes", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/processes/{id}", Access::Read),
    ("PUT", "/api/processes/{id}", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/processes/{id}/versions", Access::Read),
    ("POST", "/api/processes/{id}/status", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/processes/{id}/bpmn", Access::Read),
    ("GET", "/api/processes/{id}/page", Access::Read),
    ("GET", "/api/processes/{id}/similar", Access::Read),
    ("POST", "/api/import/bpmn", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/draft", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/draft/stream", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/transcribe", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/transcribe/stream", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/review", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/preview/diagram", Access::AtLeast(Role::Clerk)),
    ("POST", "/api/preview/similar", Access::AtLeast(Role::Clerk)),
    ("GET", "/api/duplicates", Access::Read),
    ("GET", "/api/duplicates/decisions", Access::Read),
    ("POST", "/api/duplicates/decisions", Access::AtLeast(Role::Reviewer)),
    ("GET", "/api/gaps", Access::Read),
    ("GET", "/api/stats", Access::Read),
    ("GET", "/api/audit", Access::AtLeast(Role::Admin)),
    ("GET", "/api/users", Access::AtLeast(Role::Admin)),
    ("POST", "/api/users", Access::AtLeast(Role::Admin)),
    ("PUT", "/api/users/{name}", Access::AtLeast(Role::Admin)),
    ("DELETE", "/api/users/{name}", Access::AtLeast(Role::Admin)),
    ("POST", "/api/users/{name}/tokens", Access::AtLeast(Role::Admin)),
];

/// The access a request needs, by method and matched route pattern.
pub fn required_access(method: &str, route: &str) -> Access {
    POLICY
        .iter()
        .find(|(m, r, _)| *m == method && *r == route)
        .map_or(Access::AtLeast(Role::Admin), |(_, _, access)| *access)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the HTTP layer registers has its own line in the table (a route missing from it
    /// would silently become admin-only), and the table names no route that does not exist.
    #[test]
    fn the_table_covers_exactly_the_registered_routes() {
        let sources = [
            include_str!("../http/mod.rs"),
            include_str!("../http/auth.rs"),
            include_str!("../http/processes.rs"),
            include_str!("../http/bpmn.rs"),
            include_str!("../http/draft.rs"),
            include_str!("../http/speech.rs"),
            include_str!("../http/preview.rs"),
            include_str!("../http/similarity.rs"),
            include_str!("../http/stats.rs"),
            include_str!("../http/web/mod.rs"),
        ];
        let mut registered = Vec::new();
        for source in sources {
            for part in source.split(".route(\"").skip(1) {
                let (path, rest) = part.split_once('"').unwrap();
                let handlers = &rest[..rest.find("))").map_or(rest.len(), |i| i + 1)];
                for method in ["get", "post", "put", "delete"] {
                    if handlers.contains(&format!("{method}(")) {
                        registered.push((method.to_uppercase(), path.to_owned()));
                    }
                }
            }
        }
        let mut table: Vec<_> = POLICY.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
        registered.sort();
        table.sort();
        assert_eq!(registered, table);
    }
}
