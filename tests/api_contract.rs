//! The OpenAPI document as a contract, on both databases: every operation it lists is called, and
//! every answer (successes and refusals) has a status the document lists for that operation and a
//! body that validates against the schema it gives.

mod api_support;
mod common;

use std::collections::BTreeSet;

use api_support::*;
use common::{for_each_database, TestApp};
use reqwest::{header, Client, RequestBuilder};
use serde_json::{json, Value};

/// The document, and what the calls so far covered.
struct Contract {
    doc: Value,
    covered: BTreeSet<(String, String)>,
    label: &'static str,
}

impl Contract {
    async fn fetch(app: &TestApp) -> Contract {
        let doc: Value =
            Client::new().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
        Contract { doc, covered: BTreeSet::new(), label: app.label }
    }

    /// Sends the request and checks its answer against the operation `method path` (a path as
    /// the document writes it); returns the status and the body.
    async fn call(&mut self, method: &str, path: &str, request: RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let media =
            response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(String::from);
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let where_ = format!("{}: {method} {path} answered {status} {body}", self.label);
        let operation = &self.doc["paths"][path][method.to_lowercase()];
        assert!(operation.is_object(), "{where_}: the operation is documented");
        let documented = &operation["responses"][status.to_string()];
        assert!(documented.is_object(), "{where_}: the status is documented");
        let schema = &documented["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{where_}: the answer's schema is documented");
        assert_eq!(media.as_deref(), Some("application/json"), "{where_}: the answer is JSON");
        let mut root = schema.clone();
        root["components"] = self.doc["components"].clone();
        let validator =
            jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{where_}: schema: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{where_}: the body does not match the schema: {errors:?}");
        self.covered.insert((method.to_lowercase(), path.to_string()));
        (status, body)
    }

    /// Every operation of the document was called.
    fn all_covered(&self) {
        let mut listed = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                listed.insert((method.clone(), path.clone()));
            }
        }
        let missed: Vec<_> = listed.difference(&self.covered).collect();
        assert!(missed.is_empty(), "{}: operations never called: {missed:?}", self.label);
    }
}

fn entry(subject: &str, case: &str) -> Value {
    json!({
        "subject_id": subject,
        "list": "dishonest-judgment-debtors",
        "case_number": case,
        "legal_basis": "Provisions on Publishing the List of Dishonest Judgment Debtors, art. 1",
        "reason": "Did not pay the sum the judgment ordered, though able to.",
        "restrictions": ["flights"],
        "effective_from": days_ago(1),
        "removal": "pay_amount",
        "amount": "5000.00",
        "currency": "CNY",
    })
}

