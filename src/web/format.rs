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
        Lang::Sv | Lang::Nb => ("\u{a0}", ","),
        Lang::De => (".", ","),
        Lang::Fa | Lang::Ps => ("٬", "٫"),
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
        Lang::Fa | Lang::Ps => format!("\u{200e}\u{2212}{formatted}"),
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
        (Lang::De, "EUR") => format!("{n}\u{a0}€"),
        (Lang::De, "USD") => format!("{n}\u{a0}$"),
        (Lang::Nb, "NOK") => format!("{n}\u{a0}kr"),
        (Lang::Nb, "EUR") => format!("{n}\u{a0}€"),
        (Lang::Ps, code) => {
            let name = match code {
                "USD" => "ډالر",
                "EUR" => "یورو",
                "SEK" => "سویډني کرون",
                "AFN" => "افغانۍ",
                "GBP" => "پونډ",
                other => other,
            };
            format!("{n} {name}")
        }
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

/// A country's name in the page's language, from the Unicode CLDR (`crate::country`).
pub fn country_name(code: &str, lang: Lang) -> String {
    crate::country::name(code, lang.code())
}

/// Where nobody lives to receive a painting.
const UNINHABITED: [&str; 6] = ["AQ", "BV", "HM", "TF", "UM", "GS"];

/// Where the campaign's paintings mostly go: listed first in the picker.
pub const COMMON: [&str; 10] = ["SE", "DE", "US", "GB", "NO", "DK", "FI", "AF", "IR", "PK"];

/// A sort key in the order a reader of `lang` looks names up in: case and the common Latin
/// accents ignored ("Åland" by A, "Côte" by C) in English and German; Å, Ä and Ö after Z in
/// Swedish, Æ, Ø and Å in Norwegian; Pashto's alphabet in Pashto;
/// the Persian alphabet in Dari (پ after ب, چ after ج, ژ after ز, گ after ک, which Unicode's
/// order puts after ی).
fn sort_key(name: &str, lang: Lang) -> Vec<u32> {
    const PERSIAN: &str = "آاأإبپتثجچحخدذرزژسشصضطظعغفقکگلمنوؤهةیئ";
    // Pashto's own letters where its alphabet puts them (ټ after ت, ځ and څ after چ …).
    const PASHTO: &str = "آاأإبپتټثجچځڅحخدډذرړزژږسشښصضطظعغفقکګگلمنڼوؤهةیېۍئ";
    name.to_lowercase()
        .chars()
        .map(|c| match (lang, c) {
            (Lang::Sv, 'å') => u32::from('z') + 1,
            (Lang::Sv, 'ä' | 'æ') => u32::from('z') + 2,
            (Lang::Sv, 'ö' | 'ø') => u32::from('z') + 3,
            // Norwegian: Æ, Ø, Å after Z, in that order.
            (Lang::Nb, 'æ' | 'ä') => u32::from('z') + 1,
            (Lang::Nb, 'ø' | 'ö') => u32::from('z') + 2,
            (Lang::Nb, 'å') => u32::from('z') + 3,
            (Lang::Ps, c) => {
                let c = match c {
                    'ك' => 'ک',
                    'ي' | 'ى' => 'ی',
                    'گ' => 'ګ',
                    other => other,
                };
                PASHTO
                    .chars()
                    .position(|p| p == c)
                    .map_or(u32::from(c) + 0x1_0000, |i| 0x600 + i as u32)
            }
            (Lang::Fa, c) => {
                let c = match c {
                    'ك' => 'ک',
                    'ي' | 'ى' => 'ی',
                    other => other,
                };
                PERSIAN
                    .chars()
                    .position(|p| p == c)
                    .map_or(u32::from(c) + 0x1_0000, |i| 0x600 + i as u32)
            }
            (_, c) => u32::from(match c {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
                'ç' => 'c',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ñ' => 'n',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                other => other,
            }),
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
    all.sort_by_cached_key(|c| sort_key(&c.1, lang));
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
    fn every_country_is_named_in_every_language_from_cldr() {
        assert_eq!(country_name("NL", Lang::Sv), "Nederländerna");
        assert_eq!(country_name("NL", Lang::Fa), "هالند");
        assert_eq!(country_name("NL", Lang::En), "Netherlands");
        assert_eq!(country_name("KR", Lang::Fa), "کوریای جنوبی");
        assert_eq!(country_name("BR", Lang::Sv), "Brasilien");
        let mut rows = 0;
        for line in include_str!("../../crates/hunar-core/src/country_names.tsv").lines() {
            if line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 7, "{line}");
            assert!(
                isocountry::CountryCode::for_alpha2(cols[0]).is_ok(),
                "{line}"
            );
            rows += 1;
        }
        // No country a buyer can choose is left in English on a Dari or Swedish page.
        for code in isocountry::CountryCode::iter().map(|c| c.alpha2()) {
            assert!(crate::country::name_in(code, "fa").is_some(), "{code}");
        }
        assert!(rows >= 249, "{rows}");
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
        // Each language's own alphabetical order.
        let sv = countries(Lang::Sv);
        let at = |list: &[(String, String)], code: &str| list.iter().position(|c| c.0 == code);
        assert!(at(&sv, "AT") > at(&sv, "ZW"), "Österrike after Zimbabwe");
        let fa = countries(Lang::Fa);
        assert!(at(&fa, "BE") < at(&fa, "PK"), "بلژیک before پاکستان");
        assert!(at(&fa, "PK") < at(&fa, "TR"), "پاکستان before ترکیه");
        assert!(at(&fa, "JP") < at(&fa, "SE"), "ژاپن before سویدن");
    }
}
