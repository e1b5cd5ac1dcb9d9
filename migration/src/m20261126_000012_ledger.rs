//! The payout ledger: what each artist is owed, entry by entry. Rows are only ever added
//! (a mistake is undone by a reversing row), so the table is its own audit trail.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    ArtistId,
    Kind,
    AmountMinor,
    Currency,
    OrderId,
    ReversesId,
    DedupeKey,
    Method,
    Reference,
    PaidOn,
    ExchangeRate,
    PaidAmountMinor,
    PaidCurrency,
    Advance,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayoutTerms {
    Table,
    ArtistId,
    NgoShareBp,
    Transparency,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FeeLookups {
    Table,
    PaymentId,
    OrderId,
    Attempts,
    NextAt,
    LastError,
    DoneAt,
}

#[derive(DeriveIden)]
enum Artists {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(
                        ColumnDef::new(LedgerEntries::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LedgerEntries::ArtistId)
                            .string_len(36)
                            .not_null(),
                    )
                    // sale, ngo_share, card_fee, shipping, refund, payout, reversal.
                    .col(
                        ColumnDef::new(LedgerEntries::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    // Signed: what the artist is owed goes up (+) or down (−).
                    .col(
                        ColumnDef::new(LedgerEntries::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LedgerEntries::Currency)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(ColumnDef::new(LedgerEntries::OrderId).string_len(36))
                    // An entry is undone at most once: the unique index is what stops two
                    // coordinators (or a coordinator and a refund) from both undoing it.
                    .col(
                        ColumnDef::new(LedgerEntries::ReversesId)
                            .string_len(36)
                            .unique_key(),
                    )
                    // Entries made by the system for an event (a sale, its share, its card
                    // fee) carry a key, so a replayed event cannot add them twice.
                    .col(
                        ColumnDef::new(LedgerEntries::DedupeKey)
                            .string_len(80)
                            .unique_key(),
                    )
                    .col(ColumnDef::new(LedgerEntries::Method).string_len(24))
                    .col(ColumnDef::new(LedgerEntries::Reference).string_len(200))
                    .col(ColumnDef::new(LedgerEntries::PaidOn).date())
                    // Decimal text, exactly as the coordinator gave it: no float.
                    .col(ColumnDef::new(LedgerEntries::ExchangeRate).string_len(40))
                    .col(ColumnDef::new(LedgerEntries::PaidAmountMinor).big_integer())
                    .col(ColumnDef::new(LedgerEntries::PaidCurrency).string_len(3))
                    .col(
                        ColumnDef::new(LedgerEntries::Advance)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(LedgerEntries::Note).text())
                    .col(
                        ColumnDef::new(LedgerEntries::CreatedBy)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LedgerEntries::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerEntries::Table, LedgerEntries::ArtistId)
                            .to(Artists::Table, Artists::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerEntries::Table, LedgerEntries::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerEntries::Table, LedgerEntries::ReversesId)
                            .to(LedgerEntries::Table, LedgerEntries::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "CREATE INDEX ledger_entries_artist ON ledger_entries (artist_id, created_at, id)",
        )
        .await?;
        conn.execute_unprepared("CREATE INDEX ledger_entries_order ON ledger_entries (order_id)")
            .await?;
        conn.execute_unprepared(
            "CREATE INDEX ledger_entries_kind ON ledger_entries (kind, created_at)",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PayoutTerms::Table)
                    .col(
                        ColumnDef::new(PayoutTerms::ArtistId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    // The NGO's agreed share of each sale in basis points (1250 = 12.5 %).
                    .col(
                        ColumnDef::new(PayoutTerms::NgoShareBp)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    // The artist agreed to appear on the public transparency page.
                    .col(
                        ColumnDef::new(PayoutTerms::Transparency)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(PayoutTerms::UpdatedBy)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PayoutTerms::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PayoutTerms::Table, PayoutTerms::ArtistId)
                            .to(Artists::Table, Artists::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // A card payment's fee is read from Stripe after the payment is recorded; a row
        // here until it is, so an unreachable Stripe is asked again later.
        manager
            .create_table(
                Table::create()
                    .table(FeeLookups::Table)
                    .col(
                        ColumnDef::new(FeeLookups::PaymentId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(FeeLookups::OrderId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FeeLookups::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(FeeLookups::NextAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(FeeLookups::LastError).text())
                    .col(ColumnDef::new(FeeLookups::DoneAt).timestamp_with_time_zone())
                    .foreign_key(
                        ForeignKey::create()
                            .from(FeeLookups::Table, FeeLookups::PaymentId)
                            .to(Payments::Table, Payments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FeeLookups::Table, FeeLookups::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        conn.execute_unprepared("CREATE INDEX fee_lookups_due ON fee_lookups (done_at, next_at)")
            .await?;

        // Paintings sold before the ledger existed are owed too: one sale entry each,
        // keyed as a live sale would be so the ledger never credits them twice.
        conn.execute_unprepared(
            "INSERT INTO ledger_entries \
               (id, artist_id, kind, amount_minor, currency, order_id, dedupe_key, advance, \
                created_by, created_at) \
             SELECT id, artist_id, 'sale', amount_minor, currency, id, 'sale:' || id, false, \
                    'system', paid_at \
             FROM orders \
             WHERE status IN ('paid', 'shipped', 'delivered') AND paid_at IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FeeLookups::Table.into_iden(),
            PayoutTerms::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
