//! A stand-in for api.stripe.com (wiremock) answering with Stripe's own fixture shapes, and
//! webhook events signed the way Stripe signs them.
use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::{TestApp, builder};

pub const SECRET_KEY: &str = "sk_test_hunar";
pub const WEBHOOK_SECRET: &str = "whsec_test_current";
pub const OLD_WEBHOOK_SECRET: &str = "whsec_test_previous";

pub fn fixture(name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/stripe/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("json")
}

pub fn form(req: &Request) -> HashMap<String, String> {
    form_urlencoded::parse(&req.body).into_owned().collect()
}

pub fn session_id_for(order_id: &str) -> String {
    format!("cs_test_{}", order_id.replace('-', ""))
}

pub fn intent_id_for(order_id: &str) -> String {
    format!("pi_test_{}", order_id.replace('-', ""))
}

/// A Checkout Session as Stripe returns it for the form it was sent.
struct SessionResponder;

impl Respond for SessionResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let f = form(req);
        let order_id = f.get("client_reference_id").cloned().unwrap_or_default();
        let mut s = fixture("checkout_session");
        let id = session_id_for(&order_id);
        s["url"] = json!(format!("https://checkout.stripe.com/c/pay/{id}"));
        s["id"] = json!(id);
        s["client_reference_id"] = json!(order_id);
        s["metadata"] = json!({"order_id": order_id});
        s["amount_total"] = json!(
            f.get("line_items[0][price_data][unit_amount]")
                .and_then(|a| a.parse::<i64>().ok())
        );
        s["currency"] = json!(f.get("line_items[0][price_data][currency]"));
        s["customer_email"] = json!(f.get("customer_email"));
        s["mode"] = json!("payment");
        s["payment_status"] = json!("unpaid");
        s["status"] = json!("open");
        ResponseTemplate::new(200).set_body_json(s)
    }
}

struct RefundResponder;

impl Respond for RefundResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let f = form(req);
        let pi = f.get("payment_intent").cloned().unwrap_or_default();
        let mut r = fixture("refund");
        r["id"] = json!(format!("re_test_{}", pi.trim_start_matches("pi_test_")));
        r["payment_intent"] = json!(pi);
        r["status"] = json!("pending");
        ResponseTemplate::new(200).set_body_json(r)
    }
}

pub struct StripeMock {
    pub server: MockServer,
}

impl StripeMock {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/checkout/sessions"))
            .respond_with(SessionResponder)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/v1/checkout/sessions/[^/]+/expire$"))
            .respond_with(|req: &Request| {
                let id = req
                    .url
                    .path()
                    .split('/')
                    .nth(4)
                    .unwrap_or_default()
                    .to_string();
                let mut s = fixture("checkout_session");
                s["id"] = json!(id);
                s["status"] = json!("expired");
                ResponseTemplate::new(200).set_body_json(s)
            })
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/refunds"))
            .respond_with(RefundResponder)
            .mount(&server)
            .await;
        Self { server }
    }

    /// The next `times` session requests fail with this answer.
    pub async fn fail_sessions(&self, response: ResponseTemplate, times: u64) {
        Mock::given(method("POST"))
            .and(path("/v1/checkout/sessions"))
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// The next `times` refund requests fail with this answer.
    pub async fn fail_refunds(&self, response: ResponseTemplate, times: u64) {
        Mock::given(method("POST"))
            .and(path("/v1/refunds"))
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// `GET /v1/charges?payment_intent=…` answers with the intent's succeeded charge, its
    /// balance transaction expanded with `fee` minor units of `currency` (lower case, as
    /// Stripe writes it).
    pub async fn charges_with_fee(&self, fee: i64, currency: &str) {
        let currency = currency.to_string();
        Mock::given(method("GET"))
            .and(path("/v1/charges"))
            .respond_with(move |req: &Request| {
                let query: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
                let pi = query.get("payment_intent").cloned().unwrap_or_default();
                let mut bt = fixture("balance_transaction");
                bt["id"] = json!(format!("txn_test_{}", pi.trim_start_matches("pi_test_")));
                bt["type"] = json!("charge");
                // The API reference's example predates `balance_type`; Stripe sends it now.
                bt["balance_type"] = json!("payments");
                bt["reporting_category"] = json!("charge");
                bt["amount"] = json!(5000);
                bt["fee"] = json!(fee);
                bt["net"] = json!(5000 - fee);
                bt["currency"] = json!(currency);
                bt["fee_details"] = json!([{"amount": fee, "application": null,
                    "currency": currency, "description": "Stripe processing fees",
                    "type": "stripe_fee"}]);
                let mut charge = fixture("charge");
                charge["id"] = json!(format!("ch_test_{}", pi.trim_start_matches("pi_test_")));
                charge["payment_intent"] = json!(pi);
                charge["status"] = json!("succeeded");
                charge["balance_transaction"] = bt;
                ResponseTemplate::new(200).set_body_json(json!({
                    "object": "list", "url": "/v1/charges", "has_more": false,
                    "data": [charge],
                }))
            })
            .mount(&self.server)
            .await;
    }

    /// The next `times` charge lookups fail with this answer.
    pub async fn fail_charges(&self, response: ResponseTemplate, times: u64) {
        Mock::given(method("GET"))
            .and(path("/v1/charges"))
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    pub async fn requests_to(&self, to: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == to)
            .collect()
    }

    pub fn app(&self) -> crate::helpers::TestAppBuilder {
        builder()
            .env("STRIPE_SECRET_KEY", SECRET_KEY)
            .env(
                "STRIPE_WEBHOOK_SECRET",
                &format!("{WEBHOOK_SECRET},{OLD_WEBHOOK_SECRET}"),
            )
            .env("STRIPE_API_BASE", &self.server.uri())
            .env("STRIPE_TIMEOUT_MS", "3000")
            .env("COORDINATOR_EMAIL", "coordinator@hunar.example")
    }
}

pub fn stripe_error(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {"type": "api_error", "message": "An unknown error occurred"}
    }))
}

