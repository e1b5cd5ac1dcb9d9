//! Stripe's signed events, turned into order changes. Each event id is recorded in the same
//! transaction as what it changed, so a replayed or concurrent duplicate changes nothing;
//! events may come in any order and never move an order backwards.
use chrono::Utc;
use entity::{order, payment, stripe_event};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use stripe_shared::{Charge, CheckoutSession, CheckoutSessionPaymentStatus};
use stripe_webhook::{Event, EventObject, Webhook, WebhookError};

use super::amount;
use super::records::{self, PaymentStatus, Update};
use crate::db;
use crate::error::DomainError;
use crate::ledger::entries::Ledger;
use crate::money::Currency;
use crate::notifications::{MailSettings, order_emails};
use crate::orders::OrderError;
use crate::orders::state::{self, Actor, Change, OrderStatus, Reason, status_of};

/// Checks `Stripe-Signature` against every configured secret (several during a rotation):
/// any `v1` signature made with any of them, at most 300 s old, passes.
pub fn verify(
    payload: &str,
    signature: Option<&str>,
    secrets: &[String],
) -> Result<Event, DomainError> {
    let signature = signature.ok_or_else(|| {
        DomainError::InvalidWebhook("the Stripe-Signature header is missing".into())
    })?;
    let mut stale = false;
    for secret in secrets {
        match Webhook::construct_event(payload, signature, secret) {
            Ok(event) => return Ok(event),
            Err(WebhookError::BadSignature | WebhookError::BadKey) => {}
            Err(WebhookError::BadTimestamp(_)) => stale = true,
            Err(WebhookError::BadHeader(_)) => {
                return Err(DomainError::InvalidWebhook(
                    "the Stripe-Signature header is malformed".into(),
                ));
            }
            Err(err) => {
                // Signed by Stripe but not readable as an event we know: say so, so that
                // Stripe retries and the dashboard shows it.
                tracing::warn!(error = %err, "signed Stripe event could not be read");
                return Err(DomainError::InvalidWebhook(
                    "the event could not be read".into(),
                ));
            }
        }
    }
    Err(DomainError::InvalidWebhook(if stale {
        "the signature timestamp is outside the 300 s tolerance".into()
    } else {
        "no signature matches".into()
    }))
}

/// What happened with an event, kept with its id and logged.
pub struct Outcome {
    pub order_id: Option<String>,
    pub note: String,
    /// A painting changed status (the public catalog cache must be cleared).
    pub catalog_changed: bool,
}

impl Outcome {
    fn ignored(why: &str) -> Self {
        Self {
            order_id: None,
            note: format!("ignored: {why}"),
            catalog_changed: false,
        }
    }

    fn on(o: &order::Model, note: impl Into<String>, catalog_changed: bool) -> Self {
        Self {
            order_id: Some(o.id.clone()),
            note: note.into(),
            catalog_changed,
        }
    }
}

pub enum Receipt {
    Handled(Outcome),
    Duplicate,
}

