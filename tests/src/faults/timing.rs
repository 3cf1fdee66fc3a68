//! The timing checks: delivery outside and after faults, what every device holds at the end,
//! `/readyz` during hangs, and send latency during hangs.
//!
//! A fault's window for delivery runs from [`PRE_GRACE`] before its start (a message acked just
//! before a fault has its 2 s to arrive while the fault strikes) to [`GRACE`] after its heal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::check::Evidence;
use super::record::{AckRecord, ConnRecord};
use super::report::{CheckResult, dur, percentile};

/// After a heal, delivery is still judged as during the fault this long.
pub const GRACE: Duration = Duration::from_secs(2);
/// Before a fault's start, delivery is already judged as during the fault this long.
pub const PRE_GRACE: Duration = Duration::from_secs(2);
/// A push must arrive this soon after the ack outside fault windows.
pub const PUSH_WITHIN: Duration = Duration::from_secs(2);
/// A connection counts for a message only if it opened at least this long before the ack (its
/// route being registered is not instantaneous).
pub const CONNECTED_BEFORE: Duration = Duration::from_millis(500);
/// Target time from a hang's start to a non-200 `/readyz`.
pub const READY_TARGET: Duration = Duration::from_secs(5);
/// Target answer time of a send during a Redis or broker hang.
pub const SEND_TARGET: Duration = Duration::from_millis(500);

/// Arrivals of one message at one device: (time, connection, by push).
type Arrivals = Vec<(Instant, u64, bool)>;

/// The connection of device `conns` open from [`CONNECTED_BEFORE`] before `t` to 2 s after it.
fn connected_through(conns: &[ConnRecord], t: Instant) -> Option<&ConnRecord> {
    conns.iter().find(|c| c.opened + CONNECTED_BEFORE <= t && c.closed.is_none_or(|x| x >= t + PUSH_WITHIN))
}

/// Delivery outside and after fault windows: two verdicts.
pub fn delivery(ev: &Evidence<'_>) -> (CheckResult, CheckResult) {
    let mut out = CheckResult::new("delivery-steady");
    let mut after = CheckResult::new("delivery-after-fault");
    let arrivals: Vec<HashMap<(&str, u64), Arrivals>> = ev
        .logs
        .iter()
        .map(|l| {
            let mut m: HashMap<(&str, u64), Arrivals> = HashMap::new();
            for (r, push) in l.pushes.iter().map(|r| (r, true)).chain(l.caught.iter().map(|r| (r, false))) {
                m.entry((r.conv.as_str(), r.seq)).or_default().push((r.at, r.conn, push));
            }
            m
        })
        .collect();
    let (mut pairs_out, mut pairs_in, mut skipped) = (0u64, 0u64, 0u64);
    let mut delays = Vec::new();
    let mut miss_by_window: HashMap<usize, u64> = HashMap::new();
    let mut steady_by_last: HashMap<Option<usize>, u64> = HashMap::new();
    for a in ev.acks() {
        let Some(conv) = ev.world.conv(&a.conv) else { continue };
        let covering: Vec<usize> = (0..ev.windows.len())
            .filter(|&k| {
                let w = &ev.windows[k];
                a.at + PRE_GRACE >= w.start && a.at <= w.heal + GRACE
            })
            .collect();
        let heal = covering.iter().map(|&k| ev.windows[k].heal).max();
        for d in conv.members.iter().flat_map(|&m| ev.world.users[m].devices.iter().copied()) {
            if d == a.device {
                continue;
            }
            let Some(link) = connected_through(&ev.logs[d].conns, a.at) else {
                skipped += 1;
                continue;
            };
            let got = arrivals[d].get(&(a.conv.as_str(), a.seq)).map_or(&[][..], Vec::as_slice);
            match heal {
                None => {
                    pairs_out += 1;
                    let pushed = got.iter().filter(|(_, c, p)| *p && *c == link.id).map(|(t, _, _)| *t).min();
                    match pushed {
                        Some(t) if t <= a.at + PUSH_WITHIN => delays.push(t.saturating_duration_since(a.at)),
                        _ => {
                            let last = (0..ev.windows.len()).rev().find(|&k| ev.windows[k].heal <= a.at);
                            *steady_by_last.entry(last).or_default() += 1;
                            out.example(miss(ev, a, d, link, pushed, got, a.at));
                        }
                    }
                }
                Some(heal) => {
                    pairs_in += 1;
                    let from = a.at.max(heal);
                    let first = got.iter().map(|(t, _, _)| *t).min();
                    if first.is_none_or(|t| t > from + ev.heartbeat + GRACE) {
                        *miss_by_window.entry(covering[0]).or_default() += 1;
                        after.example(miss(ev, a, d, link, first, got, from));
                    }
                }
            }
        }
    }
    delays.sort_unstable();
    out.pass = pairs_out > 0 && out.examples_total == 0;
    out.summary = format!(
        "{pairs_out} (message, connected device) pairs outside fault windows, {} without a push within {}",
        out.examples_total,
        dur(PUSH_WITHIN)
    );
    out.figure("pairs", pairs_out);
    out.figure("missed", out.examples_total as u64);
    out.figure("push_p50", dur(percentile(&delays, 50.0)));
    out.figure("push_p99", dur(percentile(&delays, 99.0)));
    out.figure("push_max", dur(delays.last().copied().unwrap_or_default()));
    out.figure("pairs_not_connected_throughout", skipped);
    let mut by_last: Vec<(Option<usize>, u64)> = steady_by_last.into_iter().collect();
    by_last.sort_unstable();
    let by_last: Vec<String> = by_last
        .iter()
        .map(|(k, n)| {
            k.map_or_else(
                || format!("before any fault:{n}"),
                |k| format!("after #{} {}:{n}", k + 1, ev.windows[k].kind.name()),
            )
        })
        .collect();
    out.figure("missed_by_previous_fault", by_last.join(", "));
    after.pass = after.examples_total == 0;
    after.summary = format!(
        "{pairs_in} pairs acked in fault windows, {} not held within heartbeat + {} of the later of ack and heal",
        after.examples_total,
        dur(GRACE)
    );
    after.figure("pairs", pairs_in);
    after.figure("missed", after.examples_total as u64);
    let mut per: Vec<(usize, u64)> = miss_by_window.into_iter().collect();
    per.sort_unstable();
    let per: Vec<String> = per.iter().map(|(k, n)| format!("#{}:{n}", k + 1)).collect();
    after.figure("missed_by_window", per.join(" "));
    (out, after)
}

