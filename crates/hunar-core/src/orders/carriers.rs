//! The carriers a painting is usually sent with, and where a buyer follows a parcel. A
//! coordinator may still type any other name; it is shown as written, with no link.

/// A carrier Hunar knows: its usual name, and its tracking page with `{number}` in it.
pub struct Carrier {
    pub name: &'static str,
    tracking: &'static str,
}

/// The posts of the countries supporters buy from, the couriers that ship from Kabul, and
/// Afghan Post (no tracking page a buyer abroad can use, so no link).
pub const CARRIERS: &[Carrier] = &[
    Carrier {
        name: "PostNord",
        tracking: "https://tracking.postnord.com/se/?id={number}",
    },
    Carrier {
        name: "Posten Bring",
        tracking: "https://sporing.posten.no/sporing/{number}",
    },
    Carrier {
        name: "Deutsche Post DHL",
        tracking: "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
    },
    Carrier {
        name: "Österreichische Post",
        tracking: "https://www.post.at/s/sendungsdetails?snr={number}",
    },
    Carrier {
        name: "DHL Express",
        tracking: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    },
    Carrier {
        name: "UPS",
        tracking: "https://www.ups.com/track?tracknum={number}",
    },
    Carrier {
        name: "FedEx",
        tracking: "https://www.fedex.com/fedextrack/?trknbr={number}",
    },
    Carrier {
        name: "Afghan Post",
        tracking: "",
    },
];

/// The known carrier a typed name means (case and spaces aside), if any.
pub fn known(name: &str) -> Option<&'static Carrier> {
    let wanted = squeeze(name);
    CARRIERS.iter().find(|c| squeeze(c.name) == wanted)
}

/// Where the parcel `number` sent with `carrier` is followed, if the carrier has such a page.
/// The number goes into the address percent-encoded, whatever was typed.
pub fn tracking_url(carrier: &str, number: &str) -> Option<String> {
    let carrier = known(carrier)?;
    if carrier.tracking.is_empty() {
        return None;
    }
    // Carriers print numbers in groups ("RR 123 456 789 SE"); their pages want them whole.
    let number: String = number.split_whitespace().collect();
    let number: String = form_urlencoded::byte_serialize(number.as_bytes()).collect();
    Some(carrier.tracking.replace("{number}", &number))
}

/// The names to suggest in the console, in the order above.
pub fn names() -> impl Iterator<Item = &'static str> {
    CARRIERS.iter().map(|c| c.name)
}

fn squeeze(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{known, tracking_url};

    #[test]
    fn a_known_carrier_links_to_its_tracking_page_and_others_do_not() {
        assert_eq!(
            tracking_url("postnord", " RR123456789SE ").as_deref(),
            Some("https://tracking.postnord.com/se/?id=RR123456789SE")
        );
        assert_eq!(known("Posten  bring").map(|c| c.name), Some("Posten Bring"));
        // Typed text cannot leave the number's place in the address.
        assert_eq!(
            tracking_url("UPS", "1Z&x=<y> #").as_deref(),
            Some("https://www.ups.com/track?tracknum=1Z%26x%3D%3Cy%3E%23")
        );
        assert_eq!(
            tracking_url("Posten Bring", "RR 123 456 789 NO").as_deref(),
            Some("https://sporing.posten.no/sporing/RR123456789NO")
        );
        assert_eq!(tracking_url("Afghan Post", "RR1AF"), None);
        assert_eq!(tracking_url("پست افغانستان", "RR1AF"), None);
        assert_eq!(tracking_url("my cousin", "1"), None);
    }
}
