//! The administrators' word lists as every instance applies them: the lists live in storage,
//! one automaton over all of them lives in memory, and each instance polls the lists' stamps
//! (a read of a few dozen short rows) every [`POLL`] and rebuilds when one moved, so a change
//! made on any instance applies everywhere within a second. The instance that made the change
//! rebuilds before answering.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tidings_domain::content::{ContentSubject, FilterAction, FilterList, FilterStamp, FlaggedContent, new_filter_id};
use tidings_domain::ports::{FilterStore, FlagQuery, FlagStore};
use tidings_domain::{Clock, ConvId, UserId};
use tidings_wordfilter::{Filter, ListSpec};

use crate::error::AppError;

/// How often an instance looks for lists changed elsewhere.
pub const POLL: Duration = Duration::from_millis(500);

/// Most lists.
pub const MAX_LISTS: usize = 64;

/// Longest list name.
const MAX_NAME_CHARS: usize = 64;

/// Longest excerpt kept with a flag.
const MAX_EXCERPT_CHARS: usize = 500;

/// What the filter found in one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    /// The name of a Reject list that matched.
    pub rejected_by: Option<String>,
    /// The text with Mask lists' words masked, when one matched.
    pub masked: Option<String>,
    /// Names of Flag lists that matched.
    pub flagged: Vec<String>,
    /// The words that matched.
    pub words: Vec<String>,
}

/// The lists in memory: their automaton, names and stamps.
struct Loaded {
    filter: Filter,
    names: Vec<String>,
    stamps: Vec<FilterStamp>,
}

/// A new or replacing list, as an administrator sends it.
#[derive(Debug, Clone)]
pub struct ListInput {
    /// Unique name.
    pub name: String,
    /// What a match does.
    pub action: FilterAction,
    /// The words (blank lines are dropped).
    pub words: Vec<String>,
}

/// Where the text checked by a Flag list came from, for the review list.
#[derive(Debug, Clone)]
pub struct FlagSource {
    /// What kind of text.
    pub subject: ContentSubject,
    /// Who wrote it.
    pub author: UserId,
    /// The conversation of a message or edit.
    pub conv: Option<ConvId>,
    /// The `client_msg_id` of a message, the seq of an edited message.
    pub reference: Option<String>,
}

/// The word lists, their automaton and the review list.
pub struct WordFilters {
    store: Arc<dyn FilterStore>,
    flags: Arc<dyn FlagStore>,
    clock: Arc<dyn Clock>,
    current: ArcSwap<Loaded>,
    /// One rebuild at a time.
    rebuild: tokio::sync::Mutex<()>,
}

