//! The browsing pages: home, the paintings, one painting, one artist, the destination
//! picker, and the sitemap.
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::pictures::Picture;
use crate::catalog::public::{self, ArtistRef, ArtistSummary, ArtworkQuery, ArtworkView, TierRef};
use crate::catalog::{ArtworkStatus, CatalogError, pricing::ZonePrice, tiers};
use crate::pagination::{Page, Pagination};
use crate::state::AppState;
use crate::web::format;
use crate::web::frame::{Frame, frame};
use crate::web::i18n;
use crate::web::visitor::Visitor;

/// A painting as a card or page shows it.
#[derive(Serialize)]
pub struct Card {
    pub id: String,
    pub title: String,
    pub description: String,
    pub medium: String,
    /// The languages `description` and `medium` are in (the visitor's, or as written).
    pub description_lang: String,
    pub medium_lang: String,
    pub width_cm: i32,
    pub height_cm: i32,
    pub year: Option<i32>,
    pub status: ArtworkStatus,
    pub artist: ArtistRef,
    pub size_tier: TierRef,
    /// The price for the visitor's destination (none without one, or not shipped there).
    pub price: Option<ZonePrice>,
    /// With no destination chosen yet: the price to most countries (the fallback zone's),
    /// shown with the switch beside it rather than no price at all.
    pub usual_price: Option<ZonePrice>,
    pub picture: Option<Picture>,
}

impl From<ArtworkView> for Card {
    fn from(a: ArtworkView) -> Self {
        Card::priced(a, None)
    }
}

impl Card {
    /// `usual_zone`: the fallback zone's name, when the visitor has no destination yet.
    pub fn priced(a: ArtworkView, usual_zone: Option<&str>) -> Self {
        Self::read_in(a, usual_zone, "en")
    }

    /// As a reader of `lang` sees it: the description and medium in their language when a
    /// coordinator gave them, else as written.
    pub fn read_in(a: ArtworkView, usual_zone: Option<&str>, lang: &str) -> Self {
        use crate::catalog::texts;
        let usual_price = usual_zone
            .filter(|_| a.price.is_none())
            .and_then(|zone| a.prices.iter().find(|p| p.zone == zone).cloned());
        let price = a.price;
        let description = texts::shown(
            lang,
            &a.text_lang,
            &a.description,
            &a.translations,
            texts::description,
        );
        let medium = texts::shown(
            lang,
            &a.text_lang,
            &a.medium,
            &a.translations,
            texts::medium,
        );
        let (description, description_lang) =
            (description.text.to_string(), description.lang.to_string());
        let (medium, medium_lang) = (medium.text.to_string(), medium.lang.to_string());
        Self {
            usual_price,
            picture: a.images.first().map(Picture::from),
            id: a.id,
            title: a.title,
            description,
            medium,
            description_lang,
            medium_lang,
            width_cm: a.width_cm,
            height_cm: a.height_cm,
            year: a.year,
            status: a.status,
            artist: a.artist,
            size_tier: a.size_tier,
            price,
        }
    }
}

#[derive(Serialize)]
struct ArtistCard {
    #[serde(flatten)]
    artist: ArtistSummary,
    picture: Option<Picture>,
}

fn cards(page: Page<ArtworkView>, usual_zone: Option<&str>) -> Vec<Card> {
    page.items
        .into_iter()
        .map(|a| Card::priced(a, usual_zone))
        .collect()
}

/// The zone whose price a visitor with no destination is shown (the fallback, "every other
/// country"); none once they chose one.
async fn usual_zone(state: &AppState, visitor: &Visitor) -> Result<Option<String>, CatalogError> {
    if visitor.country.is_some() {
        return Ok(None);
    }
    Ok(crate::catalog::zones::fallback_zone(&state.db)
        .await?
        .map(|z| z.name))
}

/// The domain said no: a 404 page for anything unknown or malformed, a 500 page otherwise.
pub fn catalog_failure(state: &AppState, visitor: &Visitor, err: CatalogError) -> HttpResponse {
    failure(state, visitor, &err)
}

