//! The cache of a renewing credential (GitHub App installation token, Entra ID access token): one
//! fetch at a time, renewed once most of its lifetime has passed, forgotten after a refusal.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{AuthError, Credential};

/// How long before its end a credential is renewed: a fifth of its lifetime, at most five
/// minutes (an hour-long token is renewed after 55 minutes, a 3-second one after 2.4 s).
pub fn margin(lifetime: Duration) -> Duration {
    (lifetime / 5).min(Duration::from_secs(300))
}

/// Whether a credential of `lifetime` that is `age` old is due for renewal.
pub fn renew_due(lifetime: Duration, age: Duration) -> bool {
    age + margin(lifetime) >= lifetime
}

struct Cached {
    credential: Credential,
    obtained: Instant,
    lifetime: Duration,
}

/// One renewing credential.
#[derive(Default)]
pub(crate) struct Renewing {
    cache: tokio::sync::Mutex<Option<Cached>>,
    obtained: AtomicU64,
}

impl Renewing {
    /// The cached credential, or a fresh one from `fetch` (which returns it with its lifetime)
    /// when there is none or it is due.
    pub async fn get<F, Fut>(&self, target: &str, fetch: F) -> Result<Credential, AuthError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Credential, Duration), AuthError>>,
    {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && !renew_due(c.lifetime, c.obtained.elapsed())
        {
            return Ok(c.credential.clone());
        }
        let renewing = cache.is_some();
        let (credential, lifetime) = fetch().await?;
        self.obtained.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(target = %target, lifetime_s = lifetime.as_secs(), renewing, "obtained a token");
        *cache = Some(Cached { credential: credential.clone(), obtained: Instant::now(), lifetime });
        Ok(credential)
    }

    /// Forgets `refused` if it is the cached one; a fresh one is then worth a try.
    pub async fn forget(&self, refused: &Credential) -> bool {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| &c.credential == refused) {
            *cache = None;
        }
        true
    }

    pub fn obtained(&self) -> u64 {
        self.obtained.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renews_before_the_end_of_a_lifetime() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let cases = [
            (s(3600), s(0), false),
            (s(3600), s(3299), false),
            (s(3600), s(3300), true),
            (s(3), ms(2399), false),
            (s(3), ms(2400), true),
            (s(0), s(0), true),
        ];
        for (lifetime, age, want) in cases {
            assert_eq!(renew_due(lifetime, age), want, "{lifetime:?} {age:?}");
        }
    }
}
