//! Money: an amount in integer minor units beside its ISO 4217 currency. Decimal amounts
//! from JSON are converted here, and only here, by the currency's exponent.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency that has minor units defined (so not XAU, XDR …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency `{0}`: expected an ISO 4217 code such as USD, SEK, EUR or AFN")]
    UnknownCurrency(String),
    #[error("{currency} has {exponent} decimal place(s); `{amount}` has more")]
    TooPrecise {
        amount: Decimal,
        currency: &'static str,
        exponent: u32,
    },
    #[error("amount must not be negative")]
    Negative,
    #[error("amount is too large")]
    TooLarge,
}

impl Currency {
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let unknown = || MoneyError::UnknownCurrency(code.chars().take(8).collect());
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(unknown());
        }
        let currency = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        // Funds and metals have no minor unit; they cannot price a painting.
        currency.exponent().ok_or_else(unknown)?;
        Ok(Self(currency))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Decimal places of the minor unit: 2 for USD and SEK, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A non-negative amount of one currency, exact to its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parses a decimal amount; more decimals than the currency has is an error, never a
    /// silent rounding ("10.005" USD is refused, "10.50" and "10.5" are the same).
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        let exponent = currency.exponent();
        if amount.normalize().scale() > exponent {
            return Err(MoneyError::TooPrecise {
                amount,
                currency: currency.code(),
                exponent,
            });
        }
        let factor = Decimal::from(10i64.pow(exponent));
        let minor = amount
            .checked_mul(factor)
            .and_then(|m| i64::try_from(m.trunc()).ok())
            .ok_or(MoneyError::TooLarge)?;
        Ok(Self { minor, currency })
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount with exactly the currency's decimal places: 50 USD is "50.00".
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }
}

/// How money travels in JSON: `{"amount": "50.00", "currency": "USD"}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyDto {
    #[schema(value_type = String, pattern = "^([1-9][0-9]{0,8}(\\.[0-9]{1,3})?|0\\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$", example = "50.00")]
    #[serde(deserialize_with = "wire::amount")]
    pub amount: Decimal,
    #[schema(value_type = wire::CurrencyCode)]
    pub currency: String,
}

impl From<Money> for MoneyDto {
    fn from(money: Money) -> Self {
        Self {
            amount: money.to_decimal(),
            currency: money.currency.code().to_string(),
        }
    }
}

/// Amounts, percentages and currencies as they travel in JSON: the OpenAPI description of
/// each, and the parsing that accepts exactly what the description says (so a client
/// generated from the document, or a fuzzer, meets no surprise either way).
pub mod wire {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::Deserialize;

    /// An amount a coordinator or a client sends: more than zero, at most nine digits
    /// before the point (no leading zero) and three after ("50", "1000.00", "0.5"). Whether
    /// its decimals suit its currency (two for USD, none for JPY) is checked beside the
    /// currency. Written without look-ahead, which not every validator has.
    pub const AMOUNT: &str =
        "^([1-9][0-9]{0,8}(\\.[0-9]{1,3})?|0\\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$";
    /// An amount the server writes: the ledger's may be negative.
    pub const SIGNED_AMOUNT: &str = "^-?[0-9]+(\\.[0-9]+)?$";
    /// A percentage from 0 to 100 with at most two decimals.
    pub const PERCENT: &str = "^(100(\\.0{1,2})?|[0-9]{1,2}(\\.[0-9]{1,2})?)$";
    /// A rate more than zero: at most nine digits before the point (no leading zero) and
    /// nine after, or below one with up to eight zeros before its first digit.
    pub const RATE: &str = "^([1-9][0-9]{0,8}(\\.[0-9]{1,9})?|0\\.0{0,8}[1-9][0-9]{0,8})$";
    /// An ISO 4217 code as the server writes it.
    pub const CURRENCY: &str = "^[A-Z]{3}$";

