//! API errors: `{"error": {"code": "...", "message": "..."}}` with a fitting status.

use crate::ledger::LedgerError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Storage(m) => {
                tracing::error!("ledger: {m}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", format!("the ledger failed: {m}"))
            }
            LedgerError::NotFound(m) => ApiError::not_found(m),
            LedgerError::Rejected(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", m),
            LedgerError::IdConflict(m) => ApiError::new(StatusCode::CONFLICT, "id_conflict", m),
        }
    }
}

impl From<crate::input::InputError> for ApiError {
    fn from(e: crate::input::InputError) -> Self {
        ApiError::invalid(e.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let text = format!("{body}\n");
        (self.status, [(axum::http::header::CONTENT_TYPE, "application/json")], text).into_response()
    }
}