fn failure(state: &AppState, visitor: &Visitor, err: &CatalogError) -> HttpResponse {
    let frame = frame(state, visitor);
    match err {
        CatalogError::Db(e) => {
            tracing::error!(error = %e, "a shop page could not be read");
            frame.message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-title",
                i18n::text(visitor.lang, "error-text", &[]),
            )
        }
        _ => frame.message(
            StatusCode::NOT_FOUND,
            "notfound-title",
            i18n::text(visitor.lang, "notfound-text", &[]),
        ),
    }
}

async fn artist_cards(state: &AppState) -> Result<Vec<ArtistCard>, CatalogError> {
    let page = Pagination::new(Some(1), Some(100))?;
    let artists = public::list_artists(&state.db, &state.media, page).await?;
    Ok(artists
        .items
        .into_iter()
        .map(|artist| ArtistCard {
            picture: artist.portrait.as_ref().map(Picture::from),
            artist,
        })
        .collect())
}

fn artwork_query(visitor: &Visitor) -> ArtworkQuery {
    ArtworkQuery {
        country: visitor.country.map(|c| c.to_string()),
        ..ArtworkQuery::default()
    }
}

#[get("/")]
pub async fn home_page(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    // The page most visits start on, the same for everyone with one language and
    // destination: built once and kept like the API's catalog pages (`CATALOG_CACHE_MS`,
    // emptied by every change to the catalog in this process). It holds nothing about the
    // visitor, and reads nothing from the query string, which therefore cannot miss it.
    let visitor = visitor.on("/");
    let country = visitor.country.map(|c| c.to_string()).unwrap_or_default();
    let key = format!("shop:home:{}:{country}", visitor.lang.code());
    match state
        .catalog_cache
        .shared(key, home_html(&state, &visitor))
        .await
    {
        Ok(html) => frame(&state, &visitor).page(StatusCode::OK, html),
        Err(err) => match err.as_ref() {
            HomeError::Catalog(err) => failure(&state, &visitor, err),
            HomeError::Render(err) => Frame::render_failed("home.html", err),
        },
    }
}

enum HomeError {
    Catalog(CatalogError),
    Render(minijinja::Error),
}

async fn home_html(state: &AppState, visitor: &Visitor) -> Result<Bytes, HomeError> {
    // The artists and the paintings are independent: read together.
    let (artists, artworks, usual) = futures_util::try_join!(
        artist_cards(state),
        public::list_artwork_views(
            &state.core.reader,
            ArtworkQuery {
                per_page: Some(12),
                ..artwork_query(visitor)
            },
        ),
        usual_zone(state, visitor),
    )
    .map_err(HomeError::Catalog)?;
    let ctx = context! { artists => artists, artworks => cards(artworks, usual.as_deref()) };
    frame(state, visitor)
        .html("home.html", ctx)
        .map(Bytes::from)
        .map_err(HomeError::Render)
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Browse {
    artist: Option<String>,
    size_tier: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

const PER_PAGE: u64 = 24;

impl Browse {
    /// Whatever the URL says, something sensible: unknown values fall back to the defaults.
    fn clean(self) -> Self {
        let keep = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Self {
            artist: keep(self.artist),
            size_tier: keep(self.size_tier),
            status: keep(self.status).filter(|s| s == "sold"),
            sort: keep(self.sort).filter(|s| s == "price_asc" || s == "price_desc"),
            page: keep(self.page),
        }
    }

    fn page(&self) -> u64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| (1..=crate::pagination::MAX_PAGE).contains(p))
            .unwrap_or(1)
    }

    fn url_for_page(&self, page: u64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("artist", &self.artist),
            ("size_tier", &self.size_tier),
            ("status", &self.status),
            ("sort", &self.sort),
        ] {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            "/artworks".into()
        } else {
            format!("/artworks?{query}")
        }
    }
}

#[derive(Serialize)]
struct TierOption {
    id: String,
    name: String,
}

/// The sizes to filter by; an artist's own sizes carry their name (two artists may both
/// have a "30×40 cm" at different prices).
async fn tier_options(
    state: &AppState,
    artists: &[ArtistCard],
) -> Result<Vec<TierOption>, CatalogError> {
    let page = Pagination::new(Some(1), Some(100))?;
    let tiers = tiers::list(&state.db, tiers::TierFilter::default(), page).await?;
    Ok(tiers
        .items
        .into_iter()
        .map(|t| {
            let owner = t
                .artist_id
                .as_ref()
                .and_then(|id| artists.iter().find(|a| &a.artist.id == id));
            TierOption {
                name: match owner {
                    Some(a) => format!("{} ({})", t.name, a.artist.display_name),
                    None => t.name,
                },
                id: t.id,
            }
        })
        .collect())
}