impl WordFilters {
    /// Loads the lists and starts polling for changes made elsewhere.
    pub async fn start(
        store: Arc<dyn FilterStore>,
        flags: Arc<dyn FlagStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, AppError> {
        let empty = Loaded { filter: Filter::empty(), names: Vec::new(), stamps: Vec::new() };
        let me =
            Arc::new(Self { store, flags, clock, current: ArcSwap::from_pointee(empty), rebuild: Default::default() });
        me.refresh().await?;
        let weak = Arc::downgrade(&me);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(me) = weak.upgrade() else { return };
                if let Err(e) = me.refresh().await {
                    tracing::warn!(error = %e, "word lists not reloaded");
                }
            }
        });
        Ok(me)
    }

    /// Whether no list has a word (the send path then skips the filter).
    pub fn is_empty(&self) -> bool {
        self.current.load().filter.is_empty()
    }

    /// Checks `text` against every list; `None` when nothing matched.
    pub fn screen(&self, text: &str) -> Option<Screened> {
        let loaded = self.current.load();
        if loaded.filter.is_empty() {
            return None;
        }
        let verdict = loaded.filter.check(text)?;
        let name = |i: usize| loaded.names.get(i).cloned().unwrap_or_default();
        Some(Screened {
            rejected_by: verdict.rejected_by.map(name),
            masked: verdict.masked,
            flagged: verdict.flagged.into_iter().map(name).collect(),
            words: verdict.words,
        })
    }

    /// Keeps flagged text for review, off the caller's path (a failed write is logged).
    pub fn record_flag(&self, source: FlagSource, text: &str, screened: &Screened) {
        let flagged = FlaggedContent {
            id: 0,
            at: self.clock.now_ms(),
            subject: source.subject,
            author: source.author,
            conv: source.conv,
            reference: source.reference,
            lists: screened.flagged.clone(),
            words: screened.words.clone(),
            excerpt: text.chars().take(MAX_EXCERPT_CHARS).collect(),
        };
        let flags = self.flags.clone();
        tokio::spawn(async move {
            if let Err(e) = flags.record(&flagged).await {
                tracing::error!(error = %e, "flagged content not recorded");
            }
        });
    }

    /// The review list, newest first.
    pub async fn flagged(&self, query: FlagQuery) -> Result<Vec<FlaggedContent>, AppError> {
        Ok(self.flags.list(query).await?)
    }

    /// Every list (with its words).
    pub async fn lists(&self) -> Result<Vec<FilterList>, AppError> {
        Ok(self.store.all().await?)
    }

    /// One list.
    pub async fn get(&self, id: &str) -> Result<FilterList, AppError> {
        self.store.get(id).await?.ok_or(AppError::NotFound("filter list"))
    }

    /// Creates a list; it applies on this instance before this returns, elsewhere within [`POLL`].
    pub async fn create(&self, input: ListInput) -> Result<FilterList, AppError> {
        self.write(None, input).await
    }

    /// Replaces a list's name, action and words.
    pub async fn replace(&self, id: &str, input: ListInput) -> Result<FilterList, AppError> {
        self.get(id).await?;
        self.write(Some(id.to_owned()), input).await
    }

    /// Deletes a list.
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        if !self.store.delete(id).await? {
            return Err(AppError::NotFound("filter list"));
        }
        self.refresh().await
    }

    async fn write(&self, id: Option<String>, input: ListInput) -> Result<FilterList, AppError> {
        let name = input.name.trim().to_owned();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::InvalidField(format!(
                "name must be 1 to {MAX_NAME_CHARS} characters, without control characters"
            )));
        }
        let words = clean_words(input.words)?;
        let mut others = self.store.all().await?;
        others.retain(|l| Some(&l.id) != id.as_ref());
        if id.is_none() && others.len() >= MAX_LISTS {
            return Err(AppError::Conflict(format!("there are {MAX_LISTS} lists already")));
        }
        let list =
            FilterList { id: id.unwrap_or_else(new_filter_id), name, action: input.action, words, updated_at: 0 };
        let list = FilterList { updated_at: self.stamp().await?, ..list };
        // The lists as they will be: refused here (with the word at fault) if they break a
        // bound or hold a word that is empty once normalized.
        others.push(list.clone());
        others.sort_by(|a, b| a.id.cmp(&b.id));
        let filter = build(others.clone()).await?;
        if !self.store.put(&list).await? {
            return Err(AppError::Conflict(format!("a list named {} exists", list.name)));
        }
        // The automaton just built is the one to use, unless another change landed meanwhile.
        let turn = self.rebuild.lock().await;
        let stamps = self.store.stamps().await?;
        if stamps == stamps_of(&others) {
            self.current.store(Arc::new(Loaded {
                filter,
                names: others.iter().map(|l| l.name.clone()).collect(),
                stamps,
            }));
            return Ok(list);
        }
        drop(turn);
        self.refresh().await?;
        Ok(list)
    }

    /// A stamp later than every list's, so a poller always sees the change.
    async fn stamp(&self) -> Result<i64, AppError> {
        let latest = self.store.stamps().await?.iter().map(|s| s.updated_at).max().unwrap_or(0);
        Ok(self.clock.now_ms().max(latest + 1))
    }

    /// Rebuilds the automaton if any list changed since the last build.
    async fn refresh(&self) -> Result<(), AppError> {
        let _one = self.rebuild.lock().await;
        let stamps = self.store.stamps().await?;
        if stamps == self.current.load().stamps {
            return Ok(());
        }
        let lists = self.store.all().await?;
        let stamps = stamps_of(&lists);
        let names = lists.iter().map(|l| l.name.clone()).collect();
        let started = std::time::Instant::now();
        let filter = build(lists).await?;
        tracing::info!(
            words = filter.word_count(),
            took_ms = started.elapsed().as_millis() as u64,
            "word lists loaded"
        );
        self.current.store(Arc::new(Loaded { filter, names, stamps }));
        Ok(())
    }
}

/// The stamps of `lists` (ordered by id, as the store answers them).
fn stamps_of(lists: &[FilterList]) -> Vec<FilterStamp> {
    lists.iter().map(|l| FilterStamp { id: l.id.clone(), updated_at: l.updated_at }).collect()
}

/// Trimmed; blank ones and ones without a letter or digit dropped; a word may not hold a line
/// break.
fn clean_words(words: Vec<String>) -> Result<Vec<String>, AppError> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        let word = word.trim();
        // Blank, or no letter or digit: separators are skipped, so it could never match.
        if tidings_wordfilter::normalize_word(word).is_empty() {
            continue;
        }
        if word.contains(['\n', '\r']) {
            return Err(AppError::InvalidField("a word may not contain a line break".into()));
        }
        out.push(word.to_owned());
    }
    if out.len() > tidings_wordfilter::MAX_WORDS {
        return Err(AppError::InvalidField(format!("a list holds at most {} words", tidings_wordfilter::MAX_WORDS)));
    }
    Ok(out)
}

/// The automaton over `lists`, built off the async workers (large lists take a while).
async fn build(lists: Vec<FilterList>) -> Result<Filter, AppError> {
    tokio::task::spawn_blocking(move || {
        let specs: Vec<ListSpec<'_>> = lists.iter().map(|l| ListSpec { action: l.action, words: &l.words }).collect();
        Filter::build(&specs).map_err(|e| AppError::InvalidField(e.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(format!("word list build: {e}")))?
}
