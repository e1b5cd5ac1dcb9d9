//! Who is looking, as far as the pages care: their language and the country a painting would
//! go to. Both come from cookies the visitor set with the switches on every page; on a first
//! visit the language comes from `Accept-Language` and the country from its region
//! (`sv-SE` → Sweden), else none until chosen.
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{FromRequest, HttpRequest};

use super::i18n::Lang;
use crate::country::CountryCode;

pub const LANG_COOKIE: &str = "lang";
pub const COUNTRY_COOKIE: &str = "country";

#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Lang,
    /// Whether the language is one this browser chose (the switch's cookie), not a guess
    /// from `Accept-Language`.
    pub chose_lang: bool,
    pub country: Option<CountryCode>,
    /// The page's path and query, for the switches to come back to.
    pub here: String,
}

impl Visitor {
    /// The visitor on a page that reads nothing from its query: `here` is the path alone,
    /// so the page is the same (and cached once) whatever the query string says.
    pub fn on(mut self, path: &str) -> Self {
        self.here = path.to_string();
        self
    }
}

fn country_from_accept_language(header: &str) -> Option<CountryCode> {
    header.split(',').find_map(|part| {
        let tag = part.split(';').next()?.trim();
        let region = tag.split('-').nth(1)?;
        (region.len() == 2)
            .then(|| CountryCode::parse(&region.to_ascii_uppercase()).ok())
            .flatten()
    })
}

impl Visitor {
    pub fn of(req: &HttpRequest) -> Self {
        let accept = req
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let chosen = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
        let chose_lang = chosen.is_some();
        let lang = chosen
            .or_else(|| Lang::from_accept_language(accept))
            .unwrap_or(Lang::En);
        let country = match req.cookie(COUNTRY_COOKIE) {
            Some(c) => CountryCode::parse(c.value()).ok(),
            None => country_from_accept_language(accept),
        };
        let here = match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        };
        Self {
            lang,
            chose_lang,
            country,
            here,
        }
    }
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// Only a path on this site: never `//elsewhere`, `https://…`, or anything a browser could
/// read as another host. Browsers drop tabs and line breaks from a URL and read `\` as `/`,
/// so `/<TAB>/evil.example` would take them to `//evil.example`: any control character,
/// space or backslash refuses `next` outright. What passes is parsed as a URL on this site
/// and rebuilt from its path and query alone.
pub fn local_path(next: Option<&str>) -> String {
    next.and_then(parse_local_path)
        .unwrap_or_else(|| "/".to_string())
}

fn parse_local_path(next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    let base = url::Url::parse("http://this.site.invalid/").ok()?;
    let url = base.join(next).ok()?;
    if url.origin() != base.origin() || url.path().starts_with("//") {
        return None;
    }
    let mut path = url.path().to_string();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_of_the_browser_language_suggests_a_destination() {
        assert_eq!(
            country_from_accept_language("sv-SE,sv;q=0.9").map(|c| c.to_string()),
            Some("SE".into())
        );
        assert_eq!(country_from_accept_language("en, de"), None);
        assert_eq!(country_from_accept_language("zh-Hant-TW"), None);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/artworks?page=2")), "/artworks?page=2");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
        // What browsers drop or turn into a slash, anywhere in it.
        for next in [
            "/\t/evil.example/",
            "/\n/evil.example",
            "/\r//evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "/x\\..\\\\evil.example",
            "/%09/../\t/evil",
            "///evil.example",
        ] {
            assert_eq!(local_path(Some(next)), "/", "{next:?}");
        }
        // Rebuilt from the parsed path and query: dot segments resolved, still on this site.
        assert_eq!(
            local_path(Some("/a/../artworks?page=2")),
            "/artworks?page=2"
        );
        assert_eq!(local_path(Some("/artists/x#top")), "/artists/x");
    }
}
