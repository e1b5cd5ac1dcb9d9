//! Holds a script cannot exhaust. An order waiting for payment holds its painting; one client,
//! and one buyer address, may hold only a few at once. Each open order takes a numbered slot
//! (1..=cap) for its client and for its buyer address, and a unique index over the open orders
//! refuses a second order in the same slot, so the caps hold across every process on one
//! database without a counter to keep in step: an order leaves the index, and frees its slot,
//! the moment it is paid, expires or is cancelled.
//!
//! A manual-payment hold starts short and becomes the full one when the buyer follows the
//! confirmation link in that order's first email, or when a coordinator extends it. Each
//! order is confirmed on its own: naming an address that confirmed before gets a script no
//! long hold. A confirmed address is remembered, so its later emails are not capped.
use chrono::{DateTime, Utc};
use entity::{email_confirmation, order, outbox};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict, Query, UnionType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::OrderError;
use super::reference::reference;
use super::state::{self, Actor, Change, Reason, status_of};
use super::status::OrderStatus;
use super::views::manual_instructions;
use crate::auth::token;
use crate::client::Client;
use crate::config::{Config, Limits};
use crate::db;
use crate::ledger::entries::Ledger;
use crate::notifications::{MailSettings, order_emails};
use crate::vault::Open;

/// Who is placing an order, as the caps count them: never the address itself, a keyed hash
/// of the client's address (of its /64 for IPv6), and the buyer's email address.
pub struct Holder {
    pub client_key: String,
    /// The address's keyed hash new orders are written with.
    pub email_key: String,
    /// While a key rotation runs: the hash its older orders may still be under, counted too.
    pub email_key_before: Option<String>,
}

impl Holder {
    pub fn new(mail: &MailSettings, client: Client, buyer_email: &str) -> Self {
        Self::with_email(
            mail.tokens.token(&format!("client:{}", client.key())),
            mail,
            buyer_email,
        )
    }

    fn with_email(client_key: String, mail: &MailSettings, buyer_email: &str) -> Self {
        let mut hashes = mail.vault.email_hashes(buyer_email).into_iter();
        Self {
            client_key,
            email_key: hashes.next().unwrap_or_default(),
            email_key_before: hashes.next(),
        }
    }

    fn is_email(&self, key: &str) -> bool {
        key == self.email_key || self.email_key_before.as_deref() == Some(key)
    }
}

/// The open orders of one holder, read before placing an order: those holding a painting
/// (of its client, of its buyer address), and its client's orders waiting for a buyer's
/// confirmation.
pub struct OpenHolds {
    client: Vec<(i32, DateTime<Utc>)>,
    email: Vec<(i32, DateTime<Utc>)>,
    waiting: Vec<(i32, DateTime<Utc>)>,
}

/// The slots a new order takes: one of its client's holds, or (its holds used up) one of
/// its client's waiting places; and one of its buyer address's holds, taken when the order
/// holds the painting.
#[derive(Debug, Clone, Copy)]
pub enum Slots {
    Hold { client: i32, email: i32 },
    Waiting { client: i32 },
}