#[tokio::test]
async fn every_answer_matches_the_openapi_document() {
    for_each_database(|app| async move {
        demo(&app).await;
        let admin = signed_in(&app, "demo-admin").await;
        let traffic = make_token(&app, &admin, "rc-traffic", "contract").await;
        let court = make_token(&app, &admin, "rc-court", "contract").await;
        let subjects = rongcheng_members(&app, 3).await;
        let mut c = Contract::fetch(&app).await;
        let http = Client::new();
        let url = |path: &str| app.url(path);
        let post = |path: &str, token: &str| http.post(url(path)).bearer_auth(token);
        let get = |path: &str, token: &str| http.get(url(path)).bearer_auth(token);

        // One event.
        let one = event(&subjects[0], "C-1", &days_ago(3));
        let (status, body) =
            c.call("POST", "/api/v1/events", post("/api/v1/events", &traffic).json(&one)).await;
        assert_eq!(status, 201, "{body}");
        let event_id =
            body["event"]["id"].as_str().or(body["event_id"].as_str()).unwrap_or_default().to_string();
        assert_eq!(
            c.call("POST", "/api/v1/events", post("/api/v1/events", &traffic).json(&one)).await.0,
            200
        );
        let reused = event(&subjects[1], "C-1", &days_ago(3));
        assert_eq!(
            c.call("POST", "/api/v1/events", post("/api/v1/events", &traffic).json(&reused)).await.0,
            409
        );
        let bad = event(&subjects[0], "C-2", "yesterday");
        assert_eq!(
            c.call("POST", "/api/v1/events", post("/api/v1/events", &traffic).json(&bad)).await.0,
            422
        );
        let shapeless = json!({"subject_id": 7});
        assert_eq!(
            c.call("POST", "/api/v1/events", post("/api/v1/events", &traffic).json(&shapeless)).await.0,
            422
        );
        let not_json =
            post("/api/v1/events", &traffic).header(header::CONTENT_TYPE, "application/json").body("{");
        assert_eq!(c.call("POST", "/api/v1/events", not_json).await.0, 400);
        assert_eq!(c.call("POST", "/api/v1/events", post("/api/v1/events", &traffic).body("x")).await.0, 415);
        assert_eq!(c.call("POST", "/api/v1/events", post("/api/v1/events", "rct_0").json(&one)).await.0, 401);

        // Batches: committed, refused whole, malformed, an event over the cap, too large.
        let path = "/api/v1/events/batch";
        let good = json!({"mode": "good_rows", "events": [event(&subjects[1], "C-3", &days_ago(2)), bad]});
        let (status, body) = c.call("POST", path, post(path, &traffic).json(&good)).await;
        assert_eq!((status, body["committed"].as_bool()), (200, Some(true)), "{body}");
        let refused =
            json!({"events": [event(&subjects[1], "C-4", &days_ago(2)), event(&subjects[0], "C-5", "x")]});
        let (status, body) = c.call("POST", path, post(path, &traffic).json(&refused)).await;
        assert_eq!((status, body["committed"].as_bool()), (422, Some(false)), "{body}");
        let (status, body) = c.call("POST", path, post(path, &traffic).json(&json!({"events": []}))).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
        let bad_mode = json!({"mode": "some", "events": [event(&subjects[1], "C-6", &days_ago(2))]});
        assert_eq!(c.call("POST", path, post(path, &traffic).json(&bad_mode)).await.0, 422);
        let mut huge = event(&subjects[1], "C-7", &days_ago(2));
        huge["evidence_ref"] = json!("e".repeat(70 * 1024));
        let capped = json!({"events": [event(&subjects[1], "C-8", &days_ago(2)), huge]});
        let (status, body) = c.call("POST", path, post(path, &traffic).json(&capped)).await;
        assert_eq!(
            (status, body["problems"][0]["code"].as_str()),
            (422, Some("element_too_large")),
            "{body}"
        );
        assert_eq!(body["problems"][0]["row"], 2, "{body}");
        let over = json!({"events": ["x".repeat(3 << 20)]});
        assert_eq!(c.call("POST", path, post(path, &traffic).json(&over)).await.0, 413);
        assert_eq!(c.call("POST", path, post(path, &traffic).body("x")).await.0, 415);
        let broken = post(path, &traffic).header(header::CONTENT_TYPE, "application/json").body("[");
        assert_eq!(c.call("POST", path, broken).await.0, 400);
        assert_eq!(c.call("POST", path, post(path, "").json(&good)).await.0, 401);

        // Reading back.
        assert_eq!(c.call("GET", "/api/v1/events", get("/api/v1/events?limit=2", &traffic)).await.0, 200);
        assert_eq!(c.call("GET", "/api/v1/events", get("/api/v1/events?limit=0", &traffic)).await.0, 400);
        assert_eq!(c.call("GET", "/api/v1/events", get("/api/v1/events", "")).await.0, 401);
        let (_, page) = c.call("GET", "/api/v1/events", get("/api/v1/events", &traffic)).await;
        let first = page["events"][0]["id"].as_str().map(String::from).unwrap_or(event_id);
        let one_path = "/api/v1/events/{id}";
        assert_eq!(c.call("GET", one_path, get(&format!("/api/v1/events/{first}"), &traffic)).await.0, 200);
        assert_eq!(c.call("GET", one_path, get(&format!("/api/v1/events/{first}"), &court)).await.0, 404);
        assert_eq!(c.call("GET", one_path, get(&format!("/api/v1/events/{first}"), "")).await.0, 401);

        // Imports: committed, refused whole, a bad mode, an element over the cap, not CSV or JSON.
        let csv = format!(
            "subject_id,scheme,rule_code,occurred_at,external_ref\n{},rongcheng,TRAFFIC-01,{},I-1\n",
            subjects[2],
            days_ago(1)
        );
        let import = |mode: &str, media: &str, body: String| {
            post(&format!("/api/v1/imports?mode={mode}"), &traffic)
                .header(header::CONTENT_TYPE, media)
                .body(body)
        };
        let (status, report) =
            c.call("POST", "/api/v1/imports", import("good_rows", "text/csv", csv.clone())).await;
        assert_eq!(status, 200, "{report}");
        let refused_csv = format!("{csv}{},rongcheng,TRAFFIC-01,soon,I-2\n", subjects[2]);
        let (status, body) =
            c.call("POST", "/api/v1/imports", import("all_or_nothing", "text/csv", refused_csv)).await;
        assert_eq!((status, body["committed"].as_bool()), (422, Some(false)), "{body}");
        let (status, body) =
            c.call("POST", "/api/v1/imports", import("sometimes", "text/csv", csv.clone())).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_input")), "{body}");
        let huge_json =
            format!("[{}, \"{}\"]", event(&subjects[2], "I-3", &days_ago(1)), "j".repeat(70 * 1024));
        let (status, body) =
            c.call("POST", "/api/v1/imports", import("all_or_nothing", "application/json", huge_json)).await;
        assert_eq!(
            (status, body["problems"][0]["code"].as_str()),
            (422, Some("element_too_large")),
            "{body}"
        );
        assert_eq!(body["problems"][0]["row"], 2, "{body}");
        assert_eq!(c.call("POST", "/api/v1/imports", import("good_rows", "text/plain", csv)).await.0, 415);
        assert_eq!(c.call("POST", "/api/v1/imports", post("/api/v1/imports", "").body("x")).await.0, 401);
        let status_path = "/api/v1/imports/{id}";
        let id = report["import_id"].as_str().unwrap();
        assert_eq!(c.call("GET", status_path, get(&format!("/api/v1/imports/{id}"), &traffic)).await.0, 200);
        assert_eq!(c.call("GET", status_path, get(&format!("/api/v1/imports/{id}"), &court)).await.0, 404);
        assert_eq!(c.call("GET", status_path, get(&format!("/api/v1/imports/{id}"), "")).await.0, 401);
        let list_path = "/api/v1/imports";
        let (status, listed) = c.call("GET", list_path, get("/api/v1/imports?limit=2", &traffic)).await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["imports"].as_array().map(Vec::len), Some(2), "{listed}");
        assert_eq!(c.call("GET", list_path, get("/api/v1/imports?limit=zero", &traffic)).await.0, 400);
        assert_eq!(c.call("GET", list_path, get("/api/v1/imports", "")).await.0, 401);

        // Blacklist entries.
        let path = "/api/v1/entries";
        let recorded = entry(&subjects[0], "(2026) Lu 1082 Zhi 1");
        let (status, body) = c.call("POST", path, post(path, &court).json(&recorded)).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(c.call("POST", path, post(path, &court).json(&recorded)).await.0, 200);
        let mut reused = entry(&subjects[1], "(2026) Lu 1082 Zhi 1");
        reused["reason"] = json!("Another reason entirely.");
        assert_eq!(c.call("POST", path, post(path, &court).json(&reused)).await.0, 409);
        let mut invalid = entry(&subjects[1], "(2026) Lu 1082 Zhi 2");
        invalid["effective_from"] = json!("never");
        assert_eq!(c.call("POST", path, post(path, &court).json(&invalid)).await.0, 422);
        assert_eq!(c.call("POST", path, post(path, "").json(&invalid)).await.0, 401);
        let (status, page) = c.call("GET", path, get(path, &court)).await;
        assert_eq!(status, 200);
        assert_eq!(c.call("GET", path, get("/api/v1/entries?limit=x", &court)).await.0, 400);
        assert_eq!(c.call("GET", path, get(path, "")).await.0, 401);
        let entry_id = page["entries"][0]["id"].as_str().unwrap();
        let one_path = "/api/v1/entries/{id}";
        assert_eq!(c.call("GET", one_path, get(&format!("/api/v1/entries/{entry_id}"), &court)).await.0, 200);
        assert_eq!(
            c.call("GET", one_path, get(&format!("/api/v1/entries/{entry_id}"), &traffic)).await.0,
            404
        );
        assert_eq!(c.call("GET", one_path, get(&format!("/api/v1/entries/{entry_id}"), "")).await.0, 401);

        // A relying party's calls: the demo railway, with a token made on its page.
        let railway: String =
            sqlx::query_scalar("SELECT id FROM relying_parties WHERE name = 'Rongcheng Railway Ticket Office'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let made = admin
            .post(app.url(&format!("/admin/relying-parties/{railway}/tokens")))
            .header(header::ORIGIN, &app.address)
            .form(&[("label", "contract")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let start = made.find("rpt_").expect("the secret is shown");
        let party = made[start..start + 68].to_string();
        let path = "/api/v1/checks";
        let asked = json!({"subject_id": subjects[0], "question": "restricted", "restriction": "flights"});
        let (status, body) = c.call("POST", path, post(path, &party).json(&asked)).await;
        assert_eq!(status, 200, "{body}");
        let not_allowed = json!({"subject_id": subjects[0], "question": "grade_at_least", "scheme": "rongcheng", "grade": "B"});
        assert_eq!(c.call("POST", path, post(path, &party).json(&not_allowed)).await.0, 403);
        assert_eq!(c.call("POST", path, post(path, &traffic).json(&asked)).await.0, 403);
        let nobody = json!({"subject_id": uuid::Uuid::now_v7().to_string(), "question": "restricted", "restriction": "flights"});
        assert_eq!(c.call("POST", path, post(path, &party).json(&nobody)).await.0, 404);
        let unknown = json!({"subject_id": subjects[0], "question": "restricted", "restriction": "boats"});
        assert_eq!(c.call("POST", path, post(path, &party).json(&unknown)).await.0, 422);
        assert_eq!(c.call("POST", path, post(path, "rpt_0").json(&asked)).await.0, 401);
        let path = "/api/v1/corrections";
        let (status, feed) = c.call("GET", path, get(path, &party)).await;
        assert_eq!(status, 200, "{feed}");
        assert_eq!(c.call("GET", path, get("/api/v1/corrections?limit=0", &party)).await.0, 400);
        assert_eq!(c.call("GET", path, get(path, "rpt_0")).await.0, 401);
        let correction = feed["corrections"][0]["id"].as_str().expect("the demo's correction").to_string();
        let ack = "/api/v1/corrections/{id}/ack";
        let (status, body) =
            c.call("POST", ack, post(&format!("/api/v1/corrections/{correction}/ack"), &party)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(c.call("POST", ack, post("/api/v1/corrections/x/ack", &party)).await.0, 404);
        assert_eq!(c.call("POST", ack, post("/api/v1/corrections/x/ack", "")).await.0, 401);

        c.all_covered();
    })
    .await;
}
