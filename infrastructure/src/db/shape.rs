//! Statement texts that recur. The MySQL driver keeps each connection's prepared statements in
//! a small cache (sqlx: 100), and a statement whose text is new evicts the oldest: its
//! `COM_STMT_CLOSE` goes out right before the next `PREPARE`, two writes with no answer between,
//! which on a socket without `TCP_NODELAY` (sqlx sets none) waits for the server's delayed ACK,
//! ~40 ms. A list statement built for every length (an `IN` of 1, 2, 3, … keys, an `INSERT` of
//! 1, 2, 3, … rows) made hundreds of texts and kept the cache churning (docs/benchmarks.md,
//! "Cluster"). So lists come in few lengths: a list that may hold a key twice is padded to the
//! next power of four by repeating its last item; rows that may not repeat (an `INSERT` that
//! must meet a unique key once) are split into runs whose lengths are powers of two.

/// The length a list of `n` items is padded to: the next power of four (1, 4, 16, 64, 256, …).
pub(crate) fn padded_len(n: usize) -> usize {
    let mut len = 1;
    while len < n {
        len *= 4;
    }
    len
}

/// `items` padded to [`padded_len`] by repeating the last one. For lists where an item twice
/// means the same as once: `IN` lists, rows of an idempotent upsert, derived tables joined on a
/// key.
pub(crate) fn padded<T: Clone>(mut items: Vec<T>) -> Vec<T> {
    if let Some(last) = items.last().cloned() {
        items.resize(padded_len(items.len()), last);
    }
    items
}

/// `items` in runs whose lengths are powers of two, longest first (37 items: 32, 4, 1). For
/// rows that must each appear once.
pub(crate) fn power_of_two_runs<T>(mut items: &[T]) -> Vec<&[T]> {
    let mut runs = Vec::new();
    while !items.is_empty() {
        let run = 1 << items.len().ilog2();
        let (head, rest) = items.split_at(run);
        runs.push(head);
        items = rest;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_few_lengths() {
        let lens: Vec<usize> = [1, 2, 4, 5, 16, 17, 64, 65, 200, 256].into_iter().map(padded_len).collect();
        assert_eq!(lens, [1, 4, 4, 16, 16, 64, 64, 256, 256, 256]);
        assert_eq!(padded(vec![1, 2, 3, 4, 5]), [1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
        assert!(padded(Vec::<u8>::new()).is_empty());
    }

    #[test]
    fn rows_split_in_powers_of_two() {
        let rows: Vec<usize> = (0..37).collect();
        let runs = power_of_two_runs(&rows);
        assert_eq!(runs.iter().map(|r| r.len()).collect::<Vec<_>>(), [32, 4, 1]);
        assert_eq!(runs.concat(), rows, "every row once, in order");
        assert!(power_of_two_runs::<u8>(&[]).is_empty());
    }
}