/// The holder's open orders: those of its client (holding or waiting), then those of its
/// buyer address, each read through an index that leads with the holder (see migration 14),
/// so the cost does not grow with the shop's other open orders.
///
/// SQLite is told which index (`INDEXED BY`): with no statistics its estimates for
/// `(email_key, status)` and `(status, created_at)` differ by one row in ten, and it has been
/// seen to read every open order through the status index; `INDEXED BY` makes the plan the
/// same whatever `ANALYZE` has or has not written (and fails the statement, rather than
/// scanning, if the index were ever dropped). PostgreSQL has no such hint and needs none:
/// its generic plan picks the holder's index from the column statistics a shop of many
/// buyers has (`picking_a_hold_slot_reads_only_the_holders_own_orders`).
pub fn open_holds_statement(backend: DbBackend, holder: &Holder) -> Statement {
    let pending = OrderStatus::PendingPayment.as_str();
    let waiting = OrderStatus::AwaitingConfirmation.as_str();
    if backend == DbBackend::Sqlite {
        let mut sql = "SELECT client_key, client_slot, expires_at, status FROM orders \
             INDEXED BY orders_client_open WHERE client_key = ? AND status = ? \
             UNION ALL \
             SELECT client_key, client_slot, expires_at, status FROM orders \
             INDEXED BY orders_client_open WHERE client_key = ? AND status = ? \
             UNION ALL \
             SELECT email_key, email_slot, expires_at, status FROM orders \
             INDEXED BY orders_email_open WHERE email_key = ? AND status = ?"
            .to_string();
        let mut values: Vec<sea_orm::Value> = vec![
            holder.client_key.as_str().into(),
            pending.into(),
            holder.client_key.as_str().into(),
            waiting.into(),
            holder.email_key.as_str().into(),
            pending.into(),
        ];
        if let Some(before) = &holder.email_key_before {
            sql.push_str(
                " UNION ALL SELECT email_key, email_slot, expires_at, status FROM orders \
                 INDEXED BY orders_email_open WHERE email_key = ? AND status = ?",
            );
            values.extend([before.as_str().into(), pending.into()]);
        }
        return Statement::from_sql_and_values(backend, sql, values);
    }
    let of = |key: order::Column, slot: order::Column, value: &str, status: &str| {
        let mut query = Query::select();
        query
            .expr(Expr::col(key))
            .expr(Expr::col(slot))
            .column(order::Column::ExpiresAt)
            .column(order::Column::Status)
            .from(order::Entity)
            .and_where(Expr::col(key).eq(value))
            .and_where(Expr::col(order::Column::Status).eq(status));
        query
    };
    let client = |status| {
        of(
            order::Column::ClientKey,
            order::Column::ClientSlot,
            &holder.client_key,
            status,
        )
    };
    let mut query = client(pending);
    query.union(UnionType::All, client(waiting));
    for email_key in std::iter::once(&holder.email_key).chain(&holder.email_key_before) {
        query.union(
            UnionType::All,
            of(
                order::Column::EmailKey,
                order::Column::EmailSlot,
                email_key,
                pending,
            ),
        );
    }
    backend.build(&query)
}

pub async fn read(db: &impl ConnectionTrait, holder: &Holder) -> Result<OpenHolds, DbErr> {
    let open = db
        .query_all_raw(open_holds_statement(db.get_database_backend(), holder))
        .await?;
    let mut holds = OpenHolds {
        client: Vec::new(),
        email: Vec::new(),
        waiting: Vec::new(),
    };
    for row in open {
        let key = row.try_get_by_index::<Option<String>>(0)?;
        let slot = row.try_get_by_index::<Option<i32>>(1)?;
        let expires_at = row.try_get_by_index::<DateTime<Utc>>(2)?;
        let status = row.try_get_by_index::<String>(3)?;
        let Some(slot) = slot else { continue };
        if status == OrderStatus::AwaitingConfirmation.as_str() {
            holds.waiting.push((slot, expires_at));
            continue;
        }
        // Both halves can name the same order (its client and its address); each counts it
        // for the holder it matches.
        if key.as_deref() == Some(holder.client_key.as_str()) {
            holds.client.push((slot, expires_at));
        }
        if key.as_deref().is_some_and(|k| holder.is_email(k)) {
            holds.email.push((slot, expires_at));
        }
    }
    Ok(holds)
}

