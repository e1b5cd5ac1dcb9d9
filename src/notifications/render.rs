//! Templates: one plain-text template per email kind and language (first line `Subject:`),
//! and one HTML layout that presents the same text, escaped, left-to-right or right-to-left.
use std::sync::OnceLock;

use minijinja::{Environment, Value, context};

/// The values a template is rendered with.
pub type Context = Value;

use super::header_safe;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.html",
    "order_paid_artist.en.txt",
    "order_paid_artist.fa.txt",
    "order_paid_coordinator.en.txt",
    "order_paid_buyer.en.txt",
    "order_placed_buyer.en.txt",
    "order_placed_coordinator.en.txt",
    "order_shipped_buyer.en.txt",
    "order_shipped_artist.en.txt",
    "order_shipped_artist.fa.txt",
    "order_closed_buyer.en.txt",
    "order_closed_coordinator.en.txt",
    "signin_alert_coordinator.en.txt",
    "backup_failed_coordinator.en.txt",
    "payout_recorded_artist.en.txt",
    "payout_recorded_artist.fa.txt",
    "payment_instructions.en.txt",
    "payment_instructions.sv.txt",
    "payment_instructions.fa.txt",
    "contact.en.txt",
    "contact.sv.txt",
    "contact.fa.txt",
    "order_placed_buyer.sv.txt",
    "order_placed_buyer.fa.txt",
    "order_paid_buyer.sv.txt",
    "order_paid_buyer.fa.txt",
    "order_shipped_buyer.sv.txt",
    "order_shipped_buyer.fa.txt",
    "order_closed_buyer.sv.txt",
    "order_closed_buyer.fa.txt",
    "order_delivered_buyer.en.txt",
    "order_delivered_buyer.sv.txt",
    "order_delivered_buyer.fa.txt",
    "order_paid_claimed_coordinator.en.txt",
    "order_hold_ending_buyer.en.txt",
    "order_hold_ending_buyer.sv.txt",
    "order_hold_ending_buyer.fa.txt",
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        env.add_filter("quote", quote);
        for (name, source) in TEMPLATES {
            // The templates are compiled into the binary and checked by the tests; a broken
            // one is skipped here and reported when it is rendered.
            let _ = env.add_template(name, source);
        }
        env
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub language: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders `kind` in `language`, falling back to English when there is no translation.
pub fn render(kind: &str, language: &str, ctx: Value) -> Result<Rendered, minijinja::Error> {
    let env = env();
    let (template, language) = match env.get_template(&format!("{kind}.{language}.txt")) {
        Ok(t) => (t, language),
        Err(_) => (env.get_template(&format!("{kind}.en.txt"))?, "en"),
    };
    let output = template.render(ctx)?;
    let (first, rest) = output.split_once('\n').unwrap_or((&output, ""));
    let subject = header_safe(first.strip_prefix("Subject:").unwrap_or(first));
    let text = collapse_blank_lines(rest.trim());
    let paragraphs: Vec<Paragraph> = text.split("\n\n").map(Paragraph::of).collect();
    let dir = if language == "fa" || language == "ps" {
        "rtl"
    } else {
        "ltr"
    };
    let html = env.get_template("layout.html")?.render(context! {
        lang => language, dir => dir, subject => &subject, paragraphs => paragraphs,
    })?;
    Ok(Rendered {
        language: language.to_string(),
        subject,
        text,
        html,
    })
}

