//! What a coordinator does to an order: confirm a manual payment, ship, mark delivered,
//! cancel (refunding a card payment at Stripe first). Each is one transaction with its audit
//! record and the emails the change calls for.
use chrono::Utc;
use entity::order;
use sea_orm::DatabaseConnection;

use super::OrderError;
use super::holds;
use super::place::PaymentMethod;
use super::state::{self, Actor, Change, OrderStatus, status_of};
use super::views::{AdminOrderDetail, detail, find};
use crate::config::Config;
use crate::error::FieldErrors;
use crate::notifications::{MailSettings, order_emails};
use crate::payments::{StripeGateway, records, refunds};
use crate::validate::{line_field, text_field};
use crate::{audit, db};

/// An admin action: one transaction for the change and its audit record.
async fn admin_change(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    action: &str,
    check: impl FnOnce(&order::Model) -> Result<(), OrderError>,
    change: Change,
) -> Result<AdminOrderDetail, OrderError> {
    let txn = db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    check(&current)?;
    let changed = state::transition(&txn, &current, change).await?;
    order_emails::on_transition(&txn, mail, &changed).await?;
    audit::record(&txn, admin_id, action, "order", id, &[]).await?;
    txn.commit().await?;
    detail(db, id).await
}

pub async fn confirm_payment(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    payment_reference: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let payment_reference = line_field(&mut errors, "reference", payment_reference, true, 200);
    errors.into_result()?;
    let change = Change::new(OrderStatus::Paid, Actor::Admin(admin_id.into()))
        .reason(format!("manual payment confirmed: {payment_reference}"))
        .set(order::Column::PaymentReference, payment_reference)
        .set(order::Column::PaidAt, Utc::now());
    admin_change(
        db,
        mail,
        admin_id,
        id,
        "order.confirm_payment",
        |o| {
            if o.payment_method != PaymentMethod::Manual.as_str() {
                return Err(OrderError::NotAllowed(
                    "card orders are marked paid by Stripe, not by hand".into(),
                ));
            }
            // Only Stripe may pay an expired order (money that arrived in the last second).
            let from = status_of(o);
            if from != OrderStatus::PendingPayment {
                return Err(OrderError::IllegalTransition {
                    from,
                    to: OrderStatus::Paid,
                });
            }
            Ok(())
        },
        change,
    )
    .await
}

pub async fn ship(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    carrier: &str,
    tracking_number: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let carrier = line_field(&mut errors, "carrier", carrier, true, 100);
    let tracking_number = line_field(&mut errors, "tracking_number", tracking_number, true, 100);
    errors.into_result()?;
    let change = Change::new(OrderStatus::Shipped, Actor::Admin(admin_id.into()))
        .set(order::Column::Carrier, carrier)
        .set(order::Column::TrackingNumber, tracking_number)
        .set(order::Column::ShippedAt, Utc::now());
    admin_change(db, mail, admin_id, id, "order.ship", |_| Ok(()), change).await
}

pub async fn deliver(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let change = Change::new(OrderStatus::Delivered, Actor::Admin(admin_id.into()))
        .set(order::Column::DeliveredAt, Utc::now());
    admin_change(db, mail, admin_id, id, "order.deliver", |_| Ok(()), change).await
}

