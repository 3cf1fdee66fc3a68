//! Build time and memory of a filter of N generated words, for the bounds in the crate doc:
//! `/usr/bin/time -v target/release/examples/build_size 500000` (peak memory is time's "Maximum
//! resident set size"); `build_size 500000 words-only` stops before the build, to subtract the
//! word list itself.

use std::error::Error;
use std::io::Write;
use std::time::Instant;

use tidings_wordfilter::{Action, Filter, ListSpec};

#[path = "../benches/support/words.rs"]
#[allow(dead_code)]
mod words;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().as_deref().unwrap_or("50000").parse()?;
    let words_only = args.next().as_deref() == Some("words-only");
    let all = words::word_list(n, 7);
    let mut out = std::io::stdout().lock();
    if words_only {
        writeln!(out, "{n} words generated, no filter built")?;
        return Ok(());
    }
    let (reject, flag) = all.split_at(n / 2);
    let started = Instant::now();
    let filter = Filter::build(&[
        ListSpec { action: Action::Reject, words: reject },
        ListSpec { action: Action::Flag, words: flag },
    ])?;
    let took = started.elapsed();
    writeln!(out, "{} words, built in {} ms", filter.word_count(), took.as_millis())?;
    Ok(())
}
