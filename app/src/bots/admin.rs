//! Administering AI bots: creating one creates its account (role `bot`, no password, direct
//! messages from anyone) and its configuration in one transaction; deleting one removes the
//! configuration and disables the account (its messages stay, it answers no more).

use std::sync::Arc;

use tidings_domain::account::{Role, User};
use tidings_domain::admin::UserAdminStore;
use tidings_domain::bots::{ApiKey, BotConfig, Budgets, Limits, Usage, day_of};
use tidings_domain::ports::BotStore;
use tidings_domain::{Clock, StoreError, UserId};

use super::BotDirectory;
use crate::admin::AdminService;
use crate::error::AppError;

/// Longest system prompt (characters): 4,000 escaped at worst 12 bytes each stay under the
/// default `limits.max_http_body_bytes`, so a too-long prompt is refused by name, not by size.
const MAX_PROMPT_CHARS: usize = 4_000;

/// The model settings of a bot; on a change, `None` keeps what is set.
#[derive(Debug, Clone, Default)]
pub struct BotInput {
    /// Shown name.
    pub display_name: Option<String>,
    /// The API's base URL (`http://` or `https://`).
    pub base_url: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// API key (never returned).
    pub api_key: Option<ApiKey>,
    /// System prompt.
    pub system_prompt: Option<String>,
    /// 0..=2.
    pub temperature: Option<f32>,
    /// Stream the answer.
    pub stream: Option<bool>,
    /// Budgets to set (each `Some` replaces; 0 = no limit).
    pub budgets: Budgets,
}

/// A bot to create.
#[derive(Debug, Clone)]
pub struct NewBot {
    /// Its account's login name (never used to log in).
    pub username: String,
    /// Its settings; `base_url` and `model` are required.
    pub input: BotInput,
}

/// A bot's spending of one day against its limits.
#[derive(Debug, Clone, Copy)]
pub struct BotUsageView {
    /// The UTC day (days since the Unix epoch).
    pub day: i64,
    /// The bot's total.
    pub total: Usage,
    /// One user's part, when asked.
    pub user: Option<Usage>,
    /// The limits in force (defaults filled in; 0 = none).
    pub limits: Limits,
}

/// The `/admin/v1/bots` use cases.
pub struct BotAdmin {
    store: Arc<dyn BotStore>,
    directory: Arc<BotDirectory>,
    admin: Arc<AdminService>,
    accounts: Arc<dyn UserAdminStore>,
    clock: Arc<dyn Clock>,
    defaults: Limits,
}

impl BotAdmin {
    /// Wires the service; `defaults` fill the budgets a bot leaves unset.
    pub fn new(
        store: Arc<dyn BotStore>,
        directory: Arc<BotDirectory>,
        admin: Arc<AdminService>,
        accounts: Arc<dyn UserAdminStore>,
        clock: Arc<dyn Clock>,
        defaults: Limits,
    ) -> Self {
        Self { store, directory, admin, accounts, clock, defaults }
    }