/// Someone else's words (a buyer's note) as a quote: every line behind `> `, so however
/// many paragraphs it has, none of them reads as the NGO's own, in the text and (as a
/// `<blockquote>`) in the HTML. Every kind of line break counts, not only `\n`.
fn quote(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split([
            '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
        ])
        .map(|line| match line.trim_end() {
            "" => ">".to_string(),
            line => format!("> {line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A paragraph of the text as the HTML layout shows it: a quote when every line is quoted.
#[derive(serde::Serialize)]
struct Paragraph<'a> {
    quote: bool,
    lines: Vec<&'a str>,
}

impl<'a> Paragraph<'a> {
    fn of(text: &'a str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let quote = !lines.is_empty() && lines.iter().all(|l| *l == ">" || l.starts_with("> "));
        let lines = if quote {
            lines
                .into_iter()
                .map(|l| l.strip_prefix("> ").unwrap_or(l.trim_start_matches('>')))
                .collect()
        } else {
            lines
        };
        Self { quote, lines }
    }
}

/// Renders a piece of text (no subject) in `language`, else in English: a part that pages
/// and emails share, such as how to pay.
pub fn render_text(kind: &str, language: &str, ctx: Value) -> Result<String, minijinja::Error> {
    let env = env();
    let template = env
        .get_template(&format!("{kind}.{language}.txt"))
        .or_else(|_| env.get_template(&format!("{kind}.en.txt")))?;
    Ok(collapse_blank_lines(template.render(ctx)?.trim()))
}

/// A moment as a buyer reads it: their local date and time, and the zone it is in
/// (`2026-12-13 22:14 (Europe/Stockholm)`); UTC, said so, when the zone is unknown.
pub fn local_time(at: chrono::DateTime<chrono::Utc>, time_zone: Option<&str>) -> String {
    match time_zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(zone) => format!(
            "{} ({})",
            at.with_timezone(&zone).format("%Y-%m-%d %H:%M"),
            zone.name()
        ),
        None => format!("{} (UTC)", at.format("%Y-%m-%d %H:%M")),
    }
}

/// Conditional blocks leave runs of empty lines; keep at most one.
fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
            out.push('\n');
        } else {
            blank = 0;
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn a_buyers_note_is_a_marked_quote_however_many_paragraphs_it_has() {
        let note =
            "Stockholm.\r\n\r\nThe coordinator asks: send a photo of your ID\u{2028}to +93 700";
        let ctx = context! { title => "T", artist_name => "A", reference => "HN-1",
        city => "Kabul", country_name => "Afghanistan", note => note };
        for language in ["en", "fa"] {
            let mail = render("order_paid_artist", language, ctx.clone()).expect("render");
            assert!(
                mail.text.contains(
                    "> Stockholm.\n>\n> The coordinator asks: send a photo of your ID\n> to +93 700"
                ),
                "{language}: {}",
                mail.text
            );
            // Not a line of the buyer's stands outside the quote.
            for line in mail
                .text
                .lines()
                .filter(|l| l.contains("coordinator asks") || l.contains("+93"))
            {
                assert!(line.starts_with("> "), "{language}: {line:?}");
            }
            assert!(
                mail.html.contains("3px solid #888; color: #333;\">Stockholm.<br><br>The coordinator asks: send a photo of your ID<br>to +93 700</blockquote>"),
                "{language}: {}",
                mail.html
            );
        }
        let coordinator = render("order_paid_coordinator", "en", ctx).expect("render");
        assert!(
            coordinator.text.contains("> The coordinator asks"),
            "{}",
            coordinator.text
        );
    }

    #[test]
    fn html_escapes_user_text_and_dari_is_rtl() {
        let ctx = context! { title => "<script>x</script>", artist_name => "A & B", reference => "HN-1",
        city => "Kabul", country_name => "Afghanistan", note => "" };
        let en = render("order_paid_artist", "en", ctx.clone()).expect("render");
        assert!(en.html.contains("&lt;script&gt;") && !en.html.contains("<script>"));
        assert!(en.html.contains("dir=\"ltr\""));
        assert!(
            en.text.contains("<script>x</script>"),
            "plain text is not escaped"
        );
        let fa = render("order_paid_artist", "fa", ctx.clone()).expect("render");
        assert!(fa.html.contains("dir=\"rtl\""));
        assert_eq!(fa.language, "fa");
        let ps = render("order_paid_artist", "ps", ctx).expect("render");
        assert_eq!(ps.language, "en", "no Pashto template yet: English");
    }
}
