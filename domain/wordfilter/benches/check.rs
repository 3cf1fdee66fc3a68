//! Checks of a 100-char bilingual message against 50,000 words (`cargo bench -p
//! tidings-wordfilter`): the common case, no match, and a message with two matches (a masked
//! Chinese word and a flagged English one). Target: at most 5 µs a check.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tidings_wordfilter::{Action, Filter, ListSpec};

#[path = "support/words.rs"]
#[allow(dead_code)]
mod words;

/// Words in the benchmark's filter.
const WORDS: usize = 50_000;

/// The three lists: the first 20% reject, the next 50% mask, the rest flag.
fn filter(all: &[String]) -> Filter {
    let (reject, rest) = all.split_at(all.len() / 5);
    let (mask, flag) = rest.split_at(all.len() / 2);
    let lists = [
        ListSpec { action: Action::Reject, words: reject },
        ListSpec { action: Action::Mask, words: mask },
        ListSpec { action: Action::Flag, words: flag },
    ];
    match Filter::build(&lists) {
        Ok(filter) => filter,
        Err(e) => panic!("the benchmark's words are valid: {e}"),
    }
}

fn check(c: &mut Criterion) {
    let all = words::word_list(WORDS, 7);
    let filter = filter(&all);
    // The first generated message that matches nothing (the first one, in practice).
    let quiet = (100..).map(|seed| words::message(100, seed)).find(|m| filter.check(m).is_none()).unwrap_or_default();
    assert_eq!(quiet.chars().count(), 100);
    // Two matches: a Chinese word of the Mask list and an English word of the Flag list.
    let masked = all[WORDS / 5..].iter().find(|w| !w.is_ascii()).cloned().unwrap_or_default();
    let flagged = all[WORDS * 7 / 10..].iter().find(|w| w.is_ascii()).cloned().unwrap_or_default();
    let base: Vec<char> = quiet.chars().collect();
    let room = 100 - masked.chars().count() - flagged.chars().count() - 3;
    let (head, tail) = base[..room].split_at(room / 2);
    let noisy = format!("{}{masked} {} {flagged} ", head.iter().collect::<String>(), tail.iter().collect::<String>());
    let verdict = filter.check(&noisy);
    assert!(verdict.as_ref().is_some_and(|v| v.masked.is_some() && v.flagged == [2]), "{noisy}: {verdict:?}");

    let mut group = c.benchmark_group("check 50k words");
    group.bench_function("100 chars, no match", |b| b.iter(|| filter.check(black_box(&quiet))));
    group.bench_function("100 chars, two matches", |b| b.iter(|| filter.check(black_box(&noisy))));
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
