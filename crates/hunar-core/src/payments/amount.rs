//! Stripe's minor units. Mostly the ISO 4217 exponent, with the exceptions Stripe documents
//! (https://docs.stripe.com/currencies#special-cases): a few zero-decimal currencies are
//! sent with two decimals, and three-decimal currencies must end in 0.
use super::PaymentError;
use crate::money::Currency;

/// ISO says zero decimals, Stripe wants the amount ×100 (and it must stay a whole unit).
const SENT_WITH_TWO_DECIMALS: [&str; 2] = ["ISK", "UGX"];
const THREE_DECIMALS: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// The `unit_amount` Stripe expects for `minor` units (by ISO exponent) of `currency`.
pub fn to_stripe(minor: i64, currency: Currency) -> Result<i64, PaymentError> {
    let code = currency.code();
    if minor <= 0 {
        return Err(PaymentError::Amount(format!(
            "a card payment needs a positive amount, not {minor} {code}"
        )));
    }
    if SENT_WITH_TWO_DECIMALS.contains(&code) {
        return minor
            .checked_mul(100)
            .ok_or_else(|| PaymentError::Amount(format!("{minor} {code} is too large")));
    }
    if THREE_DECIMALS.contains(&code) && minor % 10 != 0 {
        return Err(PaymentError::Amount(format!(
            "Stripe takes {code} only in steps of 0.010; {minor} thousandths is not one"
        )));
    }
    Ok(minor)
}

/// The reverse, to compare what Stripe reports with the order's amount.
pub fn from_stripe(amount: i64, currency: Currency) -> i64 {
    if SENT_WITH_TWO_DECIMALS.contains(&currency.code()) {
        amount / 100
    } else {
        amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn stripe_units(amount: &str, code: &str) -> Result<i64, String> {
        let currency = Currency::parse(code).map_err(|e| e.to_string())?;
        let money = Money::from_decimal(
            Decimal::from_str(amount).map_err(|e| e.to_string())?,
            currency,
        )
        .map_err(|e| e.to_string())?;
        to_stripe(money.minor(), currency).map_err(|e| e.to_string())
    }

    #[test]
    fn converts_by_each_currencys_decimals() {
        assert_eq!(stripe_units("1250", "SEK"), Ok(125_000));
        assert_eq!(stripe_units("1250.50", "SEK"), Ok(125_050));
        assert_eq!(stripe_units("49.99", "USD"), Ok(4_999));
        assert_eq!(stripe_units("5000", "JPY"), Ok(5_000));
        assert_eq!(stripe_units("2000", "ISK"), Ok(200_000));
        assert_eq!(stripe_units("12.340", "KWD"), Ok(12_340));
        assert_eq!(
            from_stripe(200_000, Currency::parse("ISK").expect("iso")),
            2_000
        );
    }

    #[test]
    fn refuses_what_the_currency_cannot_express() {
        assert!(
            stripe_units("49.999", "USD").is_err(),
            "three decimals in USD"
        );
        assert!(stripe_units("1250.5", "JPY").is_err(), "decimals in JPY");
        assert!(
            stripe_units("12.345", "KWD").is_err(),
            "Stripe's KWD ends in 0"
        );
        assert!(stripe_units("0", "SEK").is_err(), "nothing to pay");
    }
}
