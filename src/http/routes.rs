//! Every route of Recourse, in one table grouped by who may use it. Each group sits behind one
//! gate ([`Gate`]), checked before any of its handlers runs: a route cannot be added to a role's
//! group and forget the role. The access-matrix test walks this table.

use axum::{extract::DefaultBodyLimit, handler::Handler};

use super::{
    assets, health,
    route_table::{Gate, Routes},
    switch_language,
};
use crate::{
    api::{checks as party_calls, entries, events, imports, openapi},
    pages::{
        account::{invitation, me, sign_in},
        admin::{
            accounts, authorities, hub, mandates, relying_parties, review_bodies, rule_challenges, rules,
            schemes, tokens,
        },
        public::{catalogue, compare, home, transparency, tree_heads, verify},
        recorder::{import, recording},
        reviewer::review,
        subject::{appeals, checks, decision, notices, proofs, record},
    },
    store::accounts::Role,
};

pub fn routes() -> Routes {
    Routes::new()
        .merge(public())
        .merge(signed_in())
        .merge(subject())
        .merge(recorder())
        .merge(reviewer())
        .merge(administrator())
        .merge(api())
}

/// Anyone, signed in or not.
fn public() -> Routes {
    Routes::new()
        .get("/healthz", health)
        .get("/language/{code}", switch_language)
        .get("/style/recourse.css", assets::stylesheet)
        .get("/", home::page)
        .get("/rules", catalogue::index)
        .get("/rules/compare", compare::page)
        .get("/transparency", transparency::page)
        .get("/transparency.csv", transparency::csv_download)
        .get("/transparency.json", transparency::json_download)
        .get("/transparency/tree-heads", tree_heads::page)
        .get("/verify/{proof}", verify::page)
        .get("/rules/{scheme}", catalogue::scheme)
        .get("/rules/{scheme}/{rule}", catalogue::rule)
        .get("/sign-in", sign_in::page)
        .post("/sign-in", sign_in::submit)
        .post("/sign-out", sign_in::sign_out)
        .get("/invitation/{token}", invitation::page)
        .post("/invitation/{token}", invitation::submit)
        .behind(Gate::Public)
}

/// Anyone signed in, whatever their role: their own account, and evidence files and printable
/// decisions, which the appeal's subject and its reviewers may open (the handler decides by
/// record access).
fn signed_in() -> Routes {
    Routes::new()
        .get("/me", me::page)
        .post("/me/password", me::change_password)
        .get("/appeals/{id}/evidence/{file}", appeals::download)
        .get("/appeals/{id}/decision", decision::page)
        .behind(Gate::SignedIn)
}

/// A subject (a person, or an organisation's representative): their own record and appeals.
fn subject() -> Routes {
    Routes::new()
        .get("/record", record::page)
        .get("/record/events/{id}", record::event)
        .get("/record/entries/{id}", record::entry)
        .get("/record/access", notices::access)
        .get("/record/checks", checks::page)
        .get("/record/export.json", notices::export_json)
        .get("/record/events.csv", notices::export_csv)
        .get("/notices", notices::inbox)
        .post("/notices/read", notices::mark_read)
        .get("/record/proofs", proofs::page)
        .post("/record/proofs", proofs::make)
        .post("/record/proofs/{id}/revoke", proofs::revoke)
        .get("/appeals", appeals::list)
        .get("/appeals/new", appeals::new_form)
        .post("/appeals", appeals::file.layer(DefaultBodyLimit::max(appeals::UPLOAD_LIMIT)))
        .get("/appeals/{id}", appeals::page)
        .post(
            "/appeals/{id}/evidence",
            appeals::add_evidence.layer(DefaultBodyLimit::max(appeals::UPLOAD_LIMIT)),
        )
        .post("/appeals/{id}/withdraw", appeals::withdraw)
        .post("/appeals/{id}/second-level", appeals::second_level)
        .behind(Gate::Role(Role::Subject))
}

/// A recorder, for their authority.
fn recorder() -> Routes {
    Routes::new()
        .get("/recording", recording::hub)
        .get("/recording/subjects/{subject}", recording::subject_page)
        .get("/recording/subjects/{subject}/events", recording::event_form)
        .post("/recording/subjects/{subject}/events", recording::record_event)
        .get("/recording/subjects/{subject}/entries", recording::entry_form)
        .post("/recording/subjects/{subject}/entries", recording::record_entry)
        .get("/recording/entries/{entry}", recording::entry_page)
        .post("/recording/entries/{entry}/delivered", recording::deliver_notice)
        .get("/recording/import", import::form)
        // The upload is streamed to disk with its own limit, not buffered under the default one.
        .post("/recording/import", import::upload.layer(DefaultBodyLimit::disable()))
        .get("/recording/import/{id}", import::status)
        .behind(Gate::Role(Role::Recorder))
}