/// Handles one verified event exactly once.
pub async fn handle(
    db: &DatabaseConnection,
    mail: &MailSettings,
    event: &Event,
) -> Result<Receipt, OrderError> {
    let event_id = event.id.as_str().to_string();
    let txn = db::begin_write(db).await?;
    // The claim: a duplicate (a replay, or the same event arriving twice at once) stops here;
    // a concurrent twin waits on the primary key until this transaction ends.
    let claimed = stripe_event::Entity::insert(stripe_event::ActiveModel {
        id: Set(event_id.clone()),
        kind: Set(event.type_.as_str().to_string()),
        order_id: Set(None),
        outcome: Set(String::new()),
        received_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(stripe_event::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if claimed == 0 {
        txn.rollback().await?;
        return Ok(Receipt::Duplicate);
    }
    let outcome = match &event.data.object {
        EventObject::CheckoutSessionCompleted(s) => {
            session_completed(&txn, mail, &event_id, s, false).await?
        }
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => {
            session_completed(&txn, mail, &event_id, s, true).await?
        }
        EventObject::CheckoutSessionAsyncPaymentFailed(s) => {
            session_closed(&txn, mail, &event_id, s, PaymentStatus::Failed).await?
        }
        EventObject::CheckoutSessionExpired(s) => {
            session_closed(&txn, mail, &event_id, s, PaymentStatus::Expired).await?
        }
        EventObject::ChargeRefunded(c) => charge_refunded(&txn, mail, &event_id, c).await?,
        _ => Outcome::ignored("event type not used by Hunar"),
    };
    stripe_event::Entity::update_many()
        .col_expr(
            stripe_event::Column::OrderId,
            sea_orm::sea_query::Expr::value(outcome.order_id.clone()),
        )
        .col_expr(
            stripe_event::Column::Outcome,
            sea_orm::sea_query::Expr::value(outcome.note.clone()),
        )
        .filter(stripe_event::Column::Id.eq(event_id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Receipt::Handled(outcome))
}

async fn find_order(
    conn: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<order::Model>, OrderError> {
    Ok(order::Entity::find_by_id(id.to_string()).one(conn).await?)
}

/// The order and payment attempt a session belongs to: by session id, or (if the session id
/// was never stored, say the process stopped right after Stripe answered) by the order id
/// Hunar put in `client_reference_id` and the metadata.
async fn attempt_for(
    conn: &impl ConnectionTrait,
    s: &CheckoutSession,
) -> Result<Option<(order::Model, payment::Model)>, OrderError> {
    if let Some(p) = records::by_session(conn, s.id.as_str()).await? {
        return Ok(find_order(conn, &p.order_id).await?.map(|o| (o, p)));
    }
    let order_id = s
        .client_reference_id
        .clone()
        .or_else(|| s.metadata.as_ref().and_then(|m| m.get("order_id").cloned()));
    let Some(order_id) = order_id else {
        return Ok(None);
    };
    let Some(o) = find_order(conn, &order_id).await? else {
        return Ok(None);
    };
    let unlinked = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(o.id.as_str()))
        .filter(payment::Column::SessionId.is_null())
        .order_by_desc(payment::Column::CreatedAt)
        .one(conn)
        .await?;
    let Some(p) = unlinked else {
        return Ok(None);
    };
    Update::new()
        .set(payment::Column::SessionId, s.id.as_str().to_string())
        .apply(conn, &p)
        .await?;
    Ok(Some((o, p)))
}

fn intent_id(s: &CheckoutSession) -> Option<String> {
    s.payment_intent
        .as_ref()
        .map(|pi| pi.id().as_str().to_string())
}

/// The amount and currency Stripe reports must be the order's, to the minor unit.
fn amount_mismatch(o: &order::Model, s: &CheckoutSession) -> Option<String> {
    let currency = Currency::parse(&o.currency).ok()?;
    let reported_currency = s
        .currency
        .as_ref()
        .map(|c| c.to_string().to_ascii_uppercase())
        .unwrap_or_default();
    let reported = s.amount_total.map(|a| amount::from_stripe(a, currency));
    if reported_currency == o.currency && reported == Some(o.amount_minor) {
        return None;
    }
    Some(format!(
        "amount mismatch: Stripe reported {} {} (minor units), the order is {} {}",
        s.amount_total
            .map_or_else(|| "none".to_string(), |a| a.to_string()),
        if reported_currency.is_empty() {
            "?"
        } else {
            &reported_currency
        },
        o.amount_minor,
        o.currency
    ))
}

/// `checkout.session.completed` (paid at once, or later for bank debits) and
/// `async_payment_succeeded` (`confirmed`: the later money arrived).
async fn session_completed(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    event_id: &str,
    s: &CheckoutSession,
    confirmed: bool,
) -> Result<Outcome, OrderError> {
    let Some((o, p)) = attempt_for(conn, s).await? else {
        return Ok(Outcome::ignored("not a Hunar checkout session"));
    };
    let mut update = Update::new().event(event_id);
    if let Some(pi) = intent_id(s) {
        update = update.set(payment::Column::PaymentIntentId, pi);
    }
    if let Some(why) = amount_mismatch(&o, s) {
        tracing::warn!(order_id = %o.id, "{why}");
        update.flag(why.clone()).apply(conn, &p).await?;
        return Ok(Outcome::on(&o, format!("flagged: {why}"), false));
    }
    if confirmed || s.payment_status == CheckoutSessionPaymentStatus::Paid {
        update.apply(conn, &p).await?;
        return mark_paid(conn, mail, event_id, &o, &p, intent_id(s)).await;
    }
    // A bank debit or similar: the money confirms later (async_payment_succeeded).
    update
        .status(PaymentStatus::Processing)
        .apply(conn, &p)
        .await?;
    Ok(Outcome::on(&o, "payment processing", false))
}

/// The money arrived. Normally the pending order becomes paid; if the reservation had already
/// run out, it is paid only if the painting is still free, and otherwise flagged for a refund.
async fn mark_paid(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    event_id: &str,
    o: &order::Model,
    p: &payment::Model,
    intent: Option<String>,
) -> Result<Outcome, OrderError> {
    let paid = |reason: Reason| {
        let change = Change::new(OrderStatus::Paid, Actor::Stripe(event_id.into()))
            .reason(reason)
            .set(order::Column::PaidAt, Utc::now());
        match &intent {
            Some(pi) => change.set(order::Column::PaymentReference, pi.clone()),
            None => change,
        }
    };
    let payment_paid = Update::new().status(PaymentStatus::Paid);
    let current = status_of(o);
    let flagged = |why: String| async move {
        tracing::warn!(order_id = %o.id, "{why}");
        Update::new()
            .status(PaymentStatus::Paid)
            .flag(why.clone())
            .apply(conn, p)
            .await?;
        Ok::<_, OrderError>(Outcome::on(o, format!("flagged: {why}"), false))
    };
    match current {
        OrderStatus::PendingPayment => {
            let changed = state::transition(conn, &Ledger, o, paid(Reason::CardPaid)).await?;
            order_emails::on_transition(conn, mail, &changed).await?;
            payment_paid.apply(conn, p).await?;
            crate::ledger::fees::expect(conn, &p.id, &o.id).await?;
            Ok(Outcome::on(o, "paid", true))
        }
        // Nobody to send the painting to: the money goes back.
        OrderStatus::Expired if o.buyer_erased_at.is_some() => {
            flagged(
                "paid after the reservation expired and the buyer's details were erased: refund the buyer"
                    .into(),
            )
            .await
        }
        OrderStatus::Expired => {
            let change = paid(Reason::CardPaidLate);
            match state::transition(conn, &Ledger, o, change).await {
                Ok(changed) => {
                    order_emails::on_transition(conn, mail, &changed).await?;
                    payment_paid.apply(conn, p).await?;
                    crate::ledger::fees::expect(conn, &p.id, &o.id).await?;
                    Ok(Outcome::on(o, "paid after expiry", true))
                }
                Err(OrderError::ArtworkUnavailable(now)) => {
                    flagged(format!(
                        "paid after the reservation expired, but the painting is now {now}: refund the buyer"
                    ))
                    .await
                }
                Err(e) => Err(e),
            }
        }
        OrderStatus::Cancelled => {
            flagged("paid after the order was cancelled: refund the buyer".into()).await
        }
        // Paid already (a second event for the same money), or further along: nothing moves.
        _ => {
            payment_paid.apply(conn, p).await?;
            Ok(Outcome::on(o, format!("already {current}"), false))
        }
    }
}

/// The session ended without money (expired, or a bank debit failed): a still-pending order
/// expires and its painting is free again. A paid order is never moved back.
async fn session_closed(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    event_id: &str,
    s: &CheckoutSession,
    status: PaymentStatus,
) -> Result<Outcome, OrderError> {
    let Some((o, p)) = attempt_for(conn, s).await? else {
        return Ok(Outcome::ignored("not a Hunar checkout session"));
    };
    let current = status_of(&o);
    if current != OrderStatus::PendingPayment {
        Update::new().event(event_id).apply(conn, &p).await?;
        return Ok(Outcome::on(
            &o,
            format!("no change: order is {current}"),
            false,
        ));
    }
    let reason = match status {
        PaymentStatus::Failed => Reason::CardFailed,
        _ => Reason::CheckoutExpired,
    };
    let change = Change::new(OrderStatus::Expired, Actor::Stripe(event_id.into())).reason(reason);
    let changed = state::transition(conn, &Ledger, &o, change).await?;
    order_emails::on_transition(conn, mail, &changed).await?;
    Update::new()
        .event(event_id)
        .status(status)
        .apply(conn, &p)
        .await?;
    Ok(Outcome::on(&o, "expired", true))
}

/// A refund went through (asked for by an admin here, or made in the Stripe dashboard).
/// The painting does not move: an admin cancel already put it back on sale if asked to.
async fn charge_refunded(
    conn: &impl ConnectionTrait,
    mail: &MailSettings,
    event_id: &str,
    c: &Charge,
) -> Result<Outcome, OrderError> {
    let Some(pi) = c
        .payment_intent
        .as_ref()
        .map(|pi| pi.id().as_str().to_string())
    else {
        return Ok(Outcome::ignored("charge without a payment intent"));
    };
    let Some(p) = records::by_payment_intent(conn, &pi).await? else {
        return Ok(Outcome::ignored("not a Hunar payment"));
    };
    let Some(o) = find_order(conn, &p.order_id).await? else {
        return Ok(Outcome::ignored("order gone"));
    };
    let refunded = Currency::parse(&p.currency)
        .map(|cur| amount::from_stripe(c.amount_refunded, cur))
        .unwrap_or(c.amount_refunded);
    let update = Update::new()
        .event(event_id)
        .set(payment::Column::AmountRefundedMinor, refunded);
    if !c.refunded {
        update
            .flag(format!(
                "partly refunded: {refunded} of {} minor units",
                p.amount_minor
            ))
            .apply(conn, &p)
            .await?;
        return Ok(Outcome::on(&o, "partial refund recorded", false));
    }
    update
        .status(PaymentStatus::Refunded)
        .apply(conn, &p)
        .await?;
    let current = status_of(&o);
    if !current.can_become(OrderStatus::Refunded) {
        return Ok(Outcome::on(
            &o,
            format!("refund recorded; order stays {current}"),
            false,
        ));
    }
    let change = Change::new(OrderStatus::Refunded, Actor::Stripe(event_id.into()))
        .reason(Reason::RefundConfirmed);
    let changed = state::transition(conn, &Ledger, &o, change).await?;
    order_emails::on_transition(conn, mail, &changed).await?;
    Ok(Outcome::on(&o, "refunded", false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever arrives as `Stripe-Signature` (garbage, near-misses of `t=…,v1=…`), an
        /// unsigned payload is refused as an invalid webhook: no panic, nothing handled.
        #[test]
        fn no_header_passes_without_the_secret(
            header in prop_oneof![
                any::<String>(),
                "(t=[0-9]{0,12}|v1=[0-9a-f]{0,64}|v0=[a-z]{0,4}|[a-z=,]{0,6})(,(t=[0-9]{0,12}|v1=[0-9a-f]{0,64})){0,3}",
            ],
            payload in prop_oneof![Just(String::from("{}")), any::<String>()],
        ) {
            let secrets = vec!["whsec_test_secret".to_string()];
            let refused = verify(&payload, Some(&header), &secrets);
            prop_assert!(matches!(refused, Err(DomainError::InvalidWebhook(_))));
        }
    }
}