/// One miss as an example line.
fn miss(
    ev: &Evidence<'_>,
    a: &AckRecord,
    d: usize,
    link: &ConnRecord,
    first: Option<Instant>,
    got: &[(Instant, u64, bool)],
    from: Instant,
) -> String {
    let how = match first {
        Some(t) => {
            let by =
                got.iter().find(|(at, _, _)| *at == t).map_or("?", |(_, _, p)| if *p { "push" } else { "catch-up" });
            format!("got by {by} after {}", dur(t.saturating_duration_since(from)))
        }
        None => match got.iter().map(|(t, _, _)| *t).min() {
            Some(t) => format!("only by catch-up after {}", dur(t.saturating_duration_since(from))),
            None => "never got it".to_owned(),
        },
    };
    format!(
        "{} seq {} acked by {} at {} → {} on {}: {how}",
        ev.label(&a.conv),
        a.seq,
        ev.id(a.instance),
        ev.at(a.at),
        ev.world.devices[d].name,
        ev.id(link.instance)
    )
}

/// After the final catch-up every recipient device holds every acked message.
pub fn complete(ev: &Evidence<'_>) -> CheckResult {
    let mut c = CheckResult::new("catch-up-final");
    let held: Vec<std::collections::HashSet<(&str, u64)>> = ev
        .logs
        .iter()
        .map(|l| l.pushes.iter().chain(l.caught.iter()).map(|r| (r.conv.as_str(), r.seq)).collect())
        .collect();
    let (mut pairs, mut missing) = (0u64, 0u64);
    for a in ev.acks() {
        let Some(conv) = ev.world.conv(&a.conv) else { continue };
        for d in conv.members.iter().flat_map(|&m| ev.world.users[m].devices.iter().copied()) {
            if d == a.device {
                continue;
            }
            pairs += 1;
            if !held[d].contains(&(a.conv.as_str(), a.seq)) {
                missing += 1;
                let name = &ev.world.devices[d].name;
                c.example(format!("{} seq {} (acked {}) never reached {name}", ev.label(&a.conv), a.seq, ev.at(a.at)));
            }
        }
    }
    let unfinished: Vec<&str> =
        ev.logs.iter().filter(|l| !l.final_done).map(|l| ev.world.devices[l.device].name.as_str()).collect();
    c.pass = pairs > 0 && missing == 0 && unfinished.is_empty();
    c.summary = format!("{pairs} (message, recipient device) pairs, {missing} missing after the final catch-up");
    c.figure("pairs", pairs);
    c.figure("missing", missing);
    c.figure("final_catch_up_unfinished", unfinished.join(" "));
    c
}

