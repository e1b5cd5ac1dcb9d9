//! Giving a card payment back. Stripe is asked first, with an idempotency key per payment
//! attempt, so an admin who retries (or a crash between the two steps) refunds once; the
//! order moves to `refunded` only when Stripe's `charge.refunded` event confirms it.
use entity::{order, payment};
use sea_orm::DatabaseConnection;

use super::StripeGateway;
use super::records::{PaymentStatus, Update};
use crate::ledger::entries::Ledger;
use crate::notifications::{MailSettings, order_emails};
use crate::orders::OrderError;
use crate::orders::state::{self, Change};
use crate::{audit, db};

/// Refunds `p` in full and, when given, applies the order change (a paid order becoming
/// cancelled) in one transaction with the refund's record and the audit entry.
pub async fn refund(
    db: &DatabaseConnection,
    mail: &MailSettings,
    gateway: &StripeGateway,
    admin_id: &str,
    o: &order::Model,
    p: &payment::Model,
    change: Option<Change>,
) -> Result<(), OrderError> {
    let Some(intent) = p.payment_intent_id.as_deref() else {
        return Err(OrderError::NotAllowed(
            "this payment has no Stripe payment intent to refund".into(),
        ));
    };
    let refund_id = gateway.refund(&p.id, &o.id, intent).await?;
    let txn = db::begin_write(db).await?;
    if let Some(change) = change {
        let changed = state::transition(&txn, &Ledger, o, change).await?;
        order_emails::on_transition(&txn, mail, &changed).await?;
    }
    Update::new()
        .status(PaymentStatus::RefundPending)
        .set(payment::Column::RefundId, refund_id)
        .apply(&txn, p)
        .await?;
    audit::record(&txn, admin_id, "order.refund", "order", &o.id, &[]).await?;
    txn.commit().await?;
    Ok(())
}