    fn digits(text: &str, min: usize, max: usize) -> bool {
        (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
    }

    /// `[1-9][0-9]{0,int-1}` then an optional point and 1..=`frac` digits; or `0.` and a
    /// fraction `below_one` accepts. The shape of `AMOUNT` and `RATE`.
    fn positive(
        text: &str,
        int: usize,
        frac: usize,
        below_one: fn(&str) -> bool,
    ) -> Option<Decimal> {
        let (whole, part) = match text.split_once('.') {
            Some((whole, part)) => (whole, Some(part)),
            None => (text, None),
        };
        let ok = if whole == "0" {
            part.is_some_and(below_one)
        } else {
            !whole.starts_with('0')
                && digits(whole, 1, int)
                && part.is_none_or(|p| digits(p, 1, frac))
        };
        ok.then(|| Decimal::from_str(text).ok()).flatten()
    }

    /// `AMOUNT`.
    pub fn parse_amount(text: &str) -> Option<Decimal> {
        positive(text, 9, 3, |part| {
            digits(part, 1, 3) && part.bytes().any(|b| b != b'0')
        })
    }

    /// `PERCENT`.
    pub fn parse_percent(text: &str) -> Option<Decimal> {
        let (whole, part) = match text.split_once('.') {
            Some((whole, part)) => (whole, Some(part)),
            None => (text, None),
        };
        let ok = if whole == "100" {
            part.is_none_or(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b == b'0'))
        } else {
            digits(whole, 1, 2) && part.is_none_or(|p| digits(p, 1, 2))
        };
        ok.then(|| Decimal::from_str(text).ok()).flatten()
    }

    /// `RATE`.
    pub fn parse_rate(text: &str) -> Option<Decimal> {
        positive(text, 9, 9, |part| {
            let zeros = part.bytes().take_while(|b| *b == b'0').count();
            let rest = &part[zeros..];
            zeros <= 8 && rest.starts_with(|c: char| ('1'..='9').contains(&c)) && digits(rest, 1, 9)
        })
    }

    fn with<'de, D: serde::Deserializer<'de>>(
        de: D,
        parse: fn(&str) -> Option<Decimal>,
        expected: &'static str,
    ) -> Result<Decimal, D::Error> {
        let text = String::deserialize(de)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom(expected))
    }

    pub fn amount<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Decimal, D::Error> {
        with(
            de,
            parse_amount,
            "expected an amount more than zero as a string of digits, at most 9 before the point and 3 after, e.g. \"50.00\"",
        )
    }

    pub fn percent<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Decimal, D::Error> {
        with(
            de,
            parse_percent,
            "expected a percentage from 0 to 100 with at most two decimals, e.g. \"10\" or \"12.5\"",
        )
    }

    pub fn optional_rate<'de, D: serde::Deserializer<'de>>(
        de: D,
    ) -> Result<Option<Decimal>, D::Error> {
        match Option::<String>::deserialize(de)? {
            None => Ok(None),
            Some(text) => parse_rate(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(
                    "expected a rate more than zero, at most 9 digits before the point and 9 after, e.g. \"71.25\"",
                )
            }),
        }
    }

    /// An ISO 4217 code with a minor unit, as a client sends it: exactly the codes
    /// `Currency::parse` takes, named once in the document (`CurrencyCode`).
    pub struct CurrencyCode;

    impl utoipa::PartialSchema for CurrencyCode {
        fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
            use iso_currency::IntoEnumIterator;
            let mut codes: Vec<&str> = iso_currency::Currency::iter()
                .filter(|c| super::Currency::parse(c.code()).is_ok())
                .map(|c| c.code())
                .collect();
            codes.sort_unstable();
            codes.dedup();
            crate::validate::schema::one_of(codes, false).into()
        }
    }

    impl utoipa::ToSchema for CurrencyCode {}

    #[cfg(test)]
    mod tests {
        use super::*;

        type Parser = fn(&str) -> Option<Decimal>;

        proptest::proptest! {
            #[test]
            fn the_parsers_take_exactly_what_the_patterns_say_for_any_text(
                sample in "[0-9.+-]{0,14}|0\\.0{0,9}[0-9]{0,10}"
            ) {
                for (pattern, parse) in [
                    (AMOUNT, parse_amount as Parser),
                    (PERCENT, parse_percent),
                    (RATE, parse_rate),
                ] {
                    let regex = regex::Regex::new(pattern).expect("a pattern");
                    proptest::prop_assert_eq!(
                        parse(&sample).is_some(),
                        regex.is_match(&sample),
                        "{} {:?}",
                        pattern,
                        sample
                    );
                }
            }
        }

        #[test]
        fn the_parsers_take_exactly_what_the_patterns_say() {
            let cases: [(&str, Parser); 3] = [
                (AMOUNT, parse_amount),
                (PERCENT, parse_percent),
                (RATE, parse_rate),
            ];
            let samples = [
                "",
                "0",
                "00",
                "1",
                "50",
                "50.00",
                "50.",
                ".5",
                "1.234",
                "1.2345",
                "-1",
                "+1",
                "1e3",
                "1_000",
                " 1",
                "1 ",
                "123456789",
                "1234567890",
                "100",
                "100.00",
                "100.01",
                "101",
                "99.99",
                "12.5",
                "0.0",
                "0.001",
                "71.25",
                "١٢",
                "0x10",
                "050",
                "000",
                "100.0",
                "100.000",
                "999",
                "0.5",
                "0.05",
                "0.005",
                "0.0005",
                "0.000",
                "0.000000001",
                "0.00000000012345678",
                "0.000000000",
                "0.0000000001",
                "1.123456789",
                "1.1234567891",
                "05",
                "0.",
            ];
            for (pattern, parse) in cases {
                let regex = regex::Regex::new(pattern).expect("a pattern");
                for sample in samples {
                    let documented = regex.is_match(sample);
                    assert_eq!(parse(sample).is_some(), documented, "{pattern} {sample:?}");
                }
            }
        }
    }
}

