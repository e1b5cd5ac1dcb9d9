//! Money and places as each language writes them. One style per language, used everywhere:
//! English "$50" / "$12.50" / "1,000 SEK", Swedish "50 US$" / "1 000 kr", Dari "50 دالر".
//! Whole amounts drop their zero decimals; Western digits throughout (as in the API).
use rust_decimal::Decimal;

use super::i18n::Lang;

fn grouped(digits: &str, separator: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

/// The number part: grouped thousands, and the decimals only when they are not zero.
fn number(amount: Decimal, lang: Lang) -> String {
    let (group, point) = match lang {
        Lang::En => (",", "."),
        // A no-break space, so "1 000 kr" never breaks across lines.
        Lang::Sv => ("\u{a0}", ","),
        Lang::Fa => ("٬", "٫"),
    };
    let text = amount.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    let whole = grouped(whole, group);
    if fraction.chars().all(|c| c == '0') {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}{point}{fraction}")
    }
}

pub fn money(amount: Decimal, currency: &str, lang: Lang) -> String {
    let formatted = money_of(amount.abs(), currency, lang);
    if !amount.is_sign_negative() || amount.is_zero() {
        return formatted;
    }
    // A true minus before the whole amount ("−$100"); in Dari a left-to-right mark keeps
    // it on the number's side instead of after it.
    match lang {
        Lang::Fa => format!("\u{200e}\u{2212}{formatted}"),
        _ => format!("\u{2212}{formatted}"),
    }
}

fn money_of(amount: Decimal, currency: &str, lang: Lang) -> String {
    let n = number(amount, lang);
    match (lang, currency) {
        (Lang::En, "USD") => format!("${n}"),
        (Lang::En, "EUR") => format!("€{n}"),
        (Lang::En, "GBP") => format!("£{n}"),
        (Lang::Sv, "SEK") => format!("{n}\u{a0}kr"),
        (Lang::Sv, "USD") => format!("{n}\u{a0}US$"),
        (Lang::Sv, "EUR") => format!("{n}\u{a0}€"),
        (Lang::Fa, code) => {
            let name = match code {
                "USD" => "دالر",
                "EUR" => "یورو",
                "SEK" => "کرون سویدن",
                "AFN" => "افغانی",
                "GBP" => "پوند",
                other => other,
            };
            format!("{n} {name}")
        }
        (_, code) => format!("{n}\u{a0}{code}"),
    }
}

/// Swedish and Dari names of the countries buyers most often live in (and Afghanistan's
/// neighbours), from `country_names.tsv`; other countries keep their English name.
fn translated(code: &str, lang: Lang) -> Option<&'static str> {
    let column = match lang {
        Lang::En => return None,
        Lang::Sv => 1,
        Lang::Fa => 2,
    };
    static NAMES: std::sync::OnceLock<std::collections::HashMap<&str, Vec<&str>>> =
        std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            include_str!("country_names.tsv")
                .lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
                .map(|line| {
                    let cols: Vec<&str> = line.split('\t').collect();
                    (cols[0], cols)
                })
                .collect()
        })
        .get(code)
        .and_then(|cols| cols.get(column).copied())
}

/// A country's name in the page's language: Swedish and Dari for the common ones, English
/// (ISO's, shortened where people say something shorter) for the rest.
pub fn country_name(code: &str, lang: Lang) -> String {
    if let Some(name) = translated(code, lang) {
        return name.to_string();
    }
    let local = match code {
        // ISO's formal names where people say something shorter.
        "IR" => Some("Iran"),
        "US" => Some("United States"),
        "GB" => Some("United Kingdom"),
        "RU" => Some("Russia"),
        "SY" => Some("Syria"),
        "KR" => Some("South Korea"),
        "KP" => Some("North Korea"),
        "TZ" => Some("Tanzania"),
        "VE" => Some("Venezuela"),
        "BO" => Some("Bolivia"),
        "MD" => Some("Moldova"),
        "LA" => Some("Laos"),
        "VN" => Some("Vietnam"),
        "TW" => Some("Taiwan"),
        "CZ" => Some("Czechia"),
        "SZ" => Some("Eswatini"),
        _ => None,
    };
    match local {
        Some(name) => name.to_string(),
        None => isocountry::CountryCode::for_alpha2(code)
            .map(|c| c.name().to_string())
            .unwrap_or_else(|_| code.to_string()),
    }
}

