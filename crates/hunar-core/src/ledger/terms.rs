//! What an artist agreed with the NGO: the NGO's share of each sale (default none) and
//! whether they appear on the public transparency page (default not).
use chrono::Utc;
use entity::{artist, payout_terms};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::LedgerError;
use crate::error::FieldErrors;
use crate::{audit, db};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terms {
    /// Basis points: 1250 is 12.5 %.
    pub ngo_share_bp: i32,
    pub transparency: bool,
}

pub async fn of(conn: &impl ConnectionTrait, artist_id: &str) -> Result<Terms, DbErr> {
    Ok(payout_terms::Entity::find_by_id(artist_id.to_string())
        .one(conn)
        .await?
        .map(|t| Terms {
            ngo_share_bp: t.ngo_share_bp,
            transparency: t.transparency,
        })
        .unwrap_or_default())
}

/// Basis points as the percentage people write: 1250 → "12.5".
pub fn percent(bp: i32) -> Decimal {
    Decimal::new(i64::from(bp), 2).normalize()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TermsView {
    /// The NGO's agreed share of each sale, in percent.
    #[schema(value_type = String, pattern = "^(100(\\.0{1,2})?|[0-9]{1,2}(\\.[0-9]{1,2})?)$", example = "10")]
    pub ngo_share_percent: Decimal,
    /// Whether the artist agreed to appear on the public transparency page.
    pub transparency: bool,
    /// How, when and by whom her consent was recorded; null while she is not named.
    pub consent: Option<ConsentView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    /// As the coordinator wrote it: "in person in Herat, 1 December".
    pub how: String,
    pub recorded_at: chrono::DateTime<Utc>,
    /// The coordinator's account id (`admin:…`).
    pub recorded_by: String,
}

impl From<Terms> for TermsView {
    fn from(t: Terms) -> Self {
        Self {
            ngo_share_percent: percent(t.ngo_share_bp),
            transparency: t.transparency,
            consent: None,
        }
    }
}

/// An artist's terms as the ledger shows them, with how her consent was given.
pub async fn view(conn: &impl ConnectionTrait, artist_id: &str) -> Result<TermsView, DbErr> {
    let Some(row) = payout_terms::Entity::find_by_id(artist_id.to_string())
        .one(conn)
        .await?
    else {
        return Ok(Terms::default().into());
    };
    Ok(TermsView {
        ngo_share_percent: percent(row.ngo_share_bp),
        transparency: row.transparency,
        consent: match (row.transparency, row.consent_how, row.consent_at) {
            (true, Some(how), Some(at)) => Some(ConsentView {
                how,
                recorded_at: at,
                recorded_by: row.consent_by.unwrap_or(row.updated_by),
            }),
            _ => None,
        },
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    /// 0 to 100, at most two decimals ("12.5").
    #[schema(value_type = String, pattern = "^(100(\\.0{1,2})?|[0-9]{1,2}(\\.[0-9]{1,2})?)$", example = "10")]
    #[serde(deserialize_with = "crate::money::wire::percent")]
    pub ngo_share_percent: Decimal,
    pub transparency: bool,
    /// How the artist agreed to be named publicly (in person, a WhatsApp voice message, a
    /// letter …): needed when `transparency` is true, unless she had already agreed.
    #[serde(default)]
    #[schema(schema_with = crate::validate::schema::optional_text::<500>)]
    pub consent_how: Option<String>,
}

fn validate(input: &TermsInput) -> Result<i32, FieldErrors> {
    let refused = || {
        FieldErrors::single(
            "ngo_share_percent",
            "give a percentage from 0 to 100 with at most two decimals, e.g. \"10\" or \"12.5\"",
        )
    };
    let share = input.ngo_share_percent;
    // The range first: multiplying a huge decimal would overflow.
    if share < Decimal::ZERO || share > Decimal::ONE_HUNDRED {
        return Err(refused());
    }
    let bp = (share * Decimal::ONE_HUNDRED).normalize();
    if bp.scale() > 0 {
        return Err(refused());
    }
    i32::try_from(bp.mantissa()).map_err(|_| refused())
}

/// Sets an artist's terms. A new share applies to sales from now on; past sales keep the
/// share they were credited with.
pub async fn set(
    db: &DatabaseConnection,
    admin_id: &str,
    artist_id: &str,
    input: TermsInput,
) -> Result<TermsView, LedgerError> {
    let bp = validate(&input);
    let mut errors = bp.clone().err().unwrap_or_default();
    let how = input
        .consent_how
        .as_deref()
        .map(|how| crate::validate::text_field(&mut errors, "consent_how", how, false, 500))
        .filter(|how| !how.is_empty());
    let txn = db::begin_write(db).await?;
    artist::Entity::find_by_id(artist_id.to_string())
        .one(&txn)
        .await?
        .ok_or(LedgerError::NotFound("artist"))?;
    let before = payout_terms::Entity::find_by_id(artist_id.to_string())
        .one(&txn)
        .await?;
    let already = before.as_ref().filter(|t| t.transparency).and_then(|t| {
        let by = t.consent_by.clone().unwrap_or_else(|| t.updated_by.clone());
        Some((t.consent_how.clone()?, t.consent_at?, by))
    });
    // Naming an artist publicly needs her word, said how; one already recorded stays
    // unless a new one is given. Taking her off the page forgets it.
    let consent = match (input.transparency, how, already) {
        (false, _, _) => None,
        (true, Some(how), _) => Some((how, Utc::now(), format!("admin:{admin_id}"))),
        (true, None, Some(kept)) => Some(kept),
        (true, None, None) => {
            errors.add(
                "consent_how",
                "say how the artist agreed to be named publicly, e.g. \"in person in Herat, 1 December\"",
            );
            None
        }
    };
    errors.into_result()?;
    let bp = bp?;
    let (consent_how, consent_at, consent_by) = match consent {
        Some((how, at, by)) => (Some(how), Some(at), Some(by)),
        None => (None, None, None),
    };
    payout_terms::Entity::insert(payout_terms::ActiveModel {
        artist_id: Set(artist_id.to_string()),
        ngo_share_bp: Set(bp),
        transparency: Set(input.transparency),
        consent_how: Set(consent_how),
        consent_at: Set(consent_at),
        consent_by: Set(consent_by),
        updated_by: Set(format!("admin:{admin_id}")),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(payout_terms::Column::ArtistId)
            .update_columns([
                payout_terms::Column::NgoShareBp,
                payout_terms::Column::Transparency,
                payout_terms::Column::ConsentHow,
                payout_terms::Column::ConsentAt,
                payout_terms::Column::ConsentBy,
                payout_terms::Column::UpdatedBy,
                payout_terms::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let after = payout_terms::Entity::find_by_id(artist_id.to_string())
        .one(&txn)
        .await?;
    record_change(&txn, admin_id, artist_id, (before.as_ref(), after.as_ref())).await?;
    let view = view(&txn, artist_id).await?;
    txn.commit().await?;
    Ok(view)
}

/// The audit log's line for a change of terms: whose terms and what they became; how the
/// artist agreed is hers, and named only.
async fn record_change(
    txn: &db::WriteTxn,
    admin_id: &str,
    artist_id: &str,
    (before, after): (Option<&payout_terms::Model>, Option<&payout_terms::Model>),
) -> Result<(), LedgerError> {
    let fields = |t: Option<&payout_terms::Model>| -> audit::Fields {
        vec![
            (
                "ngo_share_percent",
                Some(percent(t.map_or(0, |t| t.ngo_share_bp)).to_string()),
            ),
            (
                "transparency",
                Some(t.is_some_and(|t| t.transparency).to_string()),
            ),
        ]
    };
    let mut changes = audit::between(fields(before), fields(after));
    let how = |t: Option<&payout_terms::Model>| t.and_then(|t| t.consent_how.clone());
    if how(before) != how(after) {
        changes.push(audit::Change {
            field: "consent_how".into(),
            from: None,
            to: None,
        });
    }
    audit::record_changes(
        txn,
        admin_id,
        "artist.payout_terms",
        "artist",
        artist_id,
        &changes,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn bp(s: &str) -> Result<i32, FieldErrors> {
        validate(&TermsInput {
            ngo_share_percent: Decimal::from_str(s).expect("decimal"),
            transparency: false,
            consent_how: None,
        })
    }

    #[test]
    fn shares_are_whole_basis_points_from_0_to_100_percent() {
        assert_eq!(bp("0").expect("valid"), 0);
        assert_eq!(bp("12.5").expect("valid"), 1250);
        assert_eq!(bp("12.50").expect("valid"), 1250);
        assert_eq!(bp("100").expect("valid"), 10_000);
        assert!(bp("100.01").is_err());
        assert!(bp("-1").is_err());
        assert!(bp("0.001").is_err());
        assert!(bp("79228162514264337593543950335").is_err());
        assert_eq!(percent(1250).to_string(), "12.5");
        assert_eq!(percent(0).to_string(), "0");
    }
}