/// A stored amount with its currency's decimals ("50.00" USD, "1000" JPY).
pub fn stored_amount(minor: i64, currency_code: &str) -> Decimal {
    match Currency::parse(currency_code) {
        Ok(currency) => Money::from_minor(minor, currency).to_decimal(),
        // Stored currencies were validated on the way in; two decimals is the common case.
        Err(_) => Decimal::new(minor, 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal literal")
    }

    #[test]
    fn converts_by_exponent() {
        let usd = Currency::parse("USD").expect("usd");
        let sek = Currency::parse("SEK").expect("sek");
        let jpy = Currency::parse("JPY").expect("jpy");
        let kwd = Currency::parse("KWD").expect("kwd");
        assert_eq!(
            Money::from_decimal(dec("50.00"), usd).map(|m| m.minor()),
            Ok(5000)
        );
        assert_eq!(
            Money::from_decimal(dec("1234.5"), sek).map(|m| m.minor()),
            Ok(123450)
        );
        assert_eq!(
            Money::from_decimal(dec("1000"), jpy).map(|m| m.minor()),
            Ok(1000)
        );
        assert_eq!(
            Money::from_decimal(dec("1.234"), kwd).map(|m| m.minor()),
            Ok(1234)
        );
        assert_eq!(
            Money::from_minor(123450, sek).to_decimal().to_string(),
            "1234.50"
        );
        assert_eq!(
            Money::from_minor(1000, jpy).to_decimal().to_string(),
            "1000"
        );
    }

    #[test]
    fn refuses_what_it_cannot_represent() {
        let usd = Currency::parse("USD").expect("usd");
        let jpy = Currency::parse("JPY").expect("jpy");
        assert!(matches!(
            Money::from_decimal(dec("10.005"), usd),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::from_decimal(dec("1.5"), jpy),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert_eq!(
            Money::from_decimal(dec("-1"), usd),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::from_decimal(dec("99999999999999999999"), usd),
            Err(MoneyError::TooLarge)
        );
        for bad in ["usd", "XXX", "XAU", "US", "DOLLARS", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad} accepted");
        }
    }

    proptest::proptest! {
        /// Every amount survives decimal → minor units → decimal in every currency with a
        /// minor unit, and one digit more than the currency has is refused, never rounded.
        #[test]
        fn amounts_round_trip_by_exponent(
            index in 0usize..1000,
            minor in 0i64..=1_000_000_000_000,
            extra in 1i64..=9,
        ) {
            // Exponents 0 (JPY, ISK, CLP), 2 and 3 (KWD, BHD).
            let currencies: Vec<Currency> =
                ["USD", "SEK", "EUR", "AFN", "JPY", "ISK", "CLP", "KWD", "BHD"]
                    .into_iter()
                    .filter_map(|c| Currency::parse(c).ok())
                    .collect();
            let currency = currencies[index % currencies.len()];
            let money = Money::from_minor(minor, currency);
            let decimal = money.to_decimal();
            proptest::prop_assert_eq!(decimal.scale(), currency.exponent());
            proptest::prop_assert_eq!(Money::from_decimal(decimal, currency), Ok(money));
            let finer = Decimal::new(minor * 10 + extra, currency.exponent() + 1);
            proptest::prop_assert!(Money::from_decimal(finer, currency).is_err());
        }
    }
}
