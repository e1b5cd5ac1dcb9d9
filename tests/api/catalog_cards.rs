//! The catalog's read model never lags behind a write: after every kind of write that changes
//! what a card shows, the public answers are the ones a rebuild from scratch would give, and
//! the change itself is visible in the very next read.
use image::RgbImage;
use serde_json::{Value, json};

use crate::helpers::{TestApp, builder, new_key, order_body};
use crate::media::{png, upload};

/// Every public answer a card appears in: lists per destination, status and sort, and the
/// painting on its own.
async fn answers(app: &TestApp, artwork: &str) -> Vec<(String, Value)> {
    let mut paths = Vec::new();
    for country in ["", "&country=SE", "&country=AF", "&country=US"] {
        for status in ["available", "reserved", "sold"] {
            for sort in ["newest", "price_asc", "price_desc"] {
                paths.push(format!(
                    "/api/v1/artworks?status={status}&sort={sort}{country}"
                ));
            }
        }
        paths.push(format!("/api/v1/artworks/{artwork}?x=1{country}"));
    }
    let mut out = Vec::new();
    for path in paths {
        let reply = app.get(&path).await;
        out.push((format!("{path} → {}", reply.status), reply.body));
    }
    out
}

/// The answers now equal the answers after rebuilding every card from the tables.
async fn assert_current(app: &TestApp, artwork: &str, after: &str) {
    let kept = answers(app, artwork).await;
    hunar::catalog::cards::rebuild(&app.db, &app.state.media)
        .await
        .expect("rebuild");
    let rebuilt = answers(app, artwork).await;
    for ((path, kept), (_, rebuilt)) in kept.iter().zip(&rebuilt) {
        assert_eq!(kept, rebuilt, "after {after}: {path} was stale");
    }
}

async fn card(app: &TestApp, artwork: &str, country: &str) -> Value {
    app.get(&format!("/api/v1/artworks/{artwork}?country={country}"))
        .await
        .ok(200)
        .clone()
}

