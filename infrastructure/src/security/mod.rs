//! Password hashing, token signing and the signing key.

mod keys;
mod password;
mod tokens;

pub use keys::{KeyError, load_or_create_signing_key};
pub use password::Argon2Hasher;
pub use tokens::JwtTokenService;
