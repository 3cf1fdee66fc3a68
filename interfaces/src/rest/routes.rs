//! The route table: one place that both registers REST routes with actix and lists them, so the
//! OpenAPI test can compare what is served with what is documented.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

/// Records every `(method, full path)` and, when it wraps a `ServiceConfig`, registers the
/// handler there. Paths are full (`/api/v1/conversations/{conv}/messages`), never scoped.
pub struct RouteTable<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    list: Vec<(String, String)>,
}

impl<'a> RouteTable<'a> {
    /// A table that registers into `cfg` as it records.
    pub fn serving(cfg: &'a mut web::ServiceConfig) -> Self {
        Self { cfg: Some(cfg), list: Vec::new() }
    }

    /// A table that only records.
    pub fn listing() -> Self {
        Self { cfg: None, list: Vec::new() }
    }

    /// The recorded routes: `(METHOD, path)` in registration order.
    pub fn into_list(self) -> Vec<(String, String)> {
        self.list
    }

    /// `GET path`.
    pub fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    /// `POST path`.
    pub fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    /// `PUT path`.
    pub fn put<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PUT, path, handler)
    }

    /// `PATCH path`.
    pub fn patch<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, handler)
    }

    /// `DELETE path`.
    pub fn delete<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::DELETE, path, handler)
    }

    /// Ends the table: every recorded path answers the methods it was not given with 405
    /// `method_not_allowed` and an `Allow` header, instead of the 404 of an unknown path. (A
    /// resource without a method guard, registered after the path's own ones, takes whatever
    /// method they left.)
    pub fn close(&mut self) {
        let Some(cfg) = self.cfg.as_deref_mut() else { return };
        let mut paths: Vec<&str> = Vec::new();
        for (_, path) in &self.list {
            if !paths.contains(&path.as_str()) {
                paths.push(path);
            }
        }
        for path in paths {
            let allow: Vec<&str> = self.list.iter().filter(|(_, p)| p == path).map(|(m, _)| m.as_str()).collect();
            let allow = allow.join(", ");
            cfg.route(path, web::route().to(move || std::future::ready(method_not_allowed(&allow))));
        }
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.list.push((method.as_str().to_owned(), path.to_owned()));
        if let Some(cfg) = self.cfg.as_deref_mut() {
            // `ServiceConfig::route` lifts the method guard onto the resource, so two methods on
            // one path (`GET` and `PATCH /me`) are two resources that never shadow each other.
            cfg.route(path, web::method(method).to(handler));
        }
        self
    }
}

/// The 405 of a known path asked with a method it does not have.
fn method_not_allowed(allow: &str) -> actix_web::HttpResponse {
    let error = crate::error::ApiError::new(
        tidings_protocol::ErrorCode::MethodNotAllowed,
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        format!("this path takes {allow}"),
    );
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    response
}
