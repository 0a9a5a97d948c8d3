//! The processor's side of authentication: role statements run against the
//! node's [`Auth`](crate::auth::Auth) as the session's logged-in role, the
//! generated `system_auth` rows, and the SASL credential check (bcrypt, on
//! the blocking pool so a slow hash never stalls the runtime).

use sibyl_protocol::cql::ast::Statement;
use sibyl_protocol::response::ResultBody;
use sibyl_protocol::value::CqlValue;

use super::Executor;
use crate::auth::{statements, views};
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::transport::ClientSession;

impl Executor {
    /// Runs a role statement ([`statements::is_auth_statement`]) for the
    /// session's role; anonymous when authentication is off.
    pub(super) fn auth_statement(
        &self,
        session: &ClientSession,
        statement: &Statement,
    ) -> Result<ResultBody, RequestError> {
        let user = session.user();
        statements::execute(&self.ctx.auth, user.as_deref(), statement).unwrap_or_else(|| {
            Err(RequestError::Server(
                "not a role statement (a dispatch bug)".into(),
            ))
        })
    }

    /// The rows of a `system_auth` table, from the current roles.
    pub(super) fn auth_rows(&self, table: &TableMetadata) -> Vec<Vec<Option<CqlValue>>> {
        views::table_rows(&self.ctx.auth.roles(), table)
    }
}

/// Checks SASL PLAIN credentials on the blocking pool.
pub(super) async fn authenticate(
    auth: std::sync::Arc<crate::auth::Auth>,
    user: &str,
    password: &str,
) -> Result<(), String> {
    let (user, password) = (user.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || auth.login(&user, &password))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "credential check failed");
            Err("Unable to perform authentication".to_owned())
        })
}