pub fn slow(after: Duration) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_delay(after)
        .set_body_json(fixture("checkout_session"))
}

/// `Stripe-Signature` for `payload`, as Stripe computes it: HMAC-SHA256 of "t.payload".
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    format!("t={timestamp},v1={}", v1(payload, secret, timestamp))
}

pub fn v1(payload: &str, secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An event envelope (Stripe's fixture) around `object`; returns (event id, JSON).
pub fn event(kind: &str, object: Value) -> (String, String) {
    let id = format!("evt_test_{}", uuid::Uuid::new_v4().simple());
    let mut e = fixture("event");
    e["id"] = json!(id);
    e["type"] = json!(kind);
    e["created"] = json!(now());
    e["data"] = json!({ "object": object });
    (id, e.to_string())
}

/// The session of `order_id` in the state Stripe reports at its end.
pub fn session(order_id: &str, amount: i64, currency: &str, payment_status: &str) -> Value {
    let mut s = fixture("checkout_session");
    s["id"] = json!(session_id_for(order_id));
    s["client_reference_id"] = json!(order_id);
    s["metadata"] = json!({"order_id": order_id});
    s["amount_total"] = json!(amount);
    s["amount_subtotal"] = json!(amount);
    s["currency"] = json!(currency);
    s["mode"] = json!("payment");
    s["payment_status"] = json!(payment_status);
    s["status"] = json!(if payment_status == "paid" {
        "complete"
    } else {
        "open"
    });
    s["payment_intent"] = json!(intent_id_for(order_id));
    s
}

pub fn refunded_charge(order_id: &str, amount: i64, refunded: i64) -> Value {
    let mut c = fixture("charge");
    c["id"] = json!(format!("ch_test_{}", order_id.replace('-', "")));
    c["payment_intent"] = json!(intent_id_for(order_id));
    c["amount"] = json!(amount);
    c["amount_captured"] = json!(amount);
    c["amount_refunded"] = json!(refunded);
    c["refunded"] = json!(refunded >= amount);
    c["currency"] = json!("usd");
    c
}

impl TestApp {
    pub async fn webhook(&self, payload: &str, signature: Option<&str>) -> crate::helpers::Reply {
        let mut req = self
            .client
            .post(self.url("/api/v1/webhooks/stripe"))
            .header("content-type", "application/json")
            .body(payload.to_string());
        if let Some(signature) = signature {
            req = req.header("Stripe-Signature", signature);
        }
        crate::helpers::Reply::read(req.send().await.expect("send")).await
    }

    /// Delivers a correctly signed event.
    pub async fn deliver(&self, payload: &str) -> crate::helpers::Reply {
        self.webhook(payload, Some(&sign(payload, WEBHOOK_SECRET, now())))
            .await
    }
}
