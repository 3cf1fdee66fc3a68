//! The address lists from settings: allow, deny, and trusted proxies, as CIDR blocks.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::settings::GatewaySettings;

/// A list entry that is neither an address nor a CIDR block.
#[derive(Debug, thiserror::Error)]
#[error("gateway.{list}: `{entry}` is not an IP address or CIDR block")]
pub struct BadAddress {
    list: &'static str,
    entry: String,
}

/// The parsed lists.
#[derive(Debug, Default, Clone)]
pub struct IpPolicy {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
    trusted: Vec<IpNet>,
}

fn parse(list: &'static str, entries: &[String]) -> Result<Vec<IpNet>, BadAddress> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| BadAddress { list, entry: e.to_owned() })
        })
        .collect()
}

fn within(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(&ip))
}

impl IpPolicy {
    /// Parses the three lists of `settings`.
    pub fn from_settings(settings: &GatewaySettings) -> Result<Self, BadAddress> {
        Ok(Self {
            allow: parse("allow", &settings.allow)?,
            deny: parse("deny", &settings.deny)?,
            trusted: parse("trusted_proxies", &settings.trusted_proxies)?,
        })
    }

    /// Whether `ip` may connect: not denied, and allowed when there is an allow list.
    pub fn admits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        !within(&self.deny, ip) && (self.allow.is_empty() || within(&self.allow, ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then the nearest
    /// untrusted hop of `X-Forwarded-For`, read from the right (the left part is whatever the
    /// client wrote and proves nothing). A malformed hop stops the walk at the last trusted one.
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let mut client = peer?.to_canonical();
        if !within(&self.trusted, client) {
            return Some(client);
        }
        for hop in forwarded_for.unwrap_or_default().rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !within(&self.trusted, client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn policy(allow: &[&str], deny: &[&str], trusted: &[&str]) -> IpPolicy {
        let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        IpPolicy::from_settings(&GatewaySettings {
            allow: owned(allow),
            deny: owned(deny),
            trusted_proxies: owned(trusted),
            ..GatewaySettings::default()
        })
        .unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn deny_wins_over_allow_and_an_allow_list_closes_the_rest() {
        let p = policy(&["10.0.0.0/8", "192.168.1.7"], &["10.9.0.0/16"], &[]);
        assert!(p.admits(ip("10.1.2.3")));
        assert!(p.admits(ip("192.168.1.7")));
        assert!(!p.admits(ip("192.168.1.8")));
        assert!(!p.admits(ip("10.9.4.4")));
        assert!(p.admits(ip("::ffff:10.1.2.3")), "IPv4-mapped addresses match IPv4 blocks");
        let open = policy(&[], &["2001:db8::/32"], &[]);
        assert!(open.admits(ip("8.8.8.8")));
        assert!(!open.admits(ip("2001:db8::1")));
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let p = policy(&[], &[], &["127.0.0.1", "10.0.0.0/8"]);
        // An untrusted peer's header is ignored.
        assert_eq!(p.client_ip(Some(ip("203.0.113.5")), Some("1.2.3.4")), Some(ip("203.0.113.5")));
        // Behind two trusted hops, the nearest untrusted one is the client; spoofed left parts do not count.
        assert_eq!(
            p.client_ip(Some(ip("127.0.0.1")), Some("6.6.6.6, 198.51.100.9, 10.1.1.1")),
            Some(ip("198.51.100.9"))
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(p.client_ip(Some(ip("127.0.0.1")), Some("198.51.100.9, nonsense")), Some(ip("127.0.0.1")));
        assert_eq!(p.client_ip(Some(ip("127.0.0.1")), None), Some(ip("127.0.0.1")));
        assert_eq!(p.client_ip(None, Some("1.2.3.4")), None);
    }

    #[test]
    fn bad_entries_are_refused_with_the_list_named() {
        let bad = IpPolicy::from_settings(&GatewaySettings {
            deny: vec!["10.0.0.0/33".into()],
            ..GatewaySettings::default()
        })
        .unwrap_err();
        assert!(bad.to_string().contains("gateway.deny"), "{bad}");
    }
}
