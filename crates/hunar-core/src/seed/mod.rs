//! Demo data for a fresh database: the seed campaign's zones and size tiers, two invented
//! artists (one priced in USD on the shop-wide tiers, one in SEK on their own tier), a few
//! available paintings, and a first admin whose password is printed once.
use crate::vault::Vault;
use chrono::Utc;
use entity::{artist, artwork, shipping_zone, size_tier, size_tier_price, zone_country};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait,
};

use crate::db::WriteTxn;
use crate::{auth, db};

pub mod pictures;

/// What seeding did.
pub struct Seeded {
    /// The demo catalog was created just now (it gets its pictures once media is ready).
    pub catalog: bool,
    pub login: Option<FirstLogin>,
}

pub const DEMO_ADMIN_EMAIL: &str = "admin@hunar.local";

pub struct FirstLogin {
    pub email: String,
    pub password: String,
}

impl FirstLogin {
    /// Straight to stdout, once: a credential does not belong in the log stream.
    pub fn print(&self) {
        println!();
        println!("  First admin login (shown once; change or keep it safe):");
        println!("    email:    {}", self.email);
        println!("    password: {}", self.password);
        println!();
    }
}

async fn zone(
    conn: &impl ConnectionTrait,
    name: &str,
    countries: &[&str],
    is_fallback: bool,
) -> Result<String, DbErr> {
    let id = db::new_id();
    let now = Utc::now();
    shipping_zone::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.into()),
        is_fallback: Set(is_fallback),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    for country in countries {
        zone_country::ActiveModel {
            country: Set((*country).into()),
            zone_id: Set(id.clone()),
        }
        .insert(conn)
        .await?;
    }
    Ok(id)
}

async fn tier(
    conn: &impl ConnectionTrait,
    name: &str,
    (width_cm, height_cm): (i32, i32),
    artist_id: Option<&str>,
    currency: &str,
    prices_minor: &[(&str, i64, Option<&str>)],
) -> Result<String, DbErr> {
    let id = db::new_id();
    let now = Utc::now();
    size_tier::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.into()),
        width_cm: Set(width_cm),
        height_cm: Set(height_cm),
        artist_id: Set(artist_id.map(Into::into)),
        currency: Set(currency.into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    for (zone_id, amount_minor, own_currency) in prices_minor {
        size_tier_price::ActiveModel {
            tier_id: Set(id.clone()),
            zone_id: Set((*zone_id).into()),
            amount_minor: Set(*amount_minor),
            currency: Set(own_currency.map(Into::into)),
        }
        .insert(conn)
        .await?;
    }
    Ok(id)
}

struct DemoArtist<'a> {
    slug: &'a str,
    display_name: &'a str,
    bio: &'a str,
    bio_fa: &'a str,
    deported_from: &'a str,
    email: &'a str,
    language: &'a str,
}

