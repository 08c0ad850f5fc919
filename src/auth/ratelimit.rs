//! Login throttling: token buckets per client IP and per username, shared by all workers of
//! the process (one mutex-guarded map; a login costs tens of milliseconds of Argon2, so the
//! lock is never the bottleneck). State is in memory: a restart forgets it, and several HBF
//! processes behind one proxy each keep their own — both documented in SECURITY.md.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Entries kept before idle (full) buckets are dropped.
const MAX_ENTRIES: usize = 100_000;

/// A bucket's shape: `burst` attempts at once, refilled at `per_minute`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_minute: f64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

fn table() -> &'static Mutex<HashMap<String, Bucket>> {
    static T: OnceLock<Mutex<HashMap<String, Bucket>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

/// Takes one token from each of `keys` (all or none). `Err(seconds)` says when to retry.
pub fn take(keys: &[(&str, Rate)], now: Instant) -> Result<(), u64> {
    let Ok(mut map) = table().lock() else {
        return Ok(());
    };
    if map.len() > MAX_ENTRIES {
        map.retain(|_, b| now.duration_since(b.at).as_secs() < 3600);
    }
    let mut wait = 0.0f64;
    for (key, rate) in keys {
        let b = map.entry((*key).to_owned()).or_insert(Bucket {
            tokens: rate.burst,
            at: now,
        });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * rate.per_minute / 60.0;
        b.tokens = (b.tokens + refill).min(rate.burst);
        b.at = now;
        if b.tokens < 1.0 {
            wait = wait.max((1.0 - b.tokens) * 60.0 / rate.per_minute.max(1e-9));
        }
    }
    if wait > 0.0 {
        return Err(wait.ceil().max(1.0) as u64);
    }
    for (key, _) in keys {
        if let Some(b) = map.get_mut(*key) {
            b.tokens -= 1.0;
        }
    }
    Ok(())
}

/// Forgets a key (a successful login resets its username bucket).
pub fn reset(key: &str) {
    if let Ok(mut map) = table().lock() {
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_drains_and_refills() {
        let r = Rate {
            burst: 3.0,
            per_minute: 6.0,
        };
        let t0 = Instant::now();
        let k = "test:bucket_drains";
        for _ in 0..3 {
            assert!(take(&[(k, r)], t0).is_ok());
        }
        assert_eq!(take(&[(k, r)], t0), Err(10));
        assert!(take(&[(k, r)], t0 + Duration::from_secs(10)).is_ok());
        assert!(take(&[(k, r)], t0 + Duration::from_secs(11)).is_err());
        reset(k);
        assert!(take(&[(k, r)], t0 + Duration::from_secs(11)).is_ok());
    }

    #[test]
    fn all_or_nothing() {
        let r = Rate {
            burst: 1.0,
            per_minute: 1.0,
        };
        let t0 = Instant::now();
        assert!(take(&[("test:a1", r)], t0).is_ok());
        assert!(take(&[("test:b1", r), ("test:a1", r)], t0).is_err());
        assert!(take(&[("test:b1", r)], t0).is_ok(), "b1 was not charged");
    }
}