#[get("/artworks")]
pub async fn artworks_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<Browse>,
) -> HttpResponse {
    let filter = query.into_inner().clean();
    let page = filter.page();
    let loaded = async {
        let list = public::list_artwork_views(
            &state.core.reader,
            ArtworkQuery {
                artist: filter.artist.clone(),
                size_tier: filter.size_tier.clone(),
                status: filter.status.clone(),
                sort: filter.sort.clone(),
                page: Some(page),
                per_page: Some(PER_PAGE),
                ..artwork_query(&visitor)
            },
        )
        .await?;
        let artists = artist_cards(&state).await?;
        let tiers = tier_options(&state, &artists).await?;
        let usual = usual_zone(&state, &visitor).await?;
        Ok::<_, CatalogError>((list, artists, tiers, usual))
    };
    match loaded.await {
        Ok((list, artists, tiers, usual)) => {
            let pages = list.total.div_ceil(PER_PAGE).max(1);
            frame(&state, &visitor).render(
                StatusCode::OK,
                "artworks.html",
                context! {
                    artworks => cards(list, usual.as_deref()),
                    artists => artists,
                    tiers => tiers,
                    filter => &filter,
                    page => page,
                    pages => pages,
                    prev_url => (page > 1).then(|| filter.url_for_page(page - 1)),
                    next_url => (page < pages).then(|| filter.url_for_page(page + 1)),
                },
            )
        }
        Err(err) => catalog_failure(&state, &visitor, err),
    }
}

/// Absolute URL of a photo for link previews (WhatsApp, Facebook): they need a full address.
fn absolute(state: &AppState, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else {
        format!(
            "{}{url}",
            state.config.public_base_url.trim_end_matches('/')
        )
    }
}

#[get("/artworks/{id}")]
pub async fn artwork_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let country = visitor.country.map(|c| c.to_string());
    let found = futures_util::try_join!(
        public::get_artwork_view(&state.core.reader, &id, country.as_deref()),
        usual_zone(&state, &visitor),
    );
    match found {
        Ok((view, usual)) => {
            let pictures: Vec<Picture> = view.images.iter().map(Picture::from).collect();
            let og_image = pictures.first().map(|p| absolute(&state, &p.large));
            let card = Card::read_in(view, usual.as_deref(), visitor.lang.code());
            let price_text = card
                .price
                .as_ref()
                .or(card.usual_price.as_ref())
                .map(|p| format::money(p.amount, &p.currency, visitor.lang));
            frame(&state, &visitor).render(
                StatusCode::OK,
                "artwork.html",
                context! { a => card, pictures => pictures, og_image => og_image, price_text => price_text },
            )
        }
        Err(err) => catalog_failure(&state, &visitor, err),
    }
}

#[derive(Serialize)]
struct TierRow {
    name: String,
    price: Option<ZonePrice>,
}

#[get("/artists/{slug}")]
pub async fn artist_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> HttpResponse {
    let country = visitor.country.map(|c| c.to_string());
    let loaded = async {
        let detail = public::get_artist(&state.db, &state.media, &slug, country.as_deref()).await?;
        let usual = usual_zone(&state, &visitor).await?;
        // Everything they made that is public: for sale first, then held, then sold.
        let mut artworks = Vec::new();
        for status in ["available", "reserved", "sold"] {
            let page = public::list_artwork_views(
                &state.core.reader,
                ArtworkQuery {
                    artist: Some(slug.to_string()),
                    status: Some(status.into()),
                    per_page: Some(100),
                    ..artwork_query(&visitor)
                },
            )
            .await?;
            artworks.extend(cards(page, usual.as_deref()));
        }
        Ok::<_, CatalogError>((detail, artworks))
    };
    match loaded.await {
        Ok((detail, artworks)) => {
            let tiers: Vec<TierRow> = detail
                .size_tiers
                .into_iter()
                .map(|t| TierRow {
                    name: t.name,
                    price: country
                        .is_some()
                        .then(|| t.prices.into_iter().next())
                        .flatten(),
                })
                .collect();
            let og_image = detail
                .artist
                .portrait
                .as_ref()
                .map(|p| absolute(&state, &p.variants.large));
            let bio = match visitor.lang {
                i18n::Lang::Fa if !detail.artist.bio_fa.is_empty() => detail.artist.bio_fa.clone(),
                _ => detail.artist.bio.clone(),
            };
            frame(&state, &visitor).render(
                StatusCode::OK,
                "artist.html",
                context! {
                    artist => detail.artist,
                    bio => bio,
                    tiers => tiers,
                    artworks => artworks,
                    og_image => og_image,
                },
            )
        }
        Err(err) => catalog_failure(&state, &visitor, err),
    }
}