async fn demo_artist(
    conn: &impl ConnectionTrait,
    vault: &Vault,
    a: DemoArtist<'_>,
) -> Result<String, DbErr> {
    let id = db::new_id();
    let now = Utc::now();
    artist::ActiveModel {
        id: Set(id.clone()),
        slug: Set(a.slug.into()),
        display_name: Set(a.display_name.into()),
        bio: Set(a.bio.into()),
        bio_fa: Set(a.bio_fa.into()),
        deported_from: Set(Some(a.deported_from.into())),
        email: Set(Some(vault.seal(a.email))),
        phone: Set(None),
        preferred_language: Set(a.language.into()),
        notes: Set(Some(vault.seal("Invented demo artist."))),
        notify_by: Set("email".into()),
        plain_messages: Set(false),
        page_generation: Set(0),
        page_token_hash: Set(None),
        page_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

async fn painting(
    conn: &impl ConnectionTrait,
    artist_id: &str,
    tier_id: &str,
    title: &str,
    medium: &str,
    (width_cm, height_cm): (i32, i32),
) -> Result<(), DbErr> {
    let now = Utc::now();
    artwork::ActiveModel {
        id: Set(db::new_id()),
        artist_id: Set(artist_id.into()),
        size_tier_id: Set(tier_id.into()),
        title: Set(title.into()),
        description: Set(format!("{title}, painted in Kabul.")),
        medium: Set(medium.into()),
        width_cm: Set(width_cm),
        height_cm: Set(height_cm),
        year: Set(Some(2025)),
        status: Set("available".into()),
        price_override_minor: Set(None),
        price_override_currency: Set(None),
        text_lang: Set("en".into()),
        translations: Set(demo_translations(title, medium)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The demo's description and medium in Swedish and Dari, as a coordinator would add them.
fn demo_translations(title: &str, medium: &str) -> String {
    let (sv, fa) = match medium {
        "Oil on canvas" => ("Olja på duk", "رنگ روغن روی بوم"),
        "Acrylic on canvas" => ("Akryl på duk", "اکریلیک روی بوم"),
        "Watercolour" => ("Akvarell", "آبرنگ"),
        "Ink and watercolour" => ("Tusch och akvarell", "مرکب و آبرنگ"),
        other => (other, other),
    };
    serde_json::json!({
        "sv": {"description": format!("{title}, målad i Kabul."), "medium": sv},
        "fa": {"description": format!("«{title}»، کشیده‌شده در کابل."), "medium": fa},
    })
    .to_string()
}

/// Seeds when there are no artists yet; returns the first admin's login when it made one.
/// An invented NGO and its ways to pay, so the demo's order pages show what a real one does
/// (the account numbers are of no bank).
fn demo_organisation() -> crate::organisation::Organisation {
    use crate::organisation::{Contact, Method, Organisation, PaymentOption};
    let option = |method, currency: Option<&str>| PaymentOption {
        id: String::new(),
        method,
        currency: currency.map(str::to_string),
        account_holder: None,
        iban: None,
        bic: None,
        bank: None,
        account_number: None,
        swish_number: None,
        notes: Default::default(),
    };
    let mut bank = option(Method::BankTransfer, None);
    bank.account_holder = Some("Hunar Demo Association".into());
    bank.iban = Some("SE00 0000 0000 0000 0000 0000".into());
    bank.bic = Some("DEMOSESS".into());
    bank.notes = [
        ("en", "Write the reference in the transfer's message."),
        ("sv", "Skriv referensen i betalningens meddelande."),
        ("fa", "شمارهٔ سفارش را در پیام انتقال بنویسید."),
    ]
    .map(|(l, n)| (l.to_string(), n.to_string()))
    .into();
    let mut swish = option(Method::Swish, Some("SEK"));
    swish.swish_number = Some("123 000 00 00".into());
    let mut cash = option(Method::Cash, None);
    cash.notes = [
        (
            "en",
            "Give the money to the coordinator you know, and say the reference.",
        ),
        (
            "sv",
            "Ge pengarna till samordnaren du känner och säg referensen.",
        ),
        (
            "fa",
            "پول را به هماهنگ‌کننده‌ای که می‌شناسید بدهید و شمارهٔ سفارش را بگویید.",
        ),
    ]
    .map(|(l, n)| (l.to_string(), n.to_string()))
    .into();
    Organisation {
        contact: Contact {
            name: "Hunar (demo)".into(),
            email: Some("hello@hunar.example".into()),
            whatsapp: Some("+46 70 000 00 00".into()),
            phone: None,
        },
        payment_options: vec![bank, swish, cash],
        artist_messages: Default::default(),
    }
}

pub async fn seed_if_empty(db: &DatabaseConnection, vault: &Vault) -> anyhow::Result<Seeded> {
    if artist::Entity::find().count(db).await? > 0 {
        return Ok(Seeded {
            catalog: false,
            login: None,
        });
    }
    let txn = db::begin_write(db).await?;
    let (af, intl, sizes) = demo_zones_and_tiers(&txn).await?;
    demo_shabnam(&txn, vault, &sizes).await?;
    demo_farid(&txn, vault, (&intl, &af)).await?;
    crate::organisation::seed(&txn, demo_organisation())
        .await
        .map_err(|e| anyhow::anyhow!("the demo organisation: {e}"))?;
    txn.commit().await?;
    tracing::info!("demo catalog created");

    if auth::service::admin_count(db).await? > 0 {
        return Ok(Seeded {
            catalog: true,
            login: None,
        });
    }
    let password = auth::password::generate();
    auth::service::create_admin(db, DEMO_ADMIN_EMAIL, password.clone())
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin: {e}"))?;
    Ok(Seeded {
        catalog: true,
        login: Some(FirstLogin {
            email: DEMO_ADMIN_EMAIL.into(),
            password,
        }),
    })
}

/// The demo's two zones (Afghanistan, and everywhere else) and its three shared sizes.
async fn demo_zones_and_tiers(txn: &WriteTxn) -> anyhow::Result<(String, String, [String; 3])> {
    let af = zone(txn, "Afghanistan", &["AF"], false).await?;
    let intl = zone(txn, "International", &[], true).await?;
    let small = tier(
        txn,
        "20×30 cm",
        (20, 30),
        None,
        "USD",
        &[(&intl, 5000, None), (&af, 4500, None)],
    )
    .await?;
    let medium = tier(
        txn,
        "30×40 cm",
        (30, 40),
        None,
        "USD",
        &[(&intl, 10000, None), (&af, 4500, None)],
    )
    .await?;
    let large = tier(
        txn,
        "60×80 cm",
        (60, 80),
        None,
        "USD",
        &[(&intl, 20000, None), (&af, 4500, None)],
    )
    .await?;

    Ok((af, intl, [small, medium, large]))
}

async fn demo_shabnam(
    txn: &WriteTxn,
    vault: &Vault,
    [small, medium, large]: &[String; 3],
) -> anyhow::Result<()> {
    let shabnam = demo_artist(
        txn,
        vault,
        DemoArtist {
            slug: "shabnam-r",
            display_name: "Shabnam R.",
            bio: "Paints the mountains and markets she remembers from childhood.",
            bio_fa: "کوه‌ها و بازارهایی را که از کودکی به یاد دارد نقاشی می‌کند.",
            deported_from: "IR",
            email: "shabnam.demo@example.org",
            language: "fa",
        },
    )
    .await?;
    painting(
        txn,
        &shabnam,
        small,
        "Bamiyan at dusk",
        "Oil on canvas",
        (20, 30),
    )
    .await?;
    painting(
        txn,
        &shabnam,
        small,
        "Kites over Kabul",
        "Acrylic on canvas",
        (20, 30),
    )
    .await?;
    painting(
        txn,
        &shabnam,
        medium,
        "Market in Herat",
        "Oil on canvas",
        (30, 40),
    )
    .await?;
    painting(
        txn,
        &shabnam,
        large,
        "Mother's garden",
        "Oil on canvas",
        (60, 80),
    )
    .await?;

    Ok(())
}

/// Farid has a size of his own, priced in kronor abroad as the campaign priced him.
async fn demo_farid(txn: &WriteTxn, vault: &Vault, (intl, af): (&str, &str)) -> anyhow::Result<()> {
    let farid = demo_artist(
        txn,
        vault,
        DemoArtist {
            slug: "farid-n",
            display_name: "Farid N.",
            bio: "Lived eleven years in Sweden; paints the two winters he knows.",
            bio_fa: "یازده سال در سویدن زندگی کرد؛ دو زمستانی را که می‌شناسد نقاشی می‌کند.",
            deported_from: "SE",
            email: "farid.demo@example.org",
            language: "en",
        },
    )
    .await?;
    let farid_tier = tier(
        txn,
        "30×40 cm",
        (30, 40),
        Some(&farid),
        "SEK",
        // As the campaign priced him: 1000 SEK abroad, 45 USD in Afghanistan.
        &[(intl, 100_000, None), (af, 4_500, Some("USD"))],
    )
    .await?;
    painting(
        txn,
        &farid,
        &farid_tier,
        "Snow in Gothenburg",
        "Watercolour",
        (30, 40),
    )
    .await?;
    painting(
        txn,
        &farid,
        &farid_tier,
        "Letters home",
        "Ink and watercolour",
        (30, 40),
    )
    .await?;
    Ok(())
}