/// A reviewer, for their review body.
fn reviewer() -> Routes {
    Routes::new()
        .get("/review", review::queue)
        .get("/review/statistics", review::statistics)
        .post("/review/notices/seen", review::notice_seen)
        .get("/review/appeals/{id}", review::page)
        .post("/review/appeals/{id}/claim", review::claim)
        .post("/review/appeals/{id}/assign", review::assign)
        .post("/review/appeals/{id}/decide", review::decide)
        .behind(Gate::Role(Role::Reviewer))
}

/// An administrator.
fn administrator() -> Routes {
    Routes::new()
        .get("/admin", hub::page)
        .get("/admin/audit", hub::audit_log)
        .get("/admin/accounts", accounts::list)
        .post("/admin/accounts", accounts::create)
        .get("/admin/accounts/{id}", accounts::detail)
        .post("/admin/accounts/{id}/disable", accounts::disable)
        .post("/admin/accounts/{id}/invitation", accounts::reinvite)
        .get("/admin/schemes/{scheme}/settings", schemes::settings)
        .post("/admin/schemes/{scheme}/settings", schemes::save_settings)
        .get("/admin/schemes/{scheme}/rules", rules::rules)
        .post("/admin/schemes/{scheme}/rules", rules::create_draft)
        .get("/admin/rule-versions/{version}", rules::version_page)
        .post("/admin/rule-versions/{version}", rules::edit_draft)
        .post("/admin/rule-versions/{version}/publish", rules::publish)
        .post("/admin/rule-versions/{version}/repeal", rules::repeal_rule)
        .get("/admin/appeals", rule_challenges::rule_challenges)
        .post("/admin/appeals/notices/seen", rule_challenges::notice_seen)
        .get("/admin/appeals/{id}", rule_challenges::challenge)
        .post("/admin/appeals/{id}/decide", rule_challenges::decide)
        .get("/admin/authorities", authorities::list)
        .post("/admin/authorities", authorities::create)
        .get("/admin/authorities/{authority}", authorities::authority_page)
        .post("/admin/authorities/{authority}", authorities::rename)
        .get("/admin/authorities/{authority}/mandates", mandates::page)
        .post("/admin/authorities/{authority}/mandates", mandates::grant)
        .post("/admin/authorities/{authority}/mandates/{mandate}/revoke", mandates::revoke)
        .get("/admin/review-bodies", review_bodies::list)
        .post("/admin/review-bodies", review_bodies::create)
        .get("/admin/tokens", tokens::list)
        .post("/admin/tokens", tokens::create)
        .post("/admin/tokens/{id}/revoke", tokens::revoke)
        .get("/admin/relying-parties", relying_parties::list)
        .post("/admin/relying-parties", relying_parties::create)
        .get("/admin/relying-parties/{id}", relying_parties::show)
        .post("/admin/relying-parties/{id}/tokens", relying_parties::create_token)
        .post("/admin/relying-parties/{id}/tokens/{token}/revoke", relying_parties::revoke_token)
        .behind(Gate::Role(Role::Administrator))
}

/// An authority's system, by bearer token (cookies are not accepted); the OpenAPI document is
/// public. Every call's token is checked by the [`crate::api::bearer`] extractor, which names
/// the authority; the rate limit is a layer of its own.
fn api() -> Routes {
    Routes::new()
        .get("/api/v1/openapi.json", openapi::document)
        .get("/api/v1/events", events::list)
        .post("/api/v1/events", events::record)
        .get("/api/v1/events/{id}", events::one)
        .post("/api/v1/events/batch", events::batch)
        .post("/api/v1/imports", imports::upload)
        .get("/api/v1/imports", imports::list)
        .get("/api/v1/imports/{id}", imports::status)
        .get("/api/v1/entries", entries::list)
        .post("/api/v1/entries", entries::record)
        .get("/api/v1/entries/{id}", entries::one)
        .post("/api/v1/checks", party_calls::ask)
        .get("/api/v1/corrections", party_calls::corrections)
        .post("/api/v1/corrections/{id}/ack", party_calls::acknowledge)
        .behind(Gate::Token)
}
