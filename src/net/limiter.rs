//! Per-client-IP limits: concurrent connections and a token-bucket request rate.
//! Both are off by default (`--max_conn_per_ip 0`, `--rate_limit_rps 0`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Buckets idle this long are full again and can be forgotten.
const BUCKET_IDLE_FORGET: Duration = Duration::from_secs(60);

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Per-IP accounting owned by the event loop.
pub(crate) struct PerIp {
    max_conns: usize,
    rate: f64,
    burst: f64,
    conns: HashMap<IpAddr, usize>,
    buckets: HashMap<IpAddr, Bucket>,
}

impl PerIp {
    pub fn new(max_conns: usize, rate: f64, burst: f64) -> Self {
        PerIp {
            max_conns,
            rate,
            burst,
            conns: HashMap::new(),
            buckets: HashMap::new(),
        }
    }

    /// Takes a connection slot for `ip`; false if it already has `max_conns`.
    pub fn open(&mut self, ip: IpAddr) -> bool {
        if self.max_conns == 0 {
            return true;
        }
        let n = self.conns.entry(ip).or_insert(0);
        if *n >= self.max_conns {
            return false;
        }
        *n += 1;
        true
    }

    /// Whether connections are counted at all (so `close` is needed).
    pub fn counts_connections(&self) -> bool {
        self.max_conns > 0
    }

    /// Returns the slot taken by `open`.
    pub fn close(&mut self, ip: IpAddr) {
        if let Some(n) = self.conns.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.conns.remove(&ip);
            }
        }
    }

    /// Takes one request token for `ip`. `Err(seconds)` says when one will be available.
    pub fn take_request(&mut self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let (rate, burst) = (self.rate, self.burst);
        let bucket = self.buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Drops buckets that have refilled, bounding memory to recently active clients.
    pub fn forget_idle(&mut self, now: Instant) {
        self.buckets
            .retain(|_, b| now.saturating_duration_since(b.last) < BUCKET_IDLE_FORGET);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_slots() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let mut p = PerIp::new(2, 0.0, 1.0);
        assert!(p.open(ip) && p.open(ip));
        assert!(!p.open(ip));
        p.close(ip);
        assert!(p.open(ip));
    }

    #[test]
    fn token_bucket() {
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        let mut p = PerIp::new(0, 2.0, 3.0);
        for _ in 0..3 {
            assert!(p.take_request(ip, t0).is_ok());
        }
        assert_eq!(p.take_request(ip, t0), Err(1));
        assert!(p.take_request(ip, t0 + Duration::from_millis(500)).is_ok());
        assert!(p.take_request(ip, t0 + Duration::from_millis(500)).is_err());
    }
}
