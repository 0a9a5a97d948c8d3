//! The admin routes: one handler per path, each a thin step from HTTP to the
//! filter, the metrics or the status provider.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{AdminState, parse_rules};

/// The admin router over `state`.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/admin/faults", get(get_faults).post(post_faults))
        .route("/admin/status", get(get_status))
        .route("/metrics", get(get_metrics))
        .with_state(state)
}

async fn get_faults(State(state): State<AdminState>) -> Response {
    axum::Json(state.filter.rules().as_ref().clone()).into_response()
}

async fn post_faults(State(state): State<AdminState>, body: Bytes) -> Response {
    match parse_rules(&body) {
        Ok(rules) => {
            tracing::info!(
                rules = rules.rules.len(),
                "fault rules set through the admin port"
            );
            state.filter.set(rules.clone());
            axum::Json(rules).into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

async fn get_status(State(state): State<AdminState>) -> Response {
    let provider = state.status.clone();
    match tokio::task::spawn_blocking(move || provider()).await {
        Ok(status) => axum::Json(status).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("status failed: {e}"),
        )
            .into_response(),
    }
}

async fn get_metrics(State(state): State<AdminState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