/// Cancels a pending or paid order. A card payment that took money is refunded at Stripe
/// first (the order becomes `refunded` when Stripe confirms). The painting of a pending order
/// is always released; that of a paid order only when the admin asks.
pub async fn cancel(
    db: &DatabaseConnection,
    mail: &MailSettings,
    cards: Option<&StripeGateway>,
    admin_id: &str,
    id: &str,
    reason: Option<String>,
    release_artwork: Option<bool>,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let reason = reason.map(|r| text_field(&mut errors, "reason", &r, false, 1000));
    errors.into_result()?;
    let mut change = Change::new(OrderStatus::Cancelled, Actor::Admin(admin_id.into()));
    change.reason = reason.filter(|r| !r.is_empty());
    change.release_artwork = release_artwork.unwrap_or(false);

    let current = find(db, id).await?;
    let status = status_of(&current);
    if current.payment_method == PaymentMethod::Stripe.as_str()
        && let Some(payment) = records::captured(db, id).await?
    {
        // Money was taken: a paid order, or one paid too late (expired or cancelled).
        let change = match status {
            OrderStatus::Paid => Some(change),
            OrderStatus::Expired | OrderStatus::Cancelled => None,
            other => {
                return Err(OrderError::IllegalTransition {
                    from: other,
                    to: OrderStatus::Cancelled,
                });
            }
        };
        let gateway = cards.ok_or_else(|| {
            OrderError::NotAllowed(
                "card payments are not configured here; refund in the Stripe dashboard".into(),
            )
        })?;
        refunds::refund(db, mail, gateway, admin_id, &current, &payment, change).await?;
        return detail(db, id).await;
    }

    let detail = admin_change(db, mail, admin_id, id, "order.cancel", |_| Ok(()), change).await?;
    if status == OrderStatus::PendingPayment
        && let Some(gateway) = cards
    {
        // So the buyer cannot pay for a cancelled order; if this fails and they still pay,
        // the payment is flagged for a refund when Stripe reports it.
        for p in records::for_order(db, id).await? {
            if let (Some(session), "open" | "creating") = (&p.session_id, p.status.as_str())
                && let Err(err) = gateway.expire_session(session).await
            {
                tracing::warn!(order_id = %id, error = %err, "could not close the Stripe session");
            }
        }
    }
    Ok(detail)
}

/// A coordinator gives a manual order waiting for payment the full hold, as if the buyer had
/// confirmed their address.
pub async fn extend_hold(
    db: &DatabaseConnection,
    config: &Config,
    admin_id: &str,
    id: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let txn = db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    if current.payment_method != PaymentMethod::Manual.as_str()
        || status_of(&current) != OrderStatus::PendingPayment
    {
        return Err(OrderError::NotAllowed(
            "only a manual order waiting for payment has a hold to extend".into(),
        ));
    }
    let now = Utc::now();
    let until = now + chrono::Duration::days(i64::from(config.manual_reservation_days));
    if !holds::extend(&txn, id, until.max(current.expires_at), now).await? {
        return Err(OrderError::NotAllowed(
            "only a manual order waiting for payment has a hold to extend".into(),
        ));
    }
    audit::record(&txn, admin_id, "order.extend_hold", "order", id, &[]).await?;
    txn.commit().await?;
    detail(db, id).await
}

/// The coordinator's actions, by the name the console's urls use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    ConfirmPayment,
    ExtendHold,
    Ship,
    Deliver,
    Cancel,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Self::ConfirmPayment,
        Self::ExtendHold,
        Self::Ship,
        Self::Deliver,
        Self::Cancel,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Self::ConfirmPayment => "confirm-payment",
            Self::ExtendHold => "extend-hold",
            Self::Ship => "ship",
            Self::Deliver => "deliver",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// Whether the action applies to an order in `status` paid by `method`: what the console
    /// offers. The action itself checks again, inside its transaction.
    pub fn applies(self, status: OrderStatus, method: &str) -> bool {
        let manual = method == PaymentMethod::Manual.as_str();
        match self {
            Self::ConfirmPayment | Self::ExtendHold => {
                manual && status == OrderStatus::PendingPayment
            }
            Self::Ship => status == OrderStatus::Paid,
            Self::Deliver => status == OrderStatus::Shipped,
            Self::Cancel => matches!(status, OrderStatus::PendingPayment | OrderStatus::Paid),
        }
    }

    pub fn available(status: OrderStatus, method: &str) -> Vec<Action> {
        Self::ALL
            .into_iter()
            .filter(|a| a.applies(status, method))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_offers_only_its_own_actions() {
        use OrderStatus::*;
        assert_eq!(
            Action::available(PendingPayment, "manual"),
            [Action::ConfirmPayment, Action::ExtendHold, Action::Cancel]
        );
        assert_eq!(
            Action::available(PendingPayment, "stripe"),
            [Action::Cancel]
        );
        assert_eq!(
            Action::available(Paid, "stripe"),
            [Action::Ship, Action::Cancel]
        );
        assert_eq!(Action::available(Shipped, "manual"), [Action::Deliver]);
        for done in [Delivered, Expired, Cancelled, Refunded] {
            assert!(Action::available(done, "manual").is_empty(), "{done:?}");
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.slug()), Some(a));
        }
    }
}
