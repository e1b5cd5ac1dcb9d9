//! The short reference an order goes by in payments, letters and the console.

/// Short reference for payments and letters: from the random end of the id.
pub fn reference(order_id: &str) -> String {
    let tail: Vec<char> = order_id.chars().filter(|c| *c != '-').collect();
    let last: String = tail[tail.len().saturating_sub(8)..].iter().collect();
    format!("HN-{}", last.to_uppercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn any_id_makes_a_reference() {
        assert_eq!(
            super::reference("0193a2b4-5c6d-7e8f-9012-3456789abcde"),
            "HN-789ABCDE"
        );
        // Ids from a URL can be anything: characters, not bytes, are cut.
        assert_eq!(super::reference("€€€"), "HN-€€€");
        assert_eq!(super::reference(""), "HN-");
    }
}
