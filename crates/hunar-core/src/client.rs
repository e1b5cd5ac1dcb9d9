//! Who is asking: the one client address that every limit and the audit log use. It is the
//! peer's address, unless the peer is a proxy named in `TRUSTED_PROXIES`; then it is the
//! rightmost forwarded hop that is not one of those proxies. Headers from anyone else are
//! ignored, so a forged `X-Forwarded-For` changes nothing.
use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

/// Which header the trusted proxies write. Only that one is read: a proxy passes on whatever
/// other forwarding header the client sent, so reading both would let the client choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (Caddy, nginx, most platforms).
    #[default]
    XForwardedFor,
    /// The standard `Forwarded: for=…` (RFC 7239).
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err("expected x-forwarded-for or forwarded".into()),
        }
    }
}

/// The proxies whose forwarding header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Comma-separated addresses or CIDR blocks (`10.0.0.0/8, ::1`); empty trusts nobody.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{item}` is not an IP address or CIDR block"))?;
            nets.push(net);
        }
        Ok(Self {
            nets,
            header: ForwardedHeader::default(),
        })
    }

    pub fn reading(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer`; `header` gives every value of the
    /// request's header of that name (the edge reads them from its own request type).
    pub fn client<'h>(&self, peer: IpAddr, header: impl Fn(&str) -> Vec<&'h [u8]>) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded_hops(header, self.header);
        // Each proxy appends the address it saw, so the right end is the most trustworthy.
        // The first hop from the right that is not one of ours is the client; what stands
        // left of it was written by the client and proves nothing.
        let mut nearest = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => nearest = *ip,
                Some(ip) => return *ip,
                // Garbage can only come from the client's side of the chain.
                None => return nearest,
            }
        }
        nearest
    }
}

/// IPv4 as itself; an IPv4-mapped IPv6 address as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The forwarded chain in `header`, left to right. An entry that is not an address
/// (`unknown`, an obfuscated name, garbage) is `None`.
fn forwarded_hops<'h>(
    headers: impl Fn(&str) -> Vec<&'h [u8]>,
    header: ForwardedHeader,
) -> Vec<Option<IpAddr>> {
    // Read leniently: nginx appends the address it saw to whatever the client sent, so a
    // byte above 0x7F from the client must not make the whole header unreadable (and the
    // proxy itself the client). Such a hop is garbage like any other, on the client's side.
    let joined = |name: &str| {
        let values: Vec<String> = headers(name)
            .into_iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    if header == ForwardedHeader::Forwarded {
        return joined("forwarded")
            .unwrap_or_default()
            .split(',')
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    key.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value.trim().trim_matches('"')))
                        .flatten()
                })
            })
            .collect();
    }
    joined("x-forwarded-for")
        .map(|xff| xff.split(',').map(|hop| parse_node(hop.trim())).collect())
        .unwrap_or_default()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The address limits count by: an IPv4 address, or the /64 an IPv6 address is in (one
/// household or server is given a whole /64, so counting single addresses would let one
/// client pass as millions).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The client of the current request, found once by [`identify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client(pub IpAddr);

impl Client {
    /// What limits count by (see [`limit_key`]).
    pub fn key(self) -> IpAddr {
        limit_key(self.0)
    }
}

tokio::task_local! {
    static CURRENT: Client;
}

/// The client of the request being served on this task, for records made deep in the
/// domain (the audit log) without passing it through every call.
pub fn current() -> Option<Client> {
    CURRENT.try_with(|c| *c).ok()
}

/// Runs `work` as the request of `client`, so [`current`] finds it.
pub async fn scope<F: Future>(client: Client, work: F) -> F::Output {
    CURRENT.scope(client, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    type Headers = Vec<(&'static str, &'static [u8])>;

    fn headers(pairs: &[(&'static str, &'static str)]) -> Headers {
        pairs.iter().map(|(n, v)| (*n, v.as_bytes())).collect()
    }

    /// Every value of one header, as the edge reads them from a request.
    fn of(headers: &Headers) -> impl Fn(&str) -> Vec<&'static [u8]> + '_ {
        |name| {
            headers
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .collect()
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([255, 255, 255, 255]))
    }

    #[test]
    fn headers_count_only_from_a_trusted_proxy() {
        let forged = headers(&[("x-forwarded-for", "1.2.3.4")]);
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.client(ip("203.0.113.9"), of(&forged)),
            ip("203.0.113.9")
        );

        let proxy = TrustedProxies::parse("10.0.0.0/8, ::1").expect("valid");
        assert_eq!(
            proxy.client(ip("203.0.113.9"), of(&forged)),
            ip("203.0.113.9")
        );
        assert_eq!(proxy.client(ip("10.1.2.3"), of(&forged)), ip("1.2.3.4"));
        // The client's own claim sits left of what our proxies appended.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(proxy.client(ip("10.0.0.1"), of(&chain)), ip("198.51.100.7"));
        // Several header lines are one list.
        let split = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxy.client(ip("::1"), of(&split)), ip("198.51.100.7"));
        // Garbage ends the chain at the nearest trusted hop.
        let garbage = headers(&[("x-forwarded-for", "1.2.3.4, nonsense, 10.0.0.2")]);
        assert_eq!(proxy.client(ip("10.0.0.1"), of(&garbage)), ip("10.0.0.2"));
        // No header at all: the proxy itself.
        assert_eq!(
            proxy.client(ip("10.0.0.1"), of(&Vec::new())),
            ip("10.0.0.1")
        );
        // A byte above 0x7F from the client, then what nginx appended: still that address.
        let unreadable: Headers = vec![("x-forwarded-for", b"1.2.3.4\xff, 198.51.100.7")];
        assert_eq!(
            proxy.client(ip("10.0.0.1"), of(&unreadable)),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_standard_forwarded_header_is_read_with_ports_and_brackets() {
        let proxy = TrustedProxies::parse("127.0.0.1")
            .expect("valid")
            .reading(ForwardedHeader::Forwarded);
        let h = headers(&[(
            "forwarded",
            r#"for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711";by=127.0.0.1"#,
        )]);
        assert_eq!(
            proxy.client(ip("127.0.0.1"), of(&h)),
            ip("2001:db8:cafe::17")
        );
        let v4_port = headers(&[("forwarded", r#"for="192.0.2.43:47011""#)]);
        assert_eq!(
            proxy.client(ip("127.0.0.1"), of(&v4_port)),
            ip("192.0.2.43")
        );
        assert_eq!(
            proxy.client(ip("::ffff:127.0.0.1"), of(&v4_port)),
            ip("192.0.2.43")
        );
    }

    #[test]
    fn only_the_header_the_proxy_writes_is_read() {
        // nginx appends to X-Forwarded-For and passes the client's own Forwarded through.
        let proxy = TrustedProxies::parse("127.0.0.1").expect("valid");
        let h = headers(&[
            ("forwarded", "for=6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxy.client(ip("127.0.0.1"), of(&h)), ip("198.51.100.7"));
        let forwarded = proxy.clone().reading(ForwardedHeader::Forwarded);
        let h = headers(&[
            ("forwarded", "for=198.51.100.7"),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        assert_eq!(
            forwarded.client(ip("127.0.0.1"), of(&h)),
            ip("198.51.100.7")
        );
        assert!(ForwardedHeader::parse("X-Real-IP").is_err());
    }

    #[test]
    fn bad_entries_are_refused_and_ipv6_is_counted_by_its_64() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
