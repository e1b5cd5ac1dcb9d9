//! What a coordinator does to an order: confirm a manual payment, ship, mark delivered,
//! cancel (refunding a card payment at Stripe first). Each is one transaction with its audit
//! record and the emails the change calls for.
use chrono::Utc;
use entity::order;
use sea_orm::DatabaseConnection;

use super::OrderError;
use super::holds;
use super::place::PaymentMethod;
use super::state::{self, Actor, Change, OrderStatus, Reason, status_of};
use super::views::{AdminOrderDetail, detail, find};
use crate::config::Config;
use crate::error::FieldErrors;
use crate::ledger::entries::Ledger;
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
    let changed = state::transition(&txn, &Ledger, &current, change).await?;
    order_emails::on_transition(&txn, mail, &changed).await?;
    audit::record(&txn, admin_id, action, "order", id, &[]).await?;
    txn.commit().await?;
    detail(db, id).await
}

/// Records the money of a manual order. A transfer often arrives after the hold ended: the
/// order is then paid all the same while its painting is still free (it is sold to this
/// buyer). When it was sold to someone else meanwhile, the payment is kept on the order
/// (`late_payment_*`) and the answer says so: the coordinator refunds the buyer or gives
/// them another painting, and the order waits on Today until then.
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
    let change = |reason: Reason| {
        Change::new(OrderStatus::Paid, Actor::Admin(admin_id.into()))
            .reason(reason.about(&payment_reference))
            .set(order::Column::PaymentReference, payment_reference.clone())
            .set(order::Column::PaidAt, Utc::now())
    };
    let current = find(db, id).await?;
    let late = status_of(&current) == OrderStatus::Expired;
    let result = admin_change(
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
            if o.buyer_erased_at.is_some() {
                return Err(OrderError::NotAllowed(
                    "this order's buyer was erased, so the painting cannot be sent to them: pay the money back".into(),
                ));
            }
            let from = status_of(o);
            if !matches!(
                from,
                OrderStatus::PendingPayment
                    | OrderStatus::AwaitingConfirmation
                    | OrderStatus::Expired
            ) {
                return Err(OrderError::IllegalTransition {
                    from,
                    to: OrderStatus::Paid,
                });
            }
            Ok(())
        },
        if late {
            change(Reason::ManualPaidLate)
        } else {
            change(Reason::ManualPaid)
        },
    )
    .await;
    match result {
        Err(OrderError::ArtworkUnavailable(_)) if late => {
            record_late_payment(db, admin_id, id, &payment_reference).await?;
            Err(OrderError::PaintingSoldMeanwhile)
        }
        other => other,
    }
}

async fn record_late_payment(
    db: &DatabaseConnection,
    admin_id: &str,
    id: &str,
    payment_reference: &str,
) -> Result<(), OrderError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let txn = db::begin_write(db).await?;
    let now = Utc::now();
    order::Entity::update_many()
        .col_expr(
            order::Column::LatePaymentReference,
            Expr::value(payment_reference),
        )
        .col_expr(order::Column::LatePaymentAt, Expr::value(now))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Status.eq(OrderStatus::Expired.as_str()))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        admin_id,
        "order.late_payment",
        "order",
        id,
        &["late_payment_reference"],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A late payment on an order whose painting was sold meanwhile, given back: the order is
/// refunded (the money went back by the way the coordinator names).
pub async fn refund_late_payment(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    how: &str,
) -> Result<AdminOrderDetail, OrderError> {
    let mut errors = FieldErrors::new();
    let how = line_field(&mut errors, "reference", how, true, 200);
    errors.into_result()?;
    let change = Change::new(OrderStatus::Refunded, Actor::Admin(admin_id.into()))
        .reason(Reason::LatePaymentReturned.about(&how));
    admin_change(
        db,
        mail,
        admin_id,
        id,
        "order.refund_late_payment",
        |o| {
            if o.late_payment_at.is_none() || status_of(o) != OrderStatus::Expired {
                return Err(OrderError::NotAllowed(
                    "only an expired order with a payment recorded after its hold can be refunded this way".into(),
                ));
            }
            Ok(())
        },
        change,
    )
    .await
}