/// A free slot, or how many seconds until the first hold ends. The slot is picked at random
/// among the free ones, so concurrent orders of one holder seldom collide on the same one.
fn first_free(used: &[(i32, DateTime<Utc>)], cap: u32) -> Result<i32, u64> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let cap = i32::try_from(cap).unwrap_or(i32::MAX);
    let held = i32::try_from(used.len()).unwrap_or(i32::MAX);
    // Counted as well as numbered: slots above a cap that was lowered still count. The
    // window is wide (when the cap allows): with 64, thirty-two orders at once from one
    // address (a load test, an office behind one NAT with the limits raised) kept picking
    // the same slots until some gave up with 429 "busy".
    let taken: std::collections::HashSet<i32> = used.iter().map(|(s, _)| *s).collect();
    let free: Vec<i32> = (1..=std::cmp::min(cap, held.saturating_add(1024)))
        .filter(|slot| held < cap && !taken.contains(slot))
        .collect();
    if !free.is_empty() {
        return Ok(free[OsRng.next_u32() as usize % free.len()]);
    }
    let soonest = used
        .iter()
        .map(|(_, until)| *until)
        .min()
        .unwrap_or_else(Utc::now);
    Err(u64::try_from((soonest - Utc::now()).num_seconds()).unwrap_or(0) + 1)
}

impl OpenHolds {
    /// `may_wait`: the order can wait for its buyer's confirmation instead of holding at
    /// once (a manual payment; a card payment is set up while the painting is held).
    pub fn free_slots(&self, limits: &Limits, may_wait: bool) -> Result<Slots, OrderError> {
        let email = self.email_slot(limits)?;
        match first_free(&self.client, limits.holds_per_client) {
            Ok(client) => Ok(Slots::Hold { client, email }),
            // Many supporters share one address (a church's Wi-Fi, an office, a mobile
            // carrier): the next one still gets an order, which holds the painting once its
            // buyer shows the email address is theirs. A script gets no hold from it, and
            // only a few such orders (each sends one email).
            Err(secs) => {
                let waiting = if may_wait {
                    first_free(&self.waiting, limits.waiting_per_client).ok()
                } else {
                    None
                };
                waiting
                    .map(|client| Slots::Waiting { client })
                    .ok_or(OrderError::TooManyHolds {
                        by: "client",
                        retry_after_secs: secs,
                    })
            }
        }
    }

    /// A free hold of the buyer's address (also when a waiting order is confirmed).
    pub fn email_slot(&self, limits: &Limits) -> Result<i32, OrderError> {
        first_free(&self.email, limits.holds_per_email).map_err(|secs| OrderError::TooManyHolds {
            by: "email",
            retry_after_secs: secs,
        })
    }
}

/// What confirming an address answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Confirmed {
    pub order_id: String,
    pub reference: String,
    pub status: OrderStatus,
    pub email_confirmed: bool,
    /// Until when the painting is held now (for an order still waiting for payment).
    pub expires_at: DateTime<Utc>,
}

/// The buyer followed the link in this order's email: the address is theirs. This order gets
/// the full hold (a waiting order takes its painting now, if it is still for sale), and its
/// emails held back by the daily cap go out. A wrong token looks exactly like a missing
/// order.
pub async fn confirm(
    db: &DatabaseConnection,
    config: &Config,
    mail: &MailSettings,
    order_id: &str,
    token_given: &str,
) -> Result<Confirmed, OrderError> {
    let found = order::Entity::find_by_id(order_id.to_string())
        .one(db)
        .await?
        .filter(|_| token::digest(token_given) == token::digest(&mail.confirm_token(order_id)))
        .ok_or(OrderError::NotFound("order"))?;
    if status_of(&found) == OrderStatus::AwaitingConfirmation {
        hold_when_confirmed(db, config, mail, &found).await?;
    } else {
        let now = Utc::now();
        let txn = db::begin_write(db).await?;
        remember_address(
            &txn,
            &mail.vault.email_hash(&found.buyer_email.open()?),
            now,
        )
        .await?;
        if found.payment_method == "manual" && found.hold_confirmed_at.is_none() {
            let full = found.created_at
                + chrono::Duration::days(i64::from(config.manual_reservation_days));
            extend(&txn, &found.id, std::cmp::max(full, found.expires_at), now).await?;
        }
        release_held_back_mail(&txn, &found.id).await?;
        txn.commit().await?;
    }
    let current = order::Entity::find_by_id(order_id.to_string())
        .one(db)
        .await?
        .ok_or(OrderError::NotFound("order"))?;
    Ok(Confirmed {
        reference: reference(&current.id),
        status: status_of(&current),
        order_id: current.id,
        email_confirmed: true,
        expires_at: current.expires_at,
    })
}