    /// Creates the bot's account and configuration together.
    pub async fn create(&self, new: NewBot) -> Result<(User, BotConfig), AppError> {
        let now = self.clock.now_ms();
        let i = new.input;
        let id = UserId::generate();
        let name = i.display_name.clone().map(|n| n.trim().to_owned()).unwrap_or_else(|| new.username.clone());
        let user = User {
            display_name: self.admin.screened_name(&id, &name)?,
            id,
            username: new.username,
            created_at: now,
            role: Role::Bot,
            disabled_at: None,
        };
        let config = BotConfig {
            user_id: user.id.clone(),
            base_url: i.base_url.ok_or_else(|| AppError::InvalidField("base_url: required".into()))?,
            model: i.model.ok_or_else(|| AppError::InvalidField("model: required".into()))?,
            api_key: i.api_key.unwrap_or_else(|| ApiKey::new("")),
            system_prompt: i.system_prompt.unwrap_or_default(),
            temperature: i.temperature.unwrap_or(0.7),
            stream: i.stream.unwrap_or(true),
            budgets: i.budgets,
            created_at: now,
            updated_at: now,
        };
        check(&config)?;
        match self.store.create(&user, &config).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => return Err(AppError::UsernameTaken),
            Err(e) => return Err(e.into()),
        }
        self.directory.refresh().await;
        tracing::info!(bot = %user.id, model = %config.model, "bot created");
        Ok((user, config))
    }

    /// Every bot with its account.
    pub async fn list(&self) -> Result<Vec<(User, BotConfig)>, AppError> {
        let configs = self.store.all().await?;
        let mut out = Vec::with_capacity(configs.len());
        for c in configs {
            out.push((self.admin.user(c.user_id.as_str()).await?, c));
        }
        Ok(out)
    }

    /// One bot with its account.
    pub async fn get(&self, id: &str) -> Result<(User, BotConfig), AppError> {
        let uid = UserId::parse(id).ok_or(AppError::NotFound("bot"))?;
        let config = self.store.get(&uid).await?.ok_or(AppError::NotFound("bot"))?;
        Ok((self.admin.user(id).await?, config))
    }

    /// Changes what `input` sets.
    pub async fn update(&self, id: &str, i: BotInput) -> Result<(User, BotConfig), AppError> {
        let (mut user, mut c) = self.get(id).await?;
        if let Some(v) = i.base_url {
            c.base_url = v;
        }
        if let Some(v) = i.model {
            c.model = v;
        }
        if let Some(v) = i.api_key {
            c.api_key = v;
        }
        if let Some(v) = i.system_prompt {
            c.system_prompt = v;
        }
        if let Some(v) = i.temperature {
            c.temperature = v;
        }
        if let Some(v) = i.stream {
            c.stream = v;
        }
        let b = i.budgets;
        c.budgets = Budgets {
            requests_per_day: b.requests_per_day.or(c.budgets.requests_per_day),
            tokens_per_day: b.tokens_per_day.or(c.budgets.tokens_per_day),
            user_requests_per_day: b.user_requests_per_day.or(c.budgets.user_requests_per_day),
            user_tokens_per_day: b.user_tokens_per_day.or(c.budgets.user_tokens_per_day),
        };
        c.updated_at = self.clock.now_ms();
        check(&c)?;
        if !self.store.update(&c).await? {
            return Err(AppError::NotFound("bot"));
        }
        if let Some(name) = i.display_name.map(|n| n.trim().to_owned())
            && name != user.display_name
        {
            let name = self.admin.screened_name(&user.id, &name)?;
            user = self.accounts.update_profile(&user.id, &name, Role::Bot).await?.ok_or(AppError::NotFound("bot"))?;
        }
        self.directory.refresh().await;
        Ok((user, c))
    }

    /// Removes the configuration and disables the account.
    pub async fn delete(&self, actor: &UserId, id: &str) -> Result<(), AppError> {
        let uid = UserId::parse(id).ok_or(AppError::NotFound("bot"))?;
        if !self.store.delete(&uid).await? {
            return Err(AppError::NotFound("bot"));
        }
        self.admin.disable(actor, id).await?;
        self.directory.refresh().await;
        tracing::info!(bot = %uid, "bot deleted; its account is disabled");
        Ok(())
    }

    /// Today's (UTC) usage of the bot, and of one user with it when `user` is given.
    pub async fn usage(&self, id: &str, user: Option<&str>) -> Result<BotUsageView, AppError> {
        let (_, c) = self.get(id).await?;
        let day = day_of(self.clock.now_ms());
        let total = self.store.usage(&c.user_id, None, day).await?;
        let user = match user {
            Some(raw) => {
                let uid = UserId::parse(raw).ok_or_else(|| AppError::InvalidField("user_id: not a user id".into()))?;
                Some(self.store.usage(&c.user_id, Some(&uid), day).await?)
            }
            None => None,
        };
        Ok(BotUsageView { day, total, user, limits: c.budgets.resolve(&self.defaults) })
    }
}

/// The rules of a bot's settings.
fn check(c: &BotConfig) -> Result<(), AppError> {
    let bad = |m: &str| Err(AppError::InvalidField(m.to_owned()));
    // Characters, as the OpenAPI document's maxLength counts them.
    let chars = |s: &str| s.chars().count();
    if !(c.base_url.starts_with("http://") || c.base_url.starts_with("https://")) || chars(&c.base_url) > 512 {
        return bad("base_url: an http:// or https:// URL of at most 512 characters");
    }
    if c.model.trim().is_empty() || chars(&c.model) > 128 {
        return bad("model: 1-128 characters");
    }
    if chars(c.api_key.expose()) > 512 {
        return bad("api_key: at most 512 characters");
    }
    if c.system_prompt.chars().count() > MAX_PROMPT_CHARS {
        return bad("system_prompt: at most 4000 characters");
    }
    if !c.temperature.is_finite() || !(0.0..=2.0).contains(&c.temperature) {
        return bad("temperature: 0 to 2");
    }
    Ok(())
}
