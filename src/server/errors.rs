//! The webhook's HTTP error answers: each failure's status, its `meta/v1` Status body and
//! its metric result.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::metrics::RequestResult;
use crate::admission;

/// Why a webhook request was not answered with a review.
#[derive(Debug)]
pub(crate) enum Failure {
    /// 400: not an AdmissionReview, or a bad query.
    BadRequest(String),
    /// 413: the body is over this many bytes.
    TooLarge(usize),
    /// 504: not answered within this deadline.
    Timeout(Duration),
    /// 503: shutting down.
    Overloaded,
    /// 429: the budget of body bytes in flight stayed full.
    Busy,
}

impl Failure {
    /// The `result` label it is counted under.
    pub(crate) fn result(&self) -> RequestResult {
        match self {
            Failure::BadRequest(_) => RequestResult::BadRequest,
            Failure::TooLarge(_) => RequestResult::TooLarge,
            Failure::Timeout(_) => RequestResult::Timeout,
            Failure::Overloaded | Failure::Busy => RequestResult::Overloaded,
        }
    }

    /// Whether the request body may still be unread when this is answered (then it is read
    /// and discarded first, so that the client gets the answer; see `handlers::drain`).
    pub(crate) fn unread_body(&self) -> bool {
        !matches!(self, Failure::Timeout(_))
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Failure::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Busy => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// What the Status body says.
    pub(crate) fn message(&self) -> String {
        match self {
            Failure::BadRequest(m) => m.clone(),
            Failure::TooLarge(limit) => {
                format!("request body is larger than the limit of {limit} bytes (--max-body-bytes)")
            }
            Failure::Timeout(d) => {
                format!("the review was not answered within its deadline of {d:?}")
            }
            Failure::Overloaded => "the server is shutting down".into(),
            Failure::Busy => "too many large reviews at once: the budget of body bytes in flight (--max-body-bytes-in-flight) stayed full; retry".into(),
        }
    }

    /// The response.
    pub(crate) fn response(&self) -> Response {
        error_response(self.status(), &self.message())
    }
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An error answer with a `meta/v1` Status body, as the API server's own errors have.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response {
    let reason = match status {
        StatusCode::BAD_REQUEST => "BadRequest",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge",
        StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
        StatusCode::GATEWAY_TIMEOUT => "Timeout",
        _ => "InternalError",
    };
    let body = admission::error_status(status.as_u16(), reason, message);
    json_response(status, serde_json::to_vec(&body).unwrap_or_default())
}
