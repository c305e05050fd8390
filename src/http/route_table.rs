//! The route table: every route of Recourse is declared through [`Routes`], which builds the axum
//! router and, at the same time, the list of (method, path) pairs it serves. That list is the
//! single source of truth the access-matrix test walks, so a route added anywhere without an
//! entry in the matrix makes that test fail.

use axum::{handler::Handler, routing, Router};

use super::AppState;

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

/// One route: a method and an axum path pattern such as `/invitation/{token}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
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
            self.table.push(Route { verb: Verb::$verb, path });
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
