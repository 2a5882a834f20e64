//! The cache of a renewing credential (GitHub App installation token, Entra ID access token): one
//! fetch at a time, renewed once most of its lifetime has passed, forgotten after a refusal.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{AuthError, Clock, Credential};

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

/// One renewing credential, its age judged by `clock`.
pub(crate) struct Renewing {
    cache: tokio::sync::Mutex<Option<Cached>>,
    obtained: AtomicU64,
    clock: Clock,
}

impl Renewing {
    pub fn new(clock: Clock) -> Renewing {
        Renewing { cache: Default::default(), obtained: AtomicU64::new(0), clock }
    }

    /// The cached credential, or a fresh one from `fetch` (which returns it with its lifetime)
    /// when there is none or it is due.
    pub async fn get<F, Fut>(&self, target: &str, fetch: F) -> Result<Credential, AuthError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Credential, Duration), AuthError>>,
    {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && !renew_due(c.lifetime, self.clock.now().saturating_duration_since(c.obtained))
        {
            return Ok(c.credential.clone());
        }
        let renewing = cache.is_some();
        let (credential, lifetime) = fetch().await?;
        self.obtained.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(target = %target, lifetime_s = lifetime.as_secs(), renewing, "obtained a token");
        *cache = Some(Cached { credential: credential.clone(), obtained: self.clock.now(), lifetime });
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
    use crate::auth::Scheme;
    use crate::config::Secret;

    #[tokio::test]
    async fn the_cache_judges_age_by_its_clock() {
        let clock = Clock::movable();
        let renewing = Renewing::new(clock.clone());
        let fetch = |n: u64| async move {
            let c = Credential { token: Secret::new(format!("t{n}")), scheme: Scheme::Bearer };
            Ok((c, Duration::from_secs(3600)))
        };
        let token = |c: Credential| c.token.expose().to_string();
        assert_eq!(token(renewing.get("t", || fetch(1)).await.unwrap()), "t1");
        // (moved ahead by seconds, the token handed out): an hour-long token is renewed after 55 minutes.
        // Step i fetches, if it must, token `t{i + 2}`.
        let steps = [(0, "t1"), (3299, "t1"), (1, "t4"), (3299, "t4"), (1, "t6")];
        for (i, (ahead, want)) in steps.into_iter().enumerate() {
            clock.advance(Duration::from_secs(ahead));
            let got = renewing.get("t", || fetch(i as u64 + 2)).await.unwrap();
            assert_eq!(token(got), want, "step {i}");
        }
        assert_eq!(renewing.obtained(), 3);
    }

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
