//! The route table's builder: every route of Recourse is declared through [`Routes`] (in
//! [`super::routes`]), which builds the axum router and, at the same time, the list of
//! (method, path, gate) it serves. That list is the single source of truth the access-matrix test
//! walks, so a route added anywhere without an entry in the matrix makes that test fail.

use axum::{
    extract::Request,
    handler::Handler,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing, Router,
};

use super::AppState;
use crate::{
    auth::access::{sign_in_first, Viewer},
    error::ErrorPage,
    store::accounts::Role,
};

/// Who a group of routes admits, checked once for the group before any of its handlers runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gate {
    /// Anyone.
    Public,
    /// Anyone signed in; someone who is not is sent to sign in first.
    SignedIn,
    /// Someone signed in with this role; not signed in: sign in first; another role: 404, as if
    /// the route did not exist.
    Role(Role),
    /// An API call: its handler's bearer-token extractor names the authority (cookies do not
    /// count), so the gate itself lets every request through to it.
    Token,
}

impl Gate {
    /// Whether the gate lets every request through (to the handler, which may still refuse).
    fn admits_everyone(self) -> bool {
        matches!(self, Gate::Public | Gate::Token)
    }

    /// The answer given instead of the route's when this gate does not let `viewer` through.
    fn refusal(self, viewer: Option<&Viewer>, request: &Request) -> Option<Response> {
        if self.admits_everyone() {
            return None;
        }
        let needs = match self {
            Gate::Public | Gate::Token => None,
            Gate::SignedIn => None,
            Gate::Role(role) => Some(role),
        };
        match viewer {
            None => Some(sign_in_first(request.method(), request.uri()).into_response()),
            Some(v) if needs.is_some_and(|role| role != v.role) => Some(ErrorPage::NotFound.into_response()),
            Some(_) => None,
        }
    }
}

async fn guard(gate: Gate, request: Request, next: Next) -> Response {
    match gate.refusal(request.extensions().get::<Viewer>(), &request) {
        None => next.run(request).await,
        Some(refused) => refused,
    }
}

/// An HTTP method a route answers (GET also answers HEAD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// One route: a method, an axum path pattern such as `/invitation/{token}`, and its group's gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    pub gate: Gate,
}

/// A router under construction together with the table of what it serves.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<Route>,
}

macro_rules! verb_method {
    ($name:ident, $verb:ident) => {
        #[doc = concat!("Adds a ", stringify!($verb), " route.")]
        pub fn $name<H, T>(mut self, path: &'static str, handler: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.router = self.router.route(path, routing::$name(handler));
            self.table.push(Route { verb: Verb::$verb, path, gate: Gate::Public });
            self
        }
    };
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    verb_method!(get, Get);
    verb_method!(post, Post);
    verb_method!(put, Put);
    verb_method!(patch, Patch);
    verb_method!(delete, Delete);

    /// Puts every route added so far behind `gate`: the group's router gets the gate as a route
    /// layer (unless it admits everyone), and its rows in the table name it.
    pub fn behind(mut self, gate: Gate) -> Self {
        // A gate that admits everyone is no layer: one future less on each of its requests.
        if !gate.admits_everyone() {
            self.router =
                self.router.route_layer(middleware::from_fn(move |request: Request, next: Next| {
                    guard(gate, request, next)
                }));
        }
        for route in &mut self.table {
            route.gate = gate;
        }
        self
    }

    /// Adds every route of `other`.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The (method, path) pairs served, in the order they were declared.
    pub fn table(&self) -> &[Route] {
        &self.table
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
