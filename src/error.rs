//! The error policy. A person sees a clear, localised page or message and never a stack trace,
//! a SQL message or a blank page; the detail of an internal error goes to the log only, without
//! personal data, tagged with the request id so an operator can find it.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

/// Marks a response whose body the error-page layer must render in the person's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPage {
    NotFound,
    Internal,
    /// The database cannot be used just now; nothing was changed.
    Unavailable,
}

impl ErrorPage {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorPage::NotFound => StatusCode::NOT_FOUND,
            ErrorPage::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorPage::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or not the person's to see: both answer 404 so nothing hints that it exists.
    #[error("not found")]
    NotFound,
    /// Anything the person cannot fix; logged, shown as the 500 page.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// The database cannot be used just now (see [`crate::db::is_unavailable`]): the 503 page.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            AppError::Unavailable(e)
        } else {
            AppError::Internal(e.into())
        }
    }
}

/// A store error a handler did not turn into a message of its own is internal: logged, the 500
/// page shown. Handlers write `?`.
impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Db(e) => e.into(),
            other => AppError::Internal(other.into()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => ErrorPage::NotFound.into_response(),
            AppError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                ErrorPage::Internal.into_response()
            }
            AppError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                ErrorPage::Unavailable.into_response()
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
