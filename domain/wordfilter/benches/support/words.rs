//! Deterministic word lists and messages for the benchmark and the build-size example: the
//! same seed gives the same words on every machine.

/// A small deterministic generator (SplitMix64); the figures need repeatable input, not quality.
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }

    /// A CJK ideograph of the common block (U+4E00–U+9FA5, the GB/Big5 era set).
    pub fn ideograph(&mut self) -> char {
        char::from_u32(0x4E00 + self.below(0x9FA5 - 0x4E00 + 1) as u32).unwrap_or('中')
    }

    /// A lowercase ASCII letter.
    pub fn letter(&mut self) -> char {
        char::from(b'a' + self.below(26) as u8)
    }

    /// `len` chars drawn by `draw`.
    pub fn run(&mut self, len: u64, draw: fn(&mut Self) -> char) -> String {
        (0..len).map(|_| draw(self)).collect()
    }
}

/// `n` distinct words: six in ten are 2–4 Chinese chars, the rest 4–10 ASCII letters.
pub fn word_list(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    // Hashes, not copies, of the words seen: the build-size example measures the filter, not this.
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut words = Vec::with_capacity(n);
    while words.len() < n {
        let word = if rng.below(10) < 6 {
            let len = 2 + rng.below(3);
            rng.run(len, Rng::ideograph)
        } else {
            let len = 4 + rng.below(7);
            rng.run(len, Rng::letter)
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&word, &mut hasher);
        if seen.insert(std::hash::Hasher::finish(&hasher)) {
            words.push(word);
        }
    }
    words
}

/// A chat message of about `chars` chars: runs of Chinese and English words, with spaces and
/// some punctuation, as a bilingual chat reads.
pub fn message(chars: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut text = String::new();
    while text.chars().count() < chars {
        if rng.below(2) == 0 {
            let len = 3 + rng.below(6);
            text.push_str(&rng.run(len, Rng::ideograph));
            text.push(if rng.below(3) == 0 { '，' } else { ' ' });
        } else {
            let len = 2 + rng.below(7);
            text.push_str(&rng.run(len, Rng::letter));
            text.push(if rng.below(4) == 0 { ',' } else { ' ' });
        }
    }
    text.chars().take(chars).collect()
}
