//! The pure part of choosing a server: which servers to ask, how discovery's answer and the
//! configured servers make one candidate list, and how the latency probe reorders it without
//! undoing discovery's choice between servers that are about as fast.

use tidings_protocol::discovery::DiscoveredInstance;

use super::ServerCandidate;
use crate::config::is_http_url;
use crate::rest::base_url;

/// Round trips this close to the fastest count as equally fast: `min * 1.5 + 5 ms`. Jitter of a
/// few milliseconds must not move a device off its home instance (on a LAN or loopback every
/// instance answers within it).
fn tolerance_ms(min_rtt_ms: u64) -> u64 {
    min_rtt_ms.saturating_add(min_rtt_ms / 2).saturating_add(5)
}

/// `urls` without repeats (the first of equal addresses stays), trailing slashes trimmed.
fn unique(urls: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for url in urls.into_iter().map(|u| base_url(&u)) {
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// The servers to ask for discovery, in order: the last one a connection succeeded on, then
/// the configured ones.
pub(super) fn ask_order(last_good: Option<String>, configured: &[String]) -> Vec<String> {
    unique(last_good.into_iter().chain(configured.iter().cloned()))
}

/// A configured server as a candidate: nothing known of it but its address.
pub(super) fn plain(url: String) -> ServerCandidate {
    ServerCandidate { url, id: String::new(), zone: String::new(), load: 0.0, rtt_ms: None }
}

/// The candidate list: discovery's instances in its order (best first), then the configured
/// servers it did not name, as the fallback. An instance without an http(s) URL is skipped.
pub(super) fn merge(instances: &[DiscoveredInstance], configured: &[String]) -> Vec<ServerCandidate> {
    let mut out: Vec<ServerCandidate> = Vec::new();
    let found = instances.iter().filter(|i| is_http_url(&i.url)).map(|i| ServerCandidate {
        url: base_url(&i.url),
        id: i.id.clone(),
        zone: i.zone.clone(),
        load: i.load,
        rtt_ms: None,
    });
    for candidate in found.chain(unique(configured.iter().cloned()).into_iter().map(plain)) {
        if !out.iter().any(|c| c.url == candidate.url) {
            out.push(candidate);
        }
    }
    out
}

/// Orders probed candidates: those within the tolerance of the fastest first, in the order they
/// came (discovery's), then the slower ones by round trip, then the unreachable ones (no
/// `rtt_ms`) in the order they came.
pub(super) fn rank(candidates: Vec<ServerCandidate>) -> Vec<ServerCandidate> {
    let Some(min) = candidates.iter().filter_map(|c| c.rtt_ms).min() else { return candidates };
    let limit = tolerance_ms(min);
    let (mut reachable, unreachable): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| c.rtt_ms.is_some());
    // Stable: equally fast candidates keep their order.
    reachable.sort_by_key(|c| c.rtt_ms.filter(|rtt| *rtt > limit).unwrap_or(0));
    reachable.extend(unreachable);
    reachable
}

/// Moves `url` to the end of the list (a server the client is leaving: draining).
pub(super) fn demote(candidates: &mut Vec<ServerCandidate>, url: &str) {
    if let Some(i) = candidates.iter().position(|c| c.url == url) {
        let left = candidates.remove(i);
        candidates.push(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, url: &str) -> DiscoveredInstance {
        DiscoveredInstance {
            id: id.into(),
            url: url.into(),
            ws_url: format!("{}/ws", url.replacen("http", "ws", 1)),
            zone: "eu".into(),
            connections: 10,
            capacity: 100,
            load: 0.1,
            draining: false,
        }
    }

    fn probed(url: &str, rtt_ms: Option<u64>) -> ServerCandidate {
        ServerCandidate { rtt_ms, ..plain(url.into()) }
    }

    fn urls(candidates: &[ServerCandidate]) -> Vec<&str> {
        candidates.iter().map(|c| c.url.as_str()).collect()
    }

    #[test]
    fn the_last_good_server_is_asked_first_and_nothing_twice() {
        let configured = vec!["http://a".to_owned(), "http://b/".to_owned()];
        assert_eq!(ask_order(Some("http://b".into()), &configured), ["http://b", "http://a"]);
        assert_eq!(ask_order(Some("http://c".into()), &configured), ["http://c", "http://a", "http://b"]);
        assert_eq!(ask_order(None, &configured), ["http://a", "http://b"]);
    }

    #[test]
    fn discovery_comes_first_and_configured_servers_fill_in_behind() {
        let answer = [instance("b2", "http://b:2/"), instance("b1", "http://b:1"), instance("x", "ftp://nope")];
        let configured = vec!["http://a".to_owned(), "http://b:1".to_owned()];
        let merged = merge(&answer, &configured);
        assert_eq!(urls(&merged), ["http://b:2", "http://b:1", "http://a"]);
        assert_eq!((merged[0].id.as_str(), merged[0].zone.as_str(), merged[0].load), ("b2", "eu", 0.1));
        assert_eq!(merged[1].id, "b1", "a configured server discovery named keeps discovery's facts");
        assert_eq!((merged[2].id.as_str(), merged[2].load), ("", 0.0), "a fallback is only an address");
        assert_eq!(urls(&merge(&[], &configured)), ["http://a", "http://b:1"]);
    }

    #[test]
    fn the_fastest_wins_but_near_ties_keep_discoverys_order() {
        // Loopback: 0-3 ms are all "equally fast"; discovery's home stays first.
        let ranked = rank(vec![probed("home", Some(3)), probed("other", Some(0)), probed("far", Some(6))]);
        assert_eq!(urls(&ranked), ["home", "other", "far"], "6 ms is past 0 * 1.5 + 5");
        // A clearly faster candidate wins; the slower ones follow by round trip.
        let ranked = rank(vec![probed("home", Some(80)), probed("mid", Some(40)), probed("near", Some(20))]);
        assert_eq!(urls(&ranked), ["near", "mid", "home"]);
        // Within min * 1.5 + 5 (20 -> 35): equal; 36 is slower.
        let ranked = rank(vec![probed("a", Some(36)), probed("b", Some(35)), probed("c", Some(20))]);
        assert_eq!(urls(&ranked), ["b", "c", "a"]);
    }

    #[test]
    fn unreachable_candidates_go_last_in_their_order() {
        let ranked =
            rank(vec![probed("dead1", None), probed("slow", Some(500)), probed("dead2", None), probed("ok", Some(2))]);
        assert_eq!(urls(&ranked), ["ok", "slow", "dead1", "dead2"]);
        // Nothing answered: the order stays as it was (discovery's, then the fallback).
        assert_eq!(urls(&rank(vec![probed("x", None), probed("y", None)])), ["x", "y"]);
    }

    #[test]
    fn a_draining_server_is_moved_to_the_end() {
        let mut list = vec![probed("a", None), probed("b", None), probed("c", None)];
        demote(&mut list, "a");
        assert_eq!(urls(&list), ["b", "c", "a"]);
        demote(&mut list, "zzz");
        assert_eq!(urls(&list), ["b", "c", "a"]);
    }
}
