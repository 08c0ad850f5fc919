//! JWT verification (HS256 only) under arbitrary tokens, keys and claims.
//!
//! The input is cut into fields (see `Fields`); three checks run on every input:
//! - an arbitrary token string never panics `verify`, and whenever it is accepted the token is
//!   re-checked independently: three segments, a header whose `alg` is exactly `HS256`, an
//!   HMAC-SHA-256 that matches under the key, the right henv and times within the leeway;
//! - claims built from the input, signed by our own `sign`, verify and round-trip exactly (or
//!   `sign` refuses them because the token would exceed `MAX_TOKEN_LEN`), and changing any one
//!   byte of that token makes verification fail;
//! - the same claims under a header naming any algorithm other than `HS256` (correctly
//!   HMAC-signed, so only the algorithm is wrong) are refused with `BadAlgorithm`.
#![no_main]

use hbf::auth::base64url;
use hbf::auth::jwt::{self, Claims, JwtError, LEEWAY_SECS, MAX_TOKEN_LEN};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const NOW: i64 = 1_800_000_000;
const HENV: &str = "w8f5ws4j";

/// Splits the input at 0xff bytes into fields; missing fields are empty.
struct Fields<'a> {
    parts: std::slice::Split<'a, u8, fn(&u8) -> bool>,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8]) -> Self {
        let sep: fn(&u8) -> bool = |b| *b == 0xff;
        Fields {
            parts: data.split(sep),
        }
    }
    fn bytes(&mut self) -> &'a [u8] {
        self.parts.next().unwrap_or(&[])
    }
    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
    fn number(&mut self) -> u64 {
        self.bytes()
            .iter()
            .take(8)
            .fold(0u64, |n, b| (n << 8) | u64::from(*b))
    }
}

fn hmac(key: &[u8], input: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(input);
    m.finalize().into_bytes().to_vec()
}

/// Independent re-check of a token `verify` accepted.
fn check_accepted(token: &str, key: &[u8], claims: &Claims) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(
        parts.len(),
        3,
        "accepted token without three segments: {token:?}"
    );
    let header = base64url::decode(parts[0]).expect("accepted header is base64url");
    let header: serde_json::Value = serde_json::from_slice(&header).expect("header is JSON");
    assert_eq!(
        header["alg"], "HS256",
        "accepted alg other than HS256: {header}"
    );
    let sig = base64url::decode(parts[2]).expect("accepted signature is base64url");
    let want = hmac(key, format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert_eq!(
        sig, want,
        "accepted a token whose signature does not verify"
    );
    assert!(!key.is_empty());
    assert_eq!(claims.henv, HENV);
    assert!(claims.sub.parse::<i64>().is_ok());
    assert!(!claims.jti.is_empty());
    assert!(NOW < claims.exp.saturating_add(LEEWAY_SECS));
    assert!(claims.nbf <= NOW + LEEWAY_SECS && claims.iat <= NOW + LEEWAY_SECS);
}

fuzz_target!(|data: &[u8]| {
    let mut f = Fields::new(data);
    let key = f.bytes().to_vec();
    let token = f.text();
    let claims = Claims {
        sub: (f.number() as i64).to_string(),
        role: f.text(),
        henv: HENV.to_owned(),
        jti: format!("j{}", f.text()),
        iat: NOW - (f.number() % 1000) as i64,
        nbf: NOW - (f.number() % 1000) as i64,
        exp: NOW + 1 + (f.number() % 100_000) as i64,
    };
    let mutate_at = f.number() as usize;
    let mutate_to = f.number() as u8;
    let alg = f.text();

    // 1. Arbitrary token.
    if let Ok(c) = jwt::verify(&token, &key, HENV, NOW) {
        check_accepted(&token, &key, &c);
    }

    // 2. Our own token round-trips; any one changed byte is refused.
    let signed = match jwt::sign(&claims, &key) {
        Ok(t) => t,
        Err(JwtError::NoKey) if key.is_empty() => return,
        Err(JwtError::BadClaims) => {
            // Refused only when the token would be too long for `verify`.
            let json = serde_json::to_vec(&claims).expect("claims serialize").len();
            assert!(
                json * 4 / 3 > MAX_TOKEN_LEN - 100,
                "sign refused {json} bytes of claims"
            );
            return;
        }
        Err(e) => panic!("sign failed: {e:?}"),
    };
    assert_eq!(jwt::verify(&signed, &key, HENV, NOW), Ok(claims.clone()));
    assert_eq!(
        jwt::verify(&signed, &key, "otherhen", NOW),
        Err(JwtError::WrongHenv)
    );
    let mut bytes = signed.clone().into_bytes();
    let at = mutate_at % bytes.len();
    if bytes[at] != mutate_to {
        bytes[at] = mutate_to;
        let mutated = String::from_utf8_lossy(&bytes);
        let result = jwt::verify(&mutated, &key, HENV, NOW);
        assert!(
            result.is_err(),
            "byte {at} changed to {mutate_to:#x}, still accepted: {mutated}"
        );
    }

    // 3. Any other algorithm is refused, even with a valid HMAC.
    if alg != "HS256" {
        let header = serde_json::json!({ "alg": alg, "typ": "JWT" }).to_string();
        let payload = serde_json::to_vec(&claims).expect("claims serialize");
        let input = format!(
            "{}.{}",
            base64url::encode(header.as_bytes()),
            base64url::encode(&payload)
        );
        let forged = format!(
            "{input}.{}",
            base64url::encode(&hmac(&key, input.as_bytes()))
        );
        let want = if forged.len() > MAX_TOKEN_LEN {
            JwtError::Malformed // refused unparsed, before the header
        } else {
            JwtError::BadAlgorithm
        };
        assert_eq!(
            jwt::verify(&forged, &key, HENV, NOW),
            Err(want),
            "alg {alg:?}"
        );
    }
});