async fn upload_photo(app: &TestApp, token: &str, artwork: &str) -> Value {
    let img = RgbImage::from_fn(200, 150, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let path = format!("/api/v1/admin/artworks/{artwork}/images");
    upload(app, token, &path, "p.png", png(&img), Some("A photo"))
        .await
        .ok(201)
        .clone()
}

#[tokio::test]
async fn every_kind_of_write_shows_in_the_next_read_as_a_rebuild_would_show_it() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let artwork = catalog.artwork.clone();
    assert_current(&app, &artwork, "creating the painting").await;
    assert_eq!(card(&app, &artwork, "SE").await["title"], "Kites");

    let path = format!("/api/v1/admin/artworks/{artwork}");
    app.admin_patch(
        &token,
        &path,
        json!({"title": "Kites at dusk", "year": 2024}),
    )
    .await
    .ok(200);
    assert_eq!(card(&app, &artwork, "SE").await["title"], "Kites at dusk");
    assert_current(&app, &artwork, "editing the painting").await;

    app.admin_patch(
        &token,
        &path,
        json!({"price_override": {"amount": "80.00", "currency": "USD"}}),
    )
    .await
    .ok(200);
    assert_eq!(card(&app, &artwork, "SE").await["price"]["amount"], "80.00");
    assert_current(&app, &artwork, "overriding the price").await;
    app.admin_patch(&token, &path, json!({"price_override": null}))
        .await
        .ok(200);

    let artist = format!("/api/v1/admin/artists/{}", catalog.artist);
    app.admin_patch(
        &token,
        &artist,
        json!({"display_name": "Renamed Painter", "slug": "renamed-painter"}),
    )
    .await
    .ok(200);
    let shown = card(&app, &artwork, "SE").await;
    assert_eq!(shown["artist"]["display_name"], "Renamed Painter");
    assert_eq!(
        app.get("/api/v1/artworks?artist=renamed-painter")
            .await
            .ok(200)["total"],
        1
    );
    assert_current(&app, &artwork, "renaming the artist").await;

    let tier = format!("/api/v1/admin/size-tiers/{}", catalog.tier);
    app.admin_patch(
        &token,
        &tier,
        json!({"name": "Small", "prices": [
            {"zone_id": catalog.zones.0, "amount": "40.00"},
            {"zone_id": catalog.zones.1, "amount": "55.00"}
        ]}),
    )
    .await
    .ok(200);
    let shown = card(&app, &artwork, "SE").await;
    assert_eq!(shown["price"]["amount"], "55.00");
    assert_eq!(shown["size_tier"]["name"], "Small");
    assert_current(&app, &artwork, "repricing the size tier").await;

    let nordics = app
        .admin_post(
            &token,
            "/api/v1/admin/shipping-zones",
            json!({"name": "Nordics", "countries": ["SE"]}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    // The tier has no price in the new zone yet: Sweden sees no price.
    assert_eq!(card(&app, &artwork, "SE").await["price"], Value::Null);
    assert_current(&app, &artwork, "adding a zone").await;
    let zone = format!("/api/v1/admin/shipping-zones/{nordics}");
    app.admin_patch(&token, &zone, json!({"countries": ["NO"]}))
        .await
        .ok(200);
    assert_eq!(card(&app, &artwork, "SE").await["price"]["amount"], "55.00");
    assert_current(&app, &artwork, "moving a country out of a zone").await;
    app.admin_delete(&token, &zone).await;
    assert_current(&app, &artwork, "deleting a zone").await;

    let photo = upload_photo(&app, &token, &artwork).await;
    let photo_id = photo["id"].as_str().expect("id").to_string();
    // After the photo it went on sale with.
    assert_eq!(
        card(&app, &artwork, "SE").await["images"][1]["id"],
        photo_id
    );
    assert_current(&app, &artwork, "adding a photo").await;
    app.admin_delete(
        &token,
        &format!("/api/v1/admin/artworks/{artwork}/images/{photo_id}"),
    )
    .await
    .ok(204);
    let images = card(&app, &artwork, "SE").await["images"].clone();
    assert_eq!(images.as_array().map(Vec::len), Some(1));
    assert_ne!(images[0]["id"], photo_id);
    assert_current(&app, &artwork, "deleting a photo").await;

    // An order takes the painting, a cancellation gives it back, a payment sells it.
    let placed = app.place_order(&new_key(), &order_body(&artwork)).await;
    let order = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(card(&app, &artwork, "SE").await["status"], "reserved");
    assert_current(&app, &artwork, "an order reserving the painting").await;
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{order}/cancel"),
        json!({"reason": "test"}),
    )
    .await
    .ok(200);
    assert_eq!(card(&app, &artwork, "SE").await["status"], "available");
    assert_current(&app, &artwork, "a cancellation releasing it").await;
    let placed = app.place_order(&new_key(), &order_body(&artwork)).await;
    let order = placed.ok(201)["order"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.admin_post(
        &token,
        &format!("/api/v1/admin/orders/{order}/confirm-payment"),
        json!({"reference": "BANK-1"}),
    )
    .await
    .ok(200);
    assert_eq!(card(&app, &artwork, "SE").await["status"], "sold");
    assert_current(&app, &artwork, "a payment selling it").await;

    let other = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    assert_current(&app, &other, "adding a second painting").await;
    app.admin_delete(&token, &format!("/api/v1/admin/artworks/{other}"))
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/artworks/{other}")).await.status,
        404
    );
    assert_current(&app, &artwork, "deleting a painting").await;
}

#[tokio::test]
async fn a_status_changed_behind_the_servers_back_is_mirrored_by_the_database() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    entity::artwork::Entity::update(entity::artwork::ActiveModel {
        id: Set(catalog.artwork.clone()),
        status: Set("sold".into()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("mark sold");
    let sold = app.get("/api/v1/artworks?status=sold").await;
    assert_eq!(sold.ok(200)["total"], 1);
    assert_eq!(sold.body["items"][0]["status"], "sold");
    assert_current(&app, &catalog.artwork, "a status set in SQL").await;
}

#[tokio::test]
async fn a_new_card_format_rebuilds_the_cards_at_start_up() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    use sea_orm::ConnectionTrait;
    // As if an older release had built them: stale cards and another format.
    app.db
        .execute_unprepared("UPDATE catalog_cards SET card = '{}'")
        .await
        .expect("spoil");
    app.db
        .execute_unprepared("UPDATE read_models SET version = 'old'")
        .await
        .expect("age");
    let second = builder()
        .env("CATALOG_CACHE_MS", "0")
        .env("MEDIA_DIR", &app.media_dir.display().to_string())
        .database(&app.database_url)
        .spawn()
        .await;
    assert_eq!(
        card(&second, &catalog.artwork, "SE").await["title"],
        "Kites"
    );
}

#[tokio::test]
async fn a_page_past_the_last_still_counts_the_paintings() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    app.small_catalog(&token).await;
    let first = app.get("/api/v1/artworks?country=SE").await;
    assert_eq!(first.ok(200)["total"], 1);
    let past = app.get("/api/v1/artworks?country=SE&page=5").await;
    assert_eq!(past.ok(200)["items"], json!([]));
    assert_eq!(past.body["total"], 1);
}

#[tokio::test]
async fn orders_placed_while_a_zone_is_edited_leave_every_card_current() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let mut paintings = vec![catalog.artwork.clone()];
    for _ in 0..7 {
        paintings.push(
            app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
                .await,
        );
    }
    let zone = format!("/api/v1/admin/shipping-zones/{}", catalog.zones.0);
    // Every order and every zone edit at once: a zone edit rebuilds every card while the
    // orders' status changes land.
    let orders = paintings.iter().map(|p| {
        let app = &app;
        async move { app.place_order(&new_key(), &order_body(p)).await.status }
    });
    let edits = (0..4).map(|i| {
        let (app, token, zone) = (&app, &token, &zone);
        async move {
            app.admin_patch(token, zone, json!({"name": format!("Afghanistan {i}")}))
                .await
                .status
        }
    });
    let (placed, edited) = tokio::join!(
        futures_util::future::join_all(orders),
        futures_util::future::join_all(edits)
    );
    assert!(placed.iter().all(|s| s.as_u16() == 201), "{placed:?}");
    assert!(edited.iter().all(|s| s.as_u16() == 200), "{edited:?}");
    let reserved = app
        .get("/api/v1/artworks?status=reserved&per_page=100")
        .await;
    assert_eq!(reserved.ok(200)["total"], paintings.len());
    for painting in &paintings {
        assert_eq!(card(&app, painting, "SE").await["status"], "reserved");
    }
    assert_current(&app, &catalog.artwork, "orders during zone edits").await;
}

