//! Authorisation in one place: who is asking (the [`Viewer`]), the extractors that let a handler
//! demand a signed-in person or a role, and the decisions on what each role may read. A handler
//! never checks a role by hand: it takes [`SignedIn`] or [`RequireRole`], and asks
//! [`record_access`] before showing anything about a subject. What is not the viewer's answers
//! 404, exactly like what does not exist.

use std::marker::PhantomData;

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, Method, Uri},
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

use crate::{
    domain::{AuthorityId, SubjectId},
    error::{AppError, AppResult, ErrorPage},
    http::redirect::local_path,
    pages::urlencode,
    store::accounts::{Account, AccountId, Role},
};

/// The signed-in person making a request, as resolved from their session on every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub account_id: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The subject a subject account speaks for (a person, or the organisation represented).
    pub subject_id: Option<SubjectId>,
    /// The authority a recorder records for.
    pub authority_id: Option<AuthorityId>,
    /// The review body a reviewer works for.
    pub review_body_id: Option<Uuid>,
    /// Unread notices of the subject (for the header); zero for staff.
    pub unread_notices: i64,
}

impl Viewer {
    pub fn from_account(account: &Account) -> Self {
        Self {
            account_id: account.id,
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            role: account.role,
            subject_id: account.subject_id,
            authority_id: account.authority_id,
            review_body_id: account.review_body_id,
            unread_notices: 0,
        }
    }
}

/// Why a viewer may read a subject's record. Staff reads must be recorded where the subject can
/// see them (DESIGN.md invariant 4); reading one's own record is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAccess {
    /// The subject's own record (or, for a representative, their organisation's).
    Own,
    /// A staff member reading for their work.
    Staff(StaffPurpose),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffPurpose {
    /// A reviewer deciding an appeal needs the subject's derivation and the contested item.
    Review,
    /// A recorder recording or correcting an event needs the subject's record.
    Recording,
}

/// May `viewer` read the record (score, derivation, entries, appeals, evidence) of `subject`?
/// Subjects: their own only. Reviewers and recorders: yes, for their work, recorded. Administrators
/// manage schemes and accounts and read no one's record.
pub fn record_access(viewer: &Viewer, subject: SubjectId) -> Option<RecordAccess> {
    match viewer.role {
        Role::Subject => (viewer.subject_id == Some(subject)).then_some(RecordAccess::Own),
        Role::Reviewer => Some(RecordAccess::Staff(StaffPurpose::Review)),
        Role::Recorder => Some(RecordAccess::Staff(StaffPurpose::Recording)),
        Role::Administrator => None,
    }
}

/// [`record_access`] for handlers: anything not the viewer's is [`AppError::NotFound`].
pub fn require_record_access(viewer: &Viewer, subject: SubjectId) -> AppResult<RecordAccess> {
    record_access(viewer, subject).ok_or(AppError::NotFound)
}

/// The viewer of this request, if someone is signed in. Never refuses.
#[derive(Clone, Debug)]
pub struct MaybeViewer(pub Option<Viewer>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeViewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Viewer>().cloned()))
    }
}

/// A signed-in person; anyone else is sent to the sign-in page (and back here afterwards).
#[derive(Clone, Debug)]
pub struct SignedIn(pub Viewer);

/// Sends a person who is not signed in to the sign-in page. After a GET they come back to the
/// page they asked for; after a form post, to nowhere in particular (the form is gone).
#[derive(Debug)]
pub struct SignInFirst {
    next: Option<String>,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        match self.next {
            Some(next) => Redirect::to(&format!("/sign-in?next={}", urlencode(&next))).into_response(),
            None => Redirect::to("/sign-in").into_response(),
        }
    }
}

/// Where a request by someone not signed in is sent: to sign in, and back here after a GET.
pub fn sign_in_first(method: &Method, uri: &Uri) -> SignInFirst {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let next = (*method == Method::GET && local_path(path).is_some()).then(|| path.to_string());
    SignInFirst { next }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .map(Self)
            .ok_or_else(|| sign_in_first(&parts.method, &parts.uri))
    }
}

/// A set of roles a handler admits, for [`RequireRole`].
pub trait Roles: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Administrators only.
pub struct Administrators;
impl Roles for Administrators {
    const ROLES: &'static [Role] = &[Role::Administrator];
}

/// Reviewers only.
pub struct Reviewers;
impl Roles for Reviewers {
    const ROLES: &'static [Role] = &[Role::Reviewer];
}

/// Recorders only.
pub struct Recorders;
impl Roles for Recorders {
    const ROLES: &'static [Role] = &[Role::Recorder];
}

/// Subjects (persons and organisation representatives) only.
pub struct Subjects;
impl Roles for Subjects {
    const ROLES: &'static [Role] = &[Role::Subject];
}

/// A signed-in person whose role is one of `R`. Not signed in: sent to sign in. Signed in with
/// another role: 404, as if the page did not exist.
pub struct RequireRole<R: Roles>(pub Viewer, pub PhantomData<R>);

impl<R: Roles> RequireRole<R> {
    pub fn viewer(&self) -> &Viewer {
        &self.0
    }
}

impl<R: Roles> std::fmt::Debug for RequireRole<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequireRole").field(&self.0).finish()
    }
}

/// Why [`RequireRole`] refused.
#[derive(Debug)]
pub enum RoleRejection {
    SignInFirst(SignInFirst),
    NotFound,
}

impl IntoResponse for RoleRejection {
    fn into_response(self) -> Response {
        match self {
            RoleRejection::SignInFirst(r) => r.into_response(),
            RoleRejection::NotFound => ErrorPage::NotFound.into_response(),
        }
    }
}

impl<S: Send + Sync, R: Roles> FromRequestParts<S> for RequireRole<R> {
    type Rejection = RoleRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(viewer) = parts.extensions.get::<Viewer>().cloned() else {
            return Err(RoleRejection::SignInFirst(sign_in_first(&parts.method, &parts.uri)));
        };
        if R::ROLES.contains(&viewer.role) {
            Ok(Self(viewer, PhantomData))
        } else {
            Err(RoleRejection::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(role: Role, subject: Option<SubjectId>) -> Viewer {
        Viewer {
            account_id: AccountId(Uuid::now_v7()),
            username: "someone".into(),
            display_name: "Someone".into(),
            role,
            subject_id: subject,
            authority_id: None,
            review_body_id: None,
            unread_notices: 0,
        }
    }

    #[test]
    fn a_subject_reads_only_their_own_record() {
        let mine = SubjectId::new();
        let theirs = SubjectId::new();
        let me = viewer(Role::Subject, Some(mine));
        assert_eq!(record_access(&me, mine), Some(RecordAccess::Own));
        assert_eq!(record_access(&me, theirs), None);
        assert!(matches!(require_record_access(&me, theirs), Err(AppError::NotFound)));
        assert_eq!(
            record_access(&viewer(Role::Subject, None), theirs),
            None,
            "an unlinked subject reads nothing"
        );
    }

    #[test]
    fn staff_read_for_their_work_and_administrators_read_no_record() {
        let subject = SubjectId::new();
        assert_eq!(
            record_access(&viewer(Role::Reviewer, None), subject),
            Some(RecordAccess::Staff(StaffPurpose::Review))
        );
        assert_eq!(
            record_access(&viewer(Role::Recorder, None), subject),
            Some(RecordAccess::Staff(StaffPurpose::Recording))
        );
        assert_eq!(record_access(&viewer(Role::Administrator, None), subject), None);
    }
}
