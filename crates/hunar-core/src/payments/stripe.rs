//! The one place that speaks to Stripe's API (through async-stripe).
use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
};
use stripe_core::charge::ListCharge;
use stripe_core::refund::CreateRefund;

use super::PaymentError;
use crate::config::StripeConfig;

/// What a Checkout Session needs to know about an order.
pub struct CheckoutRequest<'a> {
    pub order_id: &'a str,
    pub reference: &'a str,
    pub access_token: &'a str,
    pub title: &'a str,
    pub artist: &'a str,
    pub image_url: Option<String>,
    pub unit_amount: i64,
    pub currency: &'a str,
    pub buyer_email: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Stripe's fee for a charge, in the minor units of the currency it was settled in.
pub struct CardFee {
    pub minor: i64,
    pub currency: String,
    pub balance_transaction: String,
}

pub struct Session {
    pub id: String,
    pub url: String,
}

#[derive(Clone)]
pub struct StripeGateway {
    client: Client,
    config: StripeConfig,
}

fn provider(what: &str, err: impl std::fmt::Display) -> PaymentError {
    tracing::warn!(error = %err, "stripe {what} failed");
    PaymentError::Provider(format!("{what}: {err}"))
}

/// Stripe's own message can quote a parameter's value (a buyer's email, say), so only its
/// type, code, parameter name and request log link are kept.
fn stripe_failed(what: &str, err: stripe::StripeError) -> PaymentError {
    match err {
        stripe::StripeError::Stripe(api, status) => provider(
            what,
            format!(
                "HTTP {status}, type {}, code {}, param {}, log {}",
                api.type_.as_str(),
                api.code.as_ref().map_or("-", |c| c.as_str()),
                api.param.as_deref().unwrap_or("-"),
                api.request_log_url.as_deref().unwrap_or("-"),
            ),
        ),
        // A deserialisation message can quote a field of Stripe's answer (an email).
        stripe::StripeError::JSONDeserialize(_) => {
            provider(what, "Stripe's answer could not be read")
        }
        other => provider(what, other),
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, PaymentError> {
    let key = IdempotencyKey::new(key).map_err(|e| provider("idempotency key", e))?;
    Ok(RequestStrategy::Idempotent(key))
}

impl StripeGateway {
    pub fn new(config: &StripeConfig) -> Result<Self, PaymentError> {
        let client = ClientBuilder::new(config.secret_key.clone())
            .url(format!("{}/", config.api_base))
            .timeout(config.timeout)
            .build()
            .map_err(|e| provider("client set-up", e))?;
        Ok(Self {
            client,
            config: config.clone(),
        })
    }

    pub fn webhook_secrets(&self) -> &[String] {
        &self.config.webhook_secrets
    }

    fn return_url(template: &str, req: &CheckoutRequest<'_>) -> String {
        template
            .replace("{id}", req.order_id)
            .replace("{token}", req.access_token)
    }

    /// Creates the hosted payment page for one order. The idempotency key is the order's, so
    /// a retried call can never open a second session for it.
    pub async fn create_checkout(
        &self,
        req: &CheckoutRequest<'_>,
    ) -> Result<Session, PaymentError> {
        let currency = stripe_types::Currency::from_str(&req.currency.to_ascii_lowercase())
            .unwrap_or_else(|never| match never {});
        let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
        price.unit_amount = Some(req.unit_amount);
        let mut product = ProductData::new(format!("{} by {}", req.title, req.artist));
        product.images = req.image_url.clone().map(|url| vec![url]);
        price.product_data = Some(product);
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price_data = Some(price);
        item.quantity = Some(1);

        let metadata = HashMap::from([
            ("order_id".to_string(), req.order_id.to_string()),
            ("reference".to_string(), req.reference.to_string()),
        ]);
        let mut intent = CreateCheckoutSessionPaymentIntentData::new();
        intent.metadata = Some(metadata.clone());
        intent.description = Some(format!("Hunar {}", req.reference));

        let session = CreateCheckoutSession::new()
            .mode(stripe_shared::CheckoutSessionMode::Payment)
            .line_items(vec![item])
            .client_reference_id(req.order_id)
            .metadata(metadata)
            .payment_intent_data(intent)
            .customer_email(req.buyer_email)
            .expires_at(req.expires_at.timestamp())
            .success_url(Self::return_url(&self.config.success_url, req))
            .cancel_url(Self::return_url(&self.config.cancel_url, req))
            .customize()
            .request_strategy(idempotent(&format!("hunar-checkout-{}", req.order_id))?)
            .send(&self.client)
            .await
            .map_err(|e| stripe_failed("checkout session", e))?;
        let url = session
            .url
            .ok_or_else(|| provider("checkout session", "Stripe returned no url"))?;
        Ok(Session {
            id: session.id.as_str().to_string(),
            url,
        })
    }

    /// Closes an open session so the buyer can no longer pay for a cancelled order.
    pub async fn expire_session(&self, session_id: &str) -> Result<(), PaymentError> {
        ExpireCheckoutSession::new(session_id)
            .send(&self.client)
            .await
            .map_err(|e| stripe_failed("expire checkout session", e))?;
        Ok(())
    }

    /// Refunds a payment in full. Keyed by the payment attempt, so asking twice refunds once.
    pub async fn refund(
        &self,
        payment_id: &str,
        order_id: &str,
        payment_intent: &str,
    ) -> Result<String, PaymentError> {
        let refund = CreateRefund::new()
            .payment_intent(payment_intent)
            .metadata(HashMap::from([(
                "order_id".to_string(),
                order_id.to_string(),
            )]))
            .customize()
            .request_strategy(idempotent(&format!("hunar-refund-{payment_id}"))?)
            .send(&self.client)
            .await
            .map_err(|e| stripe_failed("refund", e))?;
        Ok(refund.id.as_str().to_string())
    }

    /// The fee of the payment's succeeded charge, from its balance transaction; None while
    /// Stripe has not made the balance transaction yet.
    pub async fn card_fee(&self, payment_intent: &str) -> Result<Option<CardFee>, PaymentError> {
        let charges = ListCharge::new()
            .payment_intent(payment_intent)
            .expand(vec!["data.balance_transaction".to_string()])
            .send(&self.client)
            .await
            .map_err(|e| stripe_failed("list charges", e))?;
        let Some(charge) = charges
            .data
            .into_iter()
            .find(|c| c.status == stripe_shared::ChargeStatus::Succeeded)
        else {
            return Ok(None);
        };
        let Some(stripe_types::Expandable::Object(bt)) = charge.balance_transaction else {
            return Ok(None);
        };
        let code = bt.currency.to_string().to_ascii_uppercase();
        let currency =
            crate::money::Currency::parse(&code).map_err(|e| provider("balance transaction", e))?;
        Ok(Some(CardFee {
            minor: super::amount::from_stripe(bt.fee, currency),
            currency: code,
            balance_transaction: bt.id.as_str().to_string(),
        }))
    }
}
