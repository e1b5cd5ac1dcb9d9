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
    #[schema(value_type = String, example = "50.00")]
    pub amount: Decimal,
    #[schema(example = "USD")]
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