/// During each hang, `/readyz` of the instance turns non-200 within [`READY_TARGET`].
pub fn readiness(ev: &Evidence<'_>) -> CheckResult {
    let mut c = CheckResult::new("readyz-during-hang");
    let mut misses = 0;
    let mut times = Vec::new();
    for p in ev.probes {
        let w = &ev.windows[p.window];
        let label = format!("#{} {} on {}", p.window + 1, w.kind.name(), ev.id(p.instance));
        let again = p.ready_again.map_or_else(
            || "not ready again within 10s of heal".to_owned(),
            |d| format!("ready {} after heal", dur(d)),
        );
        match p.first_not_ready {
            Some((t, status)) => {
                times.push(format!("{label}: {status} after {}", dur(t)));
                if t > READY_TARGET {
                    misses += 1;
                    c.example(format!(
                        "{label}: first non-200 after {} (target {}); {again}",
                        dur(t),
                        dur(READY_TARGET)
                    ));
                }
            }
            None => {
                misses += 1;
                times.push(format!("{label}: never"));
                c.example(format!(
                    "{label}: /readyz never answered non-200 ({} polls, {} timed out); {again}",
                    p.polls, p.timeouts
                ));
            }
        }
    }
    c.pass = misses == 0;
    c.summary = if ev.probes.is_empty() {
        "no hang in the schedule".to_owned()
    } else {
        format!("{} hangs, {misses} without a non-200 /readyz within {}", ev.probes.len(), dur(READY_TARGET))
    };
    c.figure("hangs", ev.probes.len() as u64);
    c.figure("first_not_ready", times.join("; "));
    c
}

/// During each Redis or broker hang, every send attempt to the instance is answered (ack or
/// error) within [`SEND_TARGET`].
pub fn send_latency(ev: &Evidence<'_>) -> CheckResult {
    let mut c = CheckResult::new("send-latency-in-hang");
    let (mut total, mut slow, mut unanswered) = (0u64, 0u64, 0u64);
    let mut all = Vec::new();
    let mut per = Vec::new();
    for (k, w) in ev.windows.iter().enumerate().filter(|(_, w)| w.kind.is_hang()) {
        let Some(i) = w.instance else { continue };
        let mut lat = Vec::new();
        let mut none = 0u64;
        for a in ev
            .logs
            .iter()
            .flat_map(|l| l.attempts.iter())
            .filter(|a| a.instance == i && a.sent >= w.start && a.sent <= w.heal)
        {
            total += 1;
            match &a.answer {
                Some((t, how)) => {
                    let d = t.saturating_duration_since(a.sent);
                    lat.push(d);
                    if d > SEND_TARGET {
                        slow += 1;
                        c.example(format!(
                            "#{} {}: {} sent {} answered {how} after {}",
                            k + 1,
                            w.kind.name(),
                            a.cmid,
                            ev.at(a.sent),
                            dur(d)
                        ));
                    }
                }
                None => {
                    none += 1;
                    let why = a.gave_up.unwrap_or("run ended");
                    c.example(format!(
                        "#{} {}: {} sent {} never answered ({why})",
                        k + 1,
                        w.kind.name(),
                        a.cmid,
                        ev.at(a.sent)
                    ));
                }
            }
        }
        unanswered += none;
        lat.sort_unstable();
        per.push(format!(
            "#{} {} on {}: {} attempts, p50 {}, p99 {}, max {}, unanswered {none}",
            k + 1,
            w.kind.name(),
            ev.id(i),
            lat.len() as u64 + none,
            dur(percentile(&lat, 50.0)),
            dur(percentile(&lat, 99.0)),
            dur(lat.last().copied().unwrap_or_default())
        ));
        all.extend(lat);
    }
    all.sort_unstable();
    let hangs = per.len();
    c.pass = (hangs == 0 || total > 0) && slow + unanswered == 0;
    c.summary = format!(
        "{total} attempts to hung instances, {slow} answered after {}, {unanswered} never answered",
        dur(SEND_TARGET)
    );
    c.figure("attempts", total);
    c.figure("p50", dur(percentile(&all, 50.0)));
    c.figure("p99", dur(percentile(&all, 99.0)));
    c.figure("max", dur(all.last().copied().unwrap_or_default()));
    c.figure("per_hang", per.join("; "));
    c
}

/// Every fault was applied and healed (a restarted instance ready, a drained one exited 0).
pub fn faults(ev: &Evidence<'_>) -> CheckResult {
    let mut c = CheckResult::new("faults");
    for (k, w) in ev.windows.iter().enumerate() {
        if let Some(e) = &w.error {
            c.example(format!("#{} {}: {e}", k + 1, w.kind.name()));
        }
    }
    c.pass = !ev.windows.is_empty() && c.examples_total == 0;
    c.summary = format!("{} faults applied, {} failed to apply or heal", ev.windows.len(), c.examples_total);
    c
}