/// Each server thread remembers a filter's count while the database is unchanged: any
/// commit, even one made behind the server's back, has every thread count again.
#[tokio::test]
async fn a_remembered_count_is_counted_again_after_any_commit() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    // Enough reads that every worker thread has read (and remembered) the page.
    for _ in 0..8 {
        let page = app.get("/api/v1/artworks?country=SE&page=2").await;
        assert_eq!(page.ok(200)["total"], 1);
        let page = app.get("/api/v1/artworks?country=SE").await;
        assert_eq!(page.ok(200)["total"], 1);
    }
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!(
            "UPDATE artworks SET status = 'withdrawn' WHERE id = '{}'",
            catalog.artwork
        ))
        .await
        .expect("withdraw in SQL");
    for _ in 0..8 {
        let page = app.get("/api/v1/artworks?country=SE&page=2").await;
        assert_eq!(page.ok(200)["total"], 0, "a count from before the commit");
        let page = app.get("/api/v1/artworks?country=SE").await;
        assert_eq!(page.ok(200)["total"], 0, "a count from before the commit");
        assert_eq!(page.body["items"], json!([]));
    }
}

/// Every page of a filter, two cards a page, read in order: the ids, and each page's total.
async fn paged_ids(app: &TestApp, pages: std::ops::RangeInclusive<u64>) -> Vec<String> {
    let mut ids = Vec::new();
    for page in pages {
        let reply = app
            .get(&format!(
                "/api/v1/artworks?country=SE&per_page=2&page={page}"
            ))
            .await;
        ids.extend(ids_of(reply.ok(200)));
    }
    ids
}

/// The ids of a page's cards, in order.
fn ids_of(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().expect("items");
    items
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect()
}

/// Every card of the filter on one page.
async fn all(app: &TestApp) -> Vec<String> {
    ids_of(
        app.get("/api/v1/artworks?country=SE&per_page=100")
            .await
            .ok(200),
    )
}

