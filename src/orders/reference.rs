//! The short reference an order goes by in payments, letters and the console.

/// Short reference for payments and letters: from the random end of the id.
pub fn reference(order_id: &str) -> String {
    let tail: String = order_id.chars().filter(|c| *c != '-').collect();
    format!("HN-{}", tail[tail.len().saturating_sub(8)..].to_uppercase())
}
