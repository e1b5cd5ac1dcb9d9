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
    "order_paid_artist.ps.txt",
    "order_shipped_artist.ps.txt",
    "payout_recorded_artist.ps.txt",
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
    "order_waiting_buyer.en.txt",
    "order_waiting_buyer.sv.txt",
    "order_waiting_buyer.fa.txt",
    "contact.de.txt",
    "contact.nb.txt",
    "payment_instructions.de.txt",
    "payment_instructions.nb.txt",
    "order_placed_buyer.de.txt",
    "order_placed_buyer.nb.txt",
    "order_paid_buyer.de.txt",
    "order_paid_buyer.nb.txt",
    "order_shipped_buyer.de.txt",
    "order_shipped_buyer.nb.txt",
    "order_closed_buyer.de.txt",
    "order_closed_buyer.nb.txt",
    "order_delivered_buyer.de.txt",
    "order_delivered_buyer.nb.txt",
    "order_hold_ending_buyer.de.txt",
    "order_hold_ending_buyer.nb.txt",
    "order_waiting_buyer.de.txt",
    "order_waiting_buyer.nb.txt",
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        // Escape what HTML needs, not `/`: a link reads in the HTML as in the text.
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::None
                || value.is_safe()
                || value.is_none()
            {
                return minijinja::escape_formatter(out, state, value);
            }
            let text = match value.as_str() {
                Some(s) => s.to_string(),
                None => value.to_string(),
            };
            out.write_str(&crate::markup::escape(&text)).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        });
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

/// The emails an artist is sent.
const ARTIST_KINDS: [&str; 3] = [
    "order_paid_artist",
    "order_shipped_artist",
    "payout_recorded_artist",
];

/// Whether every email an artist is sent is written in `language`: a language an artist may
/// be given only then, or they would be told they chose it and read English.
pub fn artist_texts_in(language: &str) -> bool {
    ARTIST_KINDS.iter().all(|kind| {
        let name = format!("{kind}.{language}.txt");
        TEMPLATES.iter().any(|(n, _)| *n == name)
    })
}

/// Renders `kind` in `language`, falling back to English when there is no translation.
pub fn render(kind: &str, language: &str, ctx: Value) -> Result<Rendered, minijinja::Error> {
    let env = env();
    let (template, language) = match env.get_template(&format!("{kind}.{language}.txt")) {
        Ok(t) => (t, language),
        Err(_) => (env.get_template(&format!("{kind}.en.txt"))?, "en"),
    };
    let output = template.render(ctx.clone())?;
    let (first, rest) = output.split_once('\n').unwrap_or((&output, ""));
    let subject = header_safe(first.strip_prefix("Subject:").unwrap_or(first));
    let text = collapse_blank_lines(rest.trim());
    // Links Hunar itself made for this email; nothing a buyer or coordinator typed becomes
    // a link, so a name or a note cannot put a clickable address into the NGO's words.
    let links: Vec<String> = [
        "order_link",
        "confirm_link",
        "admin_link",
        "tracking_link",
        "page_link",
    ]
    .into_iter()
    .filter_map(|key| ctx.get_attr(key).ok())
    .filter_map(|v| v.as_str().map(str::to_string))
    .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
    .collect();
    let paragraphs: Vec<Paragraph> = text
        .split("\n\n")
        .map(|p| Paragraph::of(p, &links))
        .collect();
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

/// A paragraph of the text as the HTML layout shows it: a quote when every line is quoted,
/// each line in parts, some of them links.
#[derive(serde::Serialize)]
struct Paragraph<'a> {
    quote: bool,
    lines: Vec<Vec<Part<'a>>>,
}

#[derive(serde::Serialize)]
struct Part<'a> {
    text: &'a str,
    link: bool,
}

impl<'a> Paragraph<'a> {
    fn of(text: &'a str, links: &[String]) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let quote = !lines.is_empty() && lines.iter().all(|l| *l == ">" || l.starts_with("> "));
        let lines = if quote {
            // Someone else's words: never a link.
            lines
                .into_iter()
                .map(|l| l.strip_prefix("> ").unwrap_or(l.trim_start_matches('>')))
                .map(|l| {
                    vec![Part {
                        text: l,
                        link: false,
                    }]
                })
                .collect()
        } else {
            lines.into_iter().map(|l| parts(l, links)).collect()
        };
        Self { quote, lines }
    }
}

/// A line cut around the links it holds: the email's own (`links`), and the NGO's WhatsApp
/// chat (`https://wa.me/` and digits, made from its number).
fn parts<'a>(line: &'a str, links: &[String]) -> Vec<Part<'a>> {
    let next_link = |from: usize| -> Option<(usize, usize)> {
        let rest = &line[from..];
        let own = links
            .iter()
            .filter_map(|l| rest.find(l.as_str()).map(|at| (at, at + l.len())));
        let chat = rest.find("https://wa.me/").map(|at| {
            let digits = rest[at + 14..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 14);
            (at, at + 14 + digits)
        });
        own.chain(chat)
            .min_by_key(|(at, end)| (*at, std::cmp::Reverse(*end)))
            .map(|(at, end)| (from + at, from + end))
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((start, end)) = next_link(at) {
        if start > at {
            out.push(Part {
                text: &line[at..start],
                link: false,
            });
        }
        out.push(Part {
            text: &line[start..end],
            link: true,
        });
        at = end;
    }
    if at < line.len() || out.is_empty() {
        out.push(Part {
            text: &line[at..],
            link: false,
        });
    }
    out
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
    fn only_the_links_hunar_made_are_links_in_the_html() {
        let ctx = context! { title => "T", artist_name => "A", reference => "HN-1",
        city => "https://evil.example/login", country_name => "Sweden",
        note => "see https://evil.example/pay",
        order_link => "https://shop.example/orders/1?token=abc&x=1",
        instructions => "Pay by https://wa.me/46701234567 or bank" };
        let mail = render("order_placed_buyer", "en", ctx.clone()).expect("render");
        assert!(
            mail.html
                .contains("<a href=\"https://shop.example/orders/1?token=abc&amp;x=1\">"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("href=\"https://evil"), "{}", mail.html);
        let artist = render("order_paid_artist", "en", ctx).expect("render");
        assert!(!artist.html.contains("<a "), "{}", artist.html);
        let line = parts("Ask on https://wa.me/46701234567, or write", &[]);
        let linked: Vec<&str> = line.iter().filter(|p| p.link).map(|p| p.text).collect();
        assert_eq!(linked, ["https://wa.me/46701234567"]);
        assert_eq!(
            line.iter().map(|p| p.text).collect::<String>(),
            "Ask on https://wa.me/46701234567, or write"
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
        assert_eq!(ps.language, "ps");
        assert!(ps.html.contains("dir=\"rtl\""));
    }

    #[test]
    fn a_language_has_artist_texts_only_when_every_artist_email_is_written_in_it() {
        assert!(super::artist_texts_in("en"));
        assert!(super::artist_texts_in("fa"));
        assert!(super::artist_texts_in("ps"));
        assert!(
            !super::artist_texts_in("sv"),
            "Swedish is for buyers, not artists"
        );
    }
}