/// The destination picker: every country, searchable (type-ahead without JavaScript; a
/// filter box with it).
pub fn country_picker(visitor: &Visitor, next: Option<&str>, invalid: bool) -> HttpResponse {
    // No state here: the picker shows no photos, so the plain frame suffices.
    let frame = crate::web::frame::Frame {
        visitor,
        public_base_url: "",
        media_origin: None,
        contact: None,
    };
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    frame.render(
        status,
        "country.html",
        context! {
            common => format::common_countries(visitor.lang),
            countries => format::countries(visitor.lang),
            next => crate::web::visitor::local_path(next),
            invalid => invalid,
        },
    )
}

/// Every public page, for search engines: read in two statements, and kept like the
/// catalog's pages (`CATALOG_CACHE_MS`), so a crawler asking again and again costs nothing.
#[get("/sitemap.xml")]
pub async fn sitemap(state: web::Data<AppState>) -> HttpResponse {
    let build = async {
        let base = state.config.public_base_url.trim_end_matches('/');
        let (artists, artworks) = public::sitemap(&state.db).await?;
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        let pages = ["/".to_string(), "/artworks".into(), "/transparency".into()];
        let artists = artists.iter().map(|slug| format!("/artists/{slug}"));
        let artworks = artworks.iter().map(|id| format!("/artworks/{id}"));
        for path in pages.into_iter().chain(artists).chain(artworks) {
            xml.push_str(&format!(
                "  <url><loc>{}</loc></url>\n",
                crate::web::html::escape(&format!("{base}{path}"))
            ));
        }
        xml.push_str("</urlset>\n");
        Ok::<_, CatalogError>(Bytes::from(xml))
    };
    match state
        .catalog_cache
        .shared("shop:sitemap".to_string(), build)
        .await
    {
        Ok(xml) => HttpResponse::Ok()
            .content_type("application/xml; charset=utf-8")
            .body(xml),
        Err(err) => {
            tracing::error!(error = %err, "the sitemap could not be read");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

#[get("/robots.txt")]
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let base = state.config.public_base_url.trim_end_matches('/');
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "User-agent: *\nDisallow: /orders/\nDisallow: /api/\nSitemap: {base}/sitemap.xml\n"
        ))
}

enum ReportError {
    Catalog(CatalogError),
    Render(minijinja::Error),
}

/// What reached the artists (the public transparency report), as a page. Kept like the
/// home page: the same for everyone with one language.
#[get("/transparency")]
pub async fn transparency_page(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    let visitor = visitor.on("/transparency");
    let country = visitor.country.map(|c| c.to_string()).unwrap_or_default();
    let key = format!("shop:transparency:{}:{country}", visitor.lang.code());
    let build = async {
        let report = crate::ledger::transparency::report(&state.db)
            .await
            .map_err(|e| ReportError::Catalog(CatalogError::Db(e)))?;
        // The NGO's share is a column only where there is one: a phone has room for four.
        let shares = report
            .campaign
            .totals
            .iter()
            .any(|t| !t.ngo_share.is_zero());
        frame(&state, &visitor)
            .html(
                "transparency.html",
                context! { report => report, shares => shares },
            )
            .map(Bytes::from)
            .map_err(ReportError::Render)
    };
    match state.catalog_cache.shared(key, build).await {
        Ok(html) => frame(&state, &visitor).page(StatusCode::OK, html),
        Err(err) => match err.as_ref() {
            ReportError::Catalog(e) => failure(&state, &visitor, e),
            ReportError::Render(e) => Frame::render_failed("transparency.html", e),
        },
    }
}