/// A page starts where the page before it ended, when that page was read at the same state
/// of the database (SQLite's `data_version`, PostgreSQL's snapshot): after any commit the
/// place is not trusted and the page is the one `OFFSET` gives, even read without the page
/// before it.
#[tokio::test]
async fn a_page_read_from_where_the_page_before_ended_is_the_page_offset_gives() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    for _ in 0..6 {
        // Made in one burst: several share a created_at, and the id breaks the tie.
        app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
            .await;
    }
    let before = all(&app).await;
    assert_eq!(before.len(), 7);
    // Often enough that every worker thread has read each page after the one before it.
    for _ in 0..8 {
        assert_eq!(paged_ids(&app, 1..=4).await, before);
    }
    // A newer painting pushes every card one place down: page 2 now starts one card
    // earlier than where page 1 ended before.
    let newest = app
        .create_artwork(&token, &catalog.artist, &catalog.tier, "available")
        .await;
    let after = all(&app).await;
    assert_eq!(after[0], newest);
    for _ in 0..8 {
        assert_eq!(paged_ids(&app, 2..=4).await, after[2..].to_vec());
    }
    // A change behind the server's back moves them again.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!(
            "UPDATE artworks SET status = 'withdrawn' WHERE id = '{}'",
            after[1]
        ))
        .await
        .expect("withdraw in SQL");
    let last = all(&app).await;
    assert_eq!(last.len(), 7);
    for _ in 0..8 {
        assert_eq!(paged_ids(&app, 2..=4).await, last[2..].to_vec());
        assert_eq!(paged_ids(&app, 1..=4).await, last);
    }
}

/// A server's catalog reads outlive a change to the cards' table made by another release:
/// on PostgreSQL a statement prepared before it is refused, and is prepared again.
#[tokio::test]
async fn catalog_reads_go_on_after_the_cards_table_changes() {
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let token = app.admin_token().await;
    app.small_catalog(&token).await;
    for _ in 0..6 {
        assert_eq!(
            app.get("/api/v1/artworks?country=SE").await.ok(200)["total"],
            1
        );
    }
    use sea_orm::ConnectionTrait;
    let change = match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "ALTER TABLE catalog_cards ALTER COLUMN card TYPE varchar",
        _ => "ALTER TABLE catalog_cards ADD COLUMN spare text",
    };
    app.db
        .execute_unprepared(change)
        .await
        .expect("change the table");
    for _ in 0..6 {
        let page = app.get("/api/v1/artworks?country=SE").await;
        assert_eq!(page.ok(200)["total"], 1);
        assert_eq!(page.body["items"].as_array().map(Vec::len), Some(1));
    }
}

/// Every sort of the catalog, with or without a destination, and the artist's and size's
/// newest first, read an index in the page's own order: no page sorts the zone's cards (a
/// deep page would sort them all to skip most). PostgreSQL is told not to sort where it can
/// avoid it, since on a table this small it rightly prefers sorting to an index.
#[tokio::test]
async fn every_page_reads_an_index_in_its_own_order() {
    use hunar::catalog::ArtworkStatus;
    use hunar::catalog::page_statements::{Filter, Sort};
    use hunar::country::CountryCode;
    use hunar::pagination::Pagination;
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    let app = builder().spawn().await;
    let token = app.admin_token().await;
    app.small_catalog(&token).await;
    let se = CountryCode::parse("SE").expect("a country");
    let mut filters = Vec::new();
    for sort in [Sort::Newest, Sort::PriceAsc, Sort::PriceDesc] {
        for country in [None, Some(se)] {
            filters.push((country, None, None, sort));
        }
    }
    filters.push((Some(se), Some("an-artist"), None, Sort::Newest));
    filters.push((Some(se), None, Some("a-tier"), Sort::Newest));
    let backend = app.db.get_database_backend();
    // As migrated (no statistics), then after ANALYZE: the plans must not depend on it.
    for analyzed in [false, true] {
        if analyzed {
            app.db.execute_unprepared("ANALYZE").await.expect("analyze");
        }
        for &(country, artist_slug, size_tier, sort) in &filters {
            let filter = Filter {
                country,
                status: ArtworkStatus::Available,
                artist_slug,
                size_tier,
                sort,
            };
            let page = Pagination::new(Some(3), Some(24)).expect("a page");
            let statements =
                hunar::catalog::page_statements::page(&app.state.core.reader, &filter, page);
            // Newest first, the page from where the page before ended as well, at a place as
            // the reader fills it in.
            let keyset = statements.keyset.map(|k| {
                let mut after = k.after;
                if let Some(values) = after.values.as_mut() {
                    values.0[k.at[0]] = chrono::Utc::now().into();
                    values.0[k.at[1]] = "01a21c96-1958-7621-a995-910d3349efa3".to_string().into();
                }
                after
            });
            // Pages read through SeaORM (a PostgreSQL server that wants TLS) have no place.
            let past_the_pool = matches!(
                app.state.core.reader.kind(),
                hunar::catalog::reader::ReaderKind::Sqlite
                    | hunar::catalog::reader::ReaderKind::Postgres
            );
            assert_eq!(
                keyset.is_some(),
                sort == Sort::Newest && past_the_pool,
                "{sort:?}"
            );
            let mut plans = Vec::new();
            for rows in std::iter::once(statements.rows).chain(keyset) {
                let explain = Statement {
                    sql: match backend {
                        DbBackend::Postgres => format!("EXPLAIN {}", rows.sql),
                        _ => format!("EXPLAIN QUERY PLAN {}", rows.sql),
                    },
                    ..rows
                };
                let txn = app.db.begin().await.expect("begin");
                if analyzed && backend == DbBackend::Sqlite {
                    // The statistics read again on the connection that plans.
                    txn.execute_unprepared("ANALYZE sqlite_schema")
                        .await
                        .expect("reload statistics");
                }
                if backend == DbBackend::Postgres {
                    // As the server's catalog connections plan (see catalog/reader/postgres.rs).
                    txn.execute_unprepared(
                    "SET LOCAL enable_sort = off; SET LOCAL plan_cache_mode = force_generic_plan",
                )
                .await
                .expect("set");
                }
                let plan = crate::helpers::plan_text(&txn, explain).await;
                txn.rollback().await.expect("rollback");
                assert!(
                    !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
                    "{sort:?} with {country:?}/{artist_slug:?}/{size_tier:?} sorts \
                 (analyzed: {analyzed}):\n{plan}"
                );
                assert!(plan.contains("catalog_cards_"), "no index:\n{plan}");
                plans.push(plan);
            }
            if backend == DbBackend::Postgres && sort == Sort::Newest && artist_slug.is_none() {
                // Page 3 by `OFFSET` skips its first 48 cards in the index alone, not by
                // fetching each from the table (the cards are not in the index).
                let plan = &plans[0];
                assert!(
                    plan.contains("Index Only Scan"),
                    "{sort:?} with {country:?}/{size_tier:?} fetches the cards it skips \
                 (analyzed: {analyzed}):\n{plan}"
                );
            }
        }
    }
}

