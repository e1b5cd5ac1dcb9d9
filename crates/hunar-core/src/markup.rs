//! HTML escaping shared by the pages and the emails: what HTML needs (`& < > " '`) and
//! nothing more, so urls keep their slashes (a link in an email reads as it is).

/// Escapes text for HTML and XML content and attribute values (outside templates).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