/// The buyer showed the address is theirs (`email_hash`, its keyed hash): later emails to it
/// are not capped.
pub(super) async fn remember_address(
    conn: &impl ConnectionTrait,
    email_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_confirmation::Entity::insert(email_confirmation::ActiveModel {
        email: Set(email_hash.to_string()),
        confirmed_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(email_confirmation::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// A waiting order's buyer confirmed: the order takes its painting, if it is still for sale,
/// at its price now, and one of its address's holds, in one transaction with the emails a new
/// order sends (the instructions to the buyer, the notice to the coordinator). Two buyers
/// confirming orders for one painting at once: the conditional update of the painting lets
/// one through. Sold or withdrawn meanwhile: the order ends (it never held anything) and the
/// buyer is told at once. Only held by another order (which may yet lapse): this one keeps
/// waiting, and the buyer may confirm again later. Past its day: it ends, as the sweep would.
async fn hold_when_confirmed(
    db: &DatabaseConnection,
    config: &Config,
    mail: &MailSettings,
    found: &order::Model,
) -> Result<(), OrderError> {
    if found.expires_at <= Utc::now() {
        return end_unheld(db, found, Reason::NotConfirmed).await;
    }
    let buyer_email = found.buyer_email.open()?;
    let holder = Holder::with_email(
        found.client_key.clone().unwrap_or_default(),
        mail,
        &buyer_email,
    );
    let org = crate::organisation::load(db, &config.shop_name).await?;
    let artist = entity::artist::Entity::find_by_id(found.artist_id.clone())
        .one(db)
        .await?;
    // Another round only when another order of this address took the same hold slot at the
    // same moment.
    for _ in 0..3 {
        let slot = read(db, &holder).await?.email_slot(&config.limits)?;
        let now = Utc::now();
        let until = now + chrono::Duration::days(i64::from(config.manual_reservation_days));
        let txn = db::begin_write(db).await?;
        remember_address(&txn, &holder.email_key, now).await?;
        let mut change = Change::new(OrderStatus::PendingPayment, Actor::Buyer)
            .reason(Reason::EmailConfirmed)
            .set(order::Column::ExpiresAt, until)
            .set(order::Column::HoldConfirmedAt, Some(now))
            .set(order::Column::ClientSlot, Option::<i32>::None)
            .set(order::Column::EmailSlot, Some(slot));
        // The painting is taken at today's price: a coordinator may have changed it since
        // the order was placed, and nothing was asked of the buyer until now.
        if let Some(price) = price_now(&txn, found).await?
            && (price.minor(), price.currency().code()) != (found.amount_minor, &found.currency)
        {
            change = change
                .set(order::Column::AmountMinor, price.minor())
                .set(order::Column::Currency, price.currency().code());
        }
        match state::transition(&txn, &Ledger, found, change).await {
            Ok(changed) => {
                let o = &changed.order;
                let instructions = manual_instructions(config, &org, o);
                for row in
                    order_emails::on_placed(mail, &org, o, artist.as_ref(), &instructions, None)?
                {
                    crate::notifications::outbox::insert(&txn, mail, row).await?;
                }
                release_held_back_mail(&txn, &found.id).await?;
                txn.commit().await?;
                return Ok(());
            }
            Err(OrderError::ArtworkUnavailable(status)) => {
                txn.rollback().await?;
                let current = order::Entity::find_by_id(found.id.clone())
                    .one(db)
                    .await?
                    .ok_or(OrderError::NotFound("order"))?;
                // A second click that lost to the first: the painting is this order's.
                if status_of(&current) != OrderStatus::AwaitingConfirmation {
                    return Ok(());
                }
                if status == crate::catalog::ArtworkStatus::Reserved.as_str() {
                    return Err(OrderError::ArtworkUnavailable(status));
                }
                end_unheld(db, found, Reason::SoldBeforeConfirmed).await?;
                return Err(OrderError::ArtworkUnavailable(status));
            }
            Err(OrderError::Db(e)) if db::is_unique_violation(&e) => txn.rollback().await?,
            // A second click, or the order ended meanwhile: the answer says where it stands.
            Err(OrderError::IllegalTransition { .. }) => {
                txn.rollback().await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    Err(OrderError::Busy)
}

/// Ends a waiting order that never held its painting, without an email (the buyer is on the
/// page that says why). Ended or confirmed by someone else meanwhile: nothing to do.
async fn end_unheld(
    db: &DatabaseConnection,
    found: &order::Model,
    why: Reason,
) -> Result<(), OrderError> {
    let txn = db::begin_write(db).await?;
    let change = Change::new(OrderStatus::Expired, Actor::System)
        .reason(why)
        .quiet();
    match state::transition(&txn, &Ledger, found, change).await {
        Ok(_) => txn.commit().await?,
        Err(OrderError::IllegalTransition { .. }) => txn.rollback().await?,
        Err(e) => return Err(e),
    }
    Ok(())
}

/// What the order's painting costs shipped to the order's zone now; none when it has no
/// price there any more (the order then keeps the one it was placed at).
async fn price_now(
    conn: &impl ConnectionTrait,
    found: &order::Model,
) -> Result<Option<crate::money::Money>, OrderError> {
    let Some(artwork) = entity::artwork::Entity::find_by_id(found.artwork_id.clone())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let tiers =
        crate::catalog::tiers::load_priced(conn, vec![artwork.size_tier_id.clone()]).await?;
    let tier_price = tiers
        .get(&artwork.size_tier_id)
        .and_then(|t| t.price_in(&found.zone_id));
    Ok(crate::catalog::pricing::price_from(&artwork, tier_price))
}

/// Gives an open order the full hold until `until` (only while it waits for payment).
pub async fn extend(
    conn: &impl ConnectionTrait,
    order_id: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // A confirmed order no longer counts against its client's few unconfirmed holds: many
    // supporters share one address (a church's Wi-Fi, a mobile carrier), and one who showed
    // the address is theirs is not a script.
    let result = order::Entity::update_many()
        .col_expr(order::Column::ExpiresAt, Expr::value(until))
        .col_expr(order::Column::HoldConfirmedAt, Expr::value(now))
        .col_expr(order::Column::ClientSlot, Expr::value(Option::<i32>::None))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// This order's emails that the daily cap held back are sent after all (another order naming
/// the same address keeps its held-back mail: the buyer vouched for this one only).
async fn release_held_back_mail(conn: &impl ConnectionTrait, order_id: &str) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(crate::notifications::outbox::PENDING),
        )
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .col_expr(outbox::Column::QuotaChecked, Expr::value(true))
        .filter(outbox::Column::Status.eq(crate::notifications::outbox::SUPPRESSED))
        .filter(outbox::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_from_the_lowest_and_a_full_set_says_when_one_frees() {
        let soon = Utc::now() + chrono::Duration::minutes(10);
        let later = Utc::now() + chrono::Duration::hours(3);
        assert!((1..=3).contains(&first_free(&[], 3).expect("free")));
        assert_eq!(first_free(&[(1, later), (3, later)], 3), Ok(2));
        // A huge cap (limits lifted) picks within a window above the slots held.
        assert!(first_free(&[(1, later)], 1_000_000).is_ok_and(|s| (2..=1025).contains(&s)));
        let wait = first_free(&[(1, later), (2, soon), (3, later)], 3).expect_err("full");
        assert!((595..=601).contains(&wait), "{wait}");
    }
}