/// On PostgreSQL the cards are vacuumed after every 1 % of them changes, so the pages past
/// the first keep skipping through the index alone on a busy day (migration 15).
#[tokio::test]
async fn postgres_vacuums_the_cards_often_enough_to_skip_through_the_index() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = builder().spawn().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return; // SQLite has no visibility map to keep
    }
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'catalog_cards'",
        ))
        .await
        .expect("query")
        .expect("the table");
    let options: String = row.try_get_by_index(0).expect("its options");
    for option in [
        "autovacuum_vacuum_scale_factor=0.01",
        "autovacuum_vacuum_insert_scale_factor=0.01",
    ] {
        assert!(options.contains(option), "{options}");
    }
}

/// The statement that reads a page from where the page before ended gives, for every page,
/// the cards `OFFSET` gives: run directly, with each place as the reader keeps it, so no
/// commit elsewhere (PostgreSQL's snapshot is the whole server's) decides whether it runs.
#[tokio::test]
async fn a_page_from_the_place_the_page_before_ended_is_the_offset_page() {
    use hunar::catalog::ArtworkStatus;
    use hunar::catalog::page_statements::{Filter, Sort};
    use hunar::country::CountryCode;
    use hunar::pagination::Pagination;
    use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};

    let app = builder().spawn().await;
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    for _ in 0..6 {
        // Made in one burst: several share a created_at, and the id breaks the tie.
        app.create_artwork(&token, &catalog.artist, &catalog.tier, "available")
            .await;
    }
    let postgres = app.db.get_database_backend() == DbBackend::Postgres;
    let filter = Filter {
        country: CountryCode::parse("SE").ok(),
        status: ArtworkStatus::Available,
        artist_slug: None,
        size_tier: None,
        sort: Sort::Newest,
    };
    let id = |row: &QueryResult| -> String {
        let card: String = row.try_get_by_index(0).expect("card");
        let card: serde_json::Value = serde_json::from_str(&card).expect("card json");
        card["id"].as_str().expect("id").to_string()
    };
    // The last card's place as the reader keeps it: created_at in the column's own type.
    let place = |row: &QueryResult| -> [Value; 2] {
        let created_at = if postgres {
            Value::from(
                row.try_get_by_index::<chrono::DateTime<chrono::Utc>>(1)
                    .expect("created_at"),
            )
        } else {
            Value::from(row.try_get_by_index::<String>(1).expect("created_at"))
        };
        let artwork_id: String = row.try_get_by_index(2).expect("artwork_id");
        [created_at, Value::from(artwork_id)]
    };
    let mut seen = Vec::new();
    let mut start: Option<[Value; 2]> = None;
    for page in 1..=5 {
        let page = Pagination::new(Some(page), Some(2)).expect("a page");
        let statements =
            hunar::catalog::page_statements::page(&app.state.core.reader, &filter, page);
        let by_offset = app
            .db
            .query_all_raw(statements.rows)
            .await
            .expect("offset page");
        if let (Some(keyset), Some(start)) = (statements.keyset, start.take()) {
            let mut after = keyset.after;
            if let Some(values) = after.values.as_mut() {
                let [created_at, artwork_id] = start;
                values.0[keyset.at[0]] = created_at;
                values.0[keyset.at[1]] = artwork_id;
            }
            let from_place = app
                .db
                .query_all_raw(after)
                .await
                .expect("page from its place");
            assert_eq!(
                from_place.iter().map(id).collect::<Vec<_>>(),
                by_offset.iter().map(id).collect::<Vec<_>>(),
                "page {}",
                page.page
            );
        }
        seen.extend(by_offset.iter().map(id));
        start = by_offset.last().map(place);
    }
    // Every card once, in the catalog's order.
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (7, 7));
}