/// A late payment on an order whose painting was sold meanwhile, kept for another painting
/// the buyer chose: the order now names that painting (available, in the same currency) and
/// is paid, with its late payment's reference.
pub async fn give_another_painting(
    db: &DatabaseConnection,
    mail: &MailSettings,
    admin_id: &str,
    id: &str,
    artwork_id: &str,
) -> Result<AdminOrderDetail, OrderError> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let txn = db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    let Some(reference) = current
        .late_payment_reference
        .clone()
        .filter(|_| status_of(&current) == OrderStatus::Expired)
    else {
        return Err(OrderError::NotAllowed(
            "only an expired order with a payment recorded after its hold can take another painting".into(),
        ));
    };
    let artwork = entity::artwork::Entity::find_by_id(artwork_id.trim().to_string())
        .one(&txn)
        .await?
        .ok_or_else(|| {
            OrderError::Invalid(FieldErrors::single(
                "artwork_id",
                "no painting with this id",
            ))
        })?;
    if artwork.status != crate::catalog::ArtworkStatus::Available.as_str() {
        return Err(OrderError::Invalid(FieldErrors::single(
            "artwork_id",
            format!("this painting is {}, not for sale", artwork.status),
        )));
    }
    let artist = entity::artist::Entity::find_by_id(artwork.artist_id.clone())
        .one(&txn)
        .await?
        .ok_or(OrderError::NotFound("artist"))?;
    let mut swapped: order::ActiveModel = current.clone().into();
    swapped.artwork_id = Set(artwork.id.clone());
    swapped.artwork_title = Set(artwork.title.clone());
    swapped.artist_id = Set(artwork.artist_id.clone());
    swapped.artist_name = Set(artist.display_name.clone());
    swapped.tier_id = Set(artwork.size_tier_id.clone());
    if let Some(tier) = entity::size_tier::Entity::find_by_id(artwork.size_tier_id.clone())
        .one(&txn)
        .await?
    {
        swapped.tier_name = Set(tier.name);
    }
    let swapped = swapped.update(&txn).await?;
    let change = Change::new(OrderStatus::Paid, Actor::Admin(admin_id.into()))
        // The painting ordered, then the one the payment went to: an arrow reads in any
        // language, the reason's words are translated where it is shown.
        .reason(Reason::LatePaymentKept.about(&format!(
            "{reference}: \u{201c}{}\u{201d} \u{2192} \u{201c}{}\u{201d}",
            current.artwork_title, artwork.title
        )))
        .set(order::Column::PaymentReference, reference)
        .set(order::Column::PaidAt, Utc::now());
    let changed = state::transition(&txn, &Ledger, &swapped, change).await?;
    order_emails::on_transition(&txn, mail, &changed).await?;
    audit::record(
        &txn,
        admin_id,
        "order.another_painting",
        "order",
        id,
        &["artwork_id"],
    )
    .await?;
    txn.commit().await?;
    detail(db, id).await
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
    RefundLatePayment,
    AnotherPainting,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Self::ConfirmPayment,
        Self::ExtendHold,
        Self::Ship,
        Self::Deliver,
        Self::Cancel,
        Self::RefundLatePayment,
        Self::AnotherPainting,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Self::ConfirmPayment => "confirm-payment",
            Self::ExtendHold => "extend-hold",
            Self::Ship => "ship",
            Self::Deliver => "deliver",
            Self::Cancel => "cancel",
            Self::RefundLatePayment => "refund-late-payment",
            Self::AnotherPainting => "another-painting",
        }
    }

    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// Whether the action applies to an order in `status` paid by `method` (`late`: with a
    /// payment recorded after its hold ended): what the console offers. The action itself
    /// checks again, inside its transaction.
    pub fn applies(self, status: OrderStatus, method: &str, late: bool) -> bool {
        let manual = method == PaymentMethod::Manual.as_str();
        match self {
            // A transfer that arrives after the hold ended is recorded all the same; one for
            // an order still waiting for its buyer's confirmation sells the painting if it is
            // still free.
            Self::ConfirmPayment => {
                manual
                    && (matches!(
                        status,
                        OrderStatus::PendingPayment | OrderStatus::AwaitingConfirmation
                    ) || (status == OrderStatus::Expired && !late))
            }
            Self::ExtendHold => manual && status == OrderStatus::PendingPayment,
            Self::Ship => status == OrderStatus::Paid,
            Self::Deliver => status == OrderStatus::Shipped,
            Self::Cancel => matches!(
                status,
                OrderStatus::AwaitingConfirmation | OrderStatus::PendingPayment | OrderStatus::Paid
            ),
            Self::RefundLatePayment | Self::AnotherPainting => {
                late && status == OrderStatus::Expired
            }
        }
    }

    pub fn available(status: OrderStatus, method: &str, late: bool) -> Vec<Action> {
        Self::ALL
            .into_iter()
            .filter(|a| a.applies(status, method, late))
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
            Action::available(PendingPayment, "manual", false),
            [Action::ConfirmPayment, Action::ExtendHold, Action::Cancel]
        );
        assert_eq!(
            Action::available(AwaitingConfirmation, "manual", false),
            [Action::ConfirmPayment, Action::Cancel]
        );
        assert_eq!(
            Action::available(PendingPayment, "stripe", false),
            [Action::Cancel]
        );
        assert_eq!(
            Action::available(Paid, "stripe", false),
            [Action::Ship, Action::Cancel]
        );
        assert_eq!(
            Action::available(Shipped, "manual", false),
            [Action::Deliver]
        );
        // Money that came after the hold: recorded; then refunded or kept for another one.
        assert_eq!(
            Action::available(Expired, "manual", false),
            [Action::ConfirmPayment]
        );
        assert_eq!(
            Action::available(Expired, "manual", true),
            [Action::RefundLatePayment, Action::AnotherPainting]
        );
        assert!(Action::available(Expired, "stripe", false).is_empty());
        for done in [Delivered, Cancelled, Refunded] {
            assert!(
                Action::available(done, "manual", false).is_empty(),
                "{done:?}"
            );
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.slug()), Some(a));
        }
    }
}