/// Where nobody lives to receive a painting.
const UNINHABITED: [&str; 6] = ["AQ", "BV", "HM", "TF", "UM", "GS"];

/// Where the campaign's paintings mostly go: listed first in the picker.
pub const COMMON: [&str; 10] = ["SE", "DE", "US", "GB", "NO", "DK", "FI", "AF", "IR", "PK"];

/// A sort key that ignores case and the common Latin accents ("Åland" by A, "Côte" by C).
fn sort_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            other => other,
        })
        .collect()
}

/// Every country a painting can be sent to, by name in `lang`, sorted by that name.
pub fn countries(lang: Lang) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = isocountry::CountryCode::iter()
        .map(|c| c.alpha2())
        .filter(|code| !UNINHABITED.contains(code))
        .map(|code| (code.to_string(), country_name(code, lang)))
        .collect();
    all.sort_by_key(|c| sort_key(&c.1));
    all
}

/// The common destinations, by name in `lang`, in the campaign's order.
pub fn common_countries(lang: Lang) -> Vec<(String, String)> {
    COMMON
        .iter()
        .map(|code| (code.to_string(), country_name(code, lang)))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn common_countries_are_named_in_swedish_and_dari() {
        assert_eq!(country_name("NL", Lang::Sv), "Nederländerna");
        assert_eq!(country_name("NL", Lang::Fa), "هالند");
        assert_eq!(country_name("NL", Lang::En), "Netherlands");
        // Not in the table: English, shortened where ISO's name is long.
        assert_eq!(country_name("KR", Lang::Fa), "South Korea");
        for line in include_str!("country_names.tsv").lines() {
            if line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 3, "{line}");
            assert!(
                isocountry::CountryCode::for_alpha2(cols[0]).is_ok(),
                "{line}"
            );
        }
    }

    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn each_language_writes_money_its_way() {
        assert_eq!(money(d("50.00"), "USD", Lang::En), "$50");
        assert_eq!(money(d("-100.00"), "USD", Lang::En), "\u{2212}$100");
        assert_eq!(money(d("-1.5"), "SEK", Lang::Sv), "\u{2212}1,5\u{a0}kr");
        assert_eq!(
            money(d("-150"), "USD", Lang::Fa),
            "\u{200e}\u{2212}150 دالر"
        );
        assert_eq!(money(d("12.50"), "USD", Lang::En), "$12.50");
        assert_eq!(money(d("1000.00"), "SEK", Lang::En), "1,000\u{a0}SEK");
        assert_eq!(money(d("1000.00"), "SEK", Lang::Sv), "1\u{a0}000\u{a0}kr");
        assert_eq!(
            money(d("1250.50"), "SEK", Lang::Sv),
            "1\u{a0}250,50\u{a0}kr"
        );
        assert_eq!(money(d("50"), "USD", Lang::Fa), "50 دالر");
        assert_eq!(money(d("3000"), "AFN", Lang::Fa), "3٬000 افغانی");
        assert_eq!(money(d("1234567"), "JPY", Lang::En), "1,234,567\u{a0}JPY");
    }

    #[test]
    fn countries_are_named_and_sorted() {
        assert_eq!(country_name("SE", Lang::Sv), "Sverige");
        assert_eq!(country_name("SE", Lang::En), "Sweden");
        assert_eq!(country_name("ZZ", Lang::En), "ZZ");
        let all = countries(Lang::En);
        assert!(all.len() >= 240);
        assert_eq!(all[0].0, "AF");
        assert!(!all.iter().any(|(code, _)| code == "AQ"));
        let position = |code: &str| all.iter().position(|c| c.0 == code).unwrap_or(0);
        assert!(position("AX") < position("BS"), "Åland sorts by A");
        assert!(position("CI") < position("HR"), "Côte d'Ivoire sorts by C");
        assert_eq!(common_countries(Lang::Fa)[0].1, "سویدن");
    }
}