/// The catalog's fast readers (SQLite on the request's own thread, PostgreSQL's per-thread
/// connections) answer every page with exactly the bytes of the plain SeaORM reader, the
/// reference: the same cards in the same order and the same totals. Each page is read twice
/// and in order, so remembered counts and pages read from where the page before ended are
/// compared too.
#[tokio::test]
async fn every_reader_answers_each_page_with_the_bytes_seaorm_gives() {
    use hunar::catalog::public::{ArtworkQuery, get_artwork, list_artworks};
    use hunar::catalog::reader::{CardReader, ReaderKind};
    let app = builder().env("CATALOG_CACHE_MS", "0").spawn().await;
    let fast = app.state.core.reader.clone();
    assert!(
        matches!(fast.kind(), ReaderKind::Sqlite | ReaderKind::Postgres),
        "the test database should be read past the pool, or there is nothing to compare"
    );
    let reference = CardReader::reference(&app.db);
    assert!(matches!(reference.kind(), ReaderKind::Orm { .. }));

    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let other = app
        .create_artist(&token, json!({"display_name": "Second Painter"}))
        .await;
    let mut ids = vec![catalog.artwork.clone()];
    for i in 0..6 {
        let artist = if i % 2 == 0 { &catalog.artist } else { &other };
        ids.push(
            app.create_artwork(&token, artist, &catalog.tier, "available")
                .await,
        );
    }
    let artists = app.get("/api/v1/artists").await;
    let slug = artists.ok(200)["items"][0]["slug"]
        .as_str()
        .expect("a slug")
        .to_string();

    let mut compared = 0;
    for country in [None, Some("SE"), Some("US"), Some("AF")] {
        for sort in [None, Some("price_asc"), Some("price_desc")] {
            for artist in [None, Some(slug.clone())] {
                for status in [None, Some("sold")] {
                    for page in (1..=5).chain(1..=5) {
                        let query = || ArtworkQuery {
                            artist: artist.clone(),
                            status: status.map(String::from),
                            country: country.map(String::from),
                            sort: sort.map(String::from),
                            page: Some(page),
                            per_page: Some(2),
                            ..ArtworkQuery::default()
                        };
                        let read = |reader| {
                            let reader: &CardReader = reader;
                            let query = query();
                            async move {
                                let page = list_artworks(reader, query).await.expect("a page");
                                String::from_utf8(page.into_json()).expect("UTF-8")
                            }
                        };
                        let (got, want) = (read(&fast).await, read(&reference).await);
                        assert_eq!(
                            got, want,
                            "{country:?} {sort:?} {artist:?} {status:?} page {page}"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 4 * 3 * 2 * 2 * 10);
    for id in &ids {
        for country in [None, Some("SE"), Some("AF")] {
            let got = get_artwork(&fast, id, country).await.expect("a card");
            let want = get_artwork(&reference, id, country).await.expect("a card");
            assert_eq!(got, want, "{id} {country:?}");
        }
    }
}
