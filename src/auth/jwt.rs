//! JSON Web Tokens, HS256 only (RFC 7519 + RFC 7515), with HMAC-SHA-256 from the `hmac` and
//! `sha2` crates and the in-house strict base64url.
//!
//! Verification is strict by construction rather than by configuration: the header must say
//! `"alg":"HS256"` (so `none`, `HS384`, `RS256`/`ES256` "algorithm confusion" and a missing
//! `alg` are all refused before any signature work), `typ` if present must be `JWT`, header
//! members other than `alg`/`typ`/`kid` are refused (no `jwk`, `jku`, `x5u`, `crit`), the
//! signature is checked in constant time before the payload is parsed, and `exp`, `nbf` and
//! `iat` are checked with a small leeway. Claims carry `sub` (user id), `role`, `henv`, `jti`.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::base64url;

type HmacSha256 = Hmac<Sha256>;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 30;
/// Tokens longer than this are refused unparsed.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims HBF puts in a session token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a decimal string (RFC 7519 makes `sub` a string).
    pub sub: String,
    pub role: String,
    /// The henv (hash) the token was issued for; a token is valid only there.
    pub henv: String,
    /// Unique token id (random, base64url).
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Why a token was refused. Callers answer every variant with the same 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("token is not three base64url segments")]
    Malformed,
    #[error("token header is invalid")]
    BadHeader,
    #[error("token algorithm is not HS256")]
    BadAlgorithm,
    #[error("token signature does not verify")]
    BadSignature,
    #[error("token claims are invalid")]
    BadClaims,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token was issued for another app")]
    WrongHenv,
    #[error("signing key is empty")]
    NoKey,
}

const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(key: &[u8]) -> Result<HmacSha256, JwtError> {
    if key.is_empty() {
        return Err(JwtError::NoKey);
    }
    HmacSha256::new_from_slice(key).map_err(|_| JwtError::NoKey)
}

/// Signs claims into a compact JWT. Claims whose token would exceed `MAX_TOKEN_LEN` (which
/// `verify` refuses unparsed) are `BadClaims`: every token we sign is one we accept.
pub fn sign(claims: &Claims, key: &[u8]) -> Result<String, JwtError> {
    let payload = serde_json::to_vec(claims).map_err(|_| JwtError::BadClaims)?;
    let signing_input = format!(
        "{}.{}",
        base64url::encode(HEADER_JSON.as_bytes()),
        base64url::encode(&payload)
    );
    let mut m = mac(key)?;
    m.update(signing_input.as_bytes());
    let sig = m.finalize().into_bytes();
    let token = format!("{signing_input}.{}", base64url::encode(&sig));
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::BadClaims);
    }
    Ok(token)
}

fn check_header(segment: &str) -> Result<(), JwtError> {
    let bytes = base64url::decode(segment).ok_or(JwtError::Malformed)?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).map_err(|_| JwtError::BadHeader)?;
    match header.get("alg") {
        Some(serde_json::Value::String(a)) if a == "HS256" => {}
        _ => return Err(JwtError::BadAlgorithm),
    }
    match header.get("typ") {
        None => {}
        Some(serde_json::Value::String(t)) if t == "JWT" => {}
        _ => return Err(JwtError::BadHeader),
    }
    if header
        .keys()
        .any(|k| !matches!(k.as_str(), "alg" | "typ" | "kid"))
    {
        return Err(JwtError::BadHeader);
    }
    Ok(())
}

/// Verifies a token for henv `henv` at time `now` (Unix seconds) and returns its claims.
pub fn verify(token: &str, key: &[u8], henv: &str, now: i64) -> Result<Claims, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    check_header(h)?;
    let sig = base64url::decode(s).ok_or(JwtError::Malformed)?;
    let mut m = mac(key)?;
    m.update(h.as_bytes());
    m.update(b".");
    m.update(p.as_bytes());
    m.verify_slice(&sig).map_err(|_| JwtError::BadSignature)?; // constant time
    let payload = base64url::decode(p).ok_or(JwtError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| JwtError::BadClaims)?;
    if claims.sub.parse::<i64>().is_err() || claims.jti.is_empty() {
        return Err(JwtError::BadClaims);
    }
    if claims.henv != henv {
        return Err(JwtError::WrongHenv);
    }
    if now >= claims.exp + LEEWAY_SECS {
        return Err(JwtError::Expired);
    }
    if claims.nbf > now + LEEWAY_SECS || claims.iat > now + LEEWAY_SECS {
        return Err(JwtError::NotYetValid);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims {
            sub: "7".into(),
            role: "user".into(),
            henv: "w8f5ws4j".into(),
            jti: "abc".into(),
            iat: NOW,
            nbf: NOW,
            exp: NOW + 3600,
        }
    }

    fn forge(header: &str, payload: &str, key: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            base64url::encode(header.as_bytes()),
            base64url::encode(payload.as_bytes())
        );
        let mut m = HmacSha256::new_from_slice(key).unwrap();
        m.update(input.as_bytes());
        format!("{input}.{}", base64url::encode(&m.finalize().into_bytes()))
    }

    #[test]
    fn round_trip() {
        let t = sign(&claims(), KEY).unwrap();
        assert_eq!(verify(&t, KEY, "w8f5ws4j", NOW + 10).unwrap(), claims());
    }

    #[test]
    fn sign_refuses_tokens_verify_would_refuse_as_too_long() {
        // Regression (jwt fuzz target): a long role signed fine and then never verified.
        let mut c = claims();
        c.role = "\0".repeat(2000); // 12,000 bytes of JSON escapes
        assert_eq!(sign(&c, KEY), Err(JwtError::BadClaims));
        // Just under the limit still round-trips.
        let mut c = claims();
        let base = sign(&c, KEY).unwrap().len();
        c.role = "r".repeat((MAX_TOKEN_LEN - base) / 4 * 3);
        let t = sign(&c, KEY).unwrap();
        assert!(t.len() <= MAX_TOKEN_LEN);
        assert_eq!(verify(&t, KEY, "w8f5ws4j", NOW), Ok(c));
    }

    #[test]
    fn rfc7515_appendix_a1_signature_verifies() {
        // RFC 7515 A.1: the HS256 example (its header has "typ":"JWT" and a line break).
        let key = base64url::decode(
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        )
        .unwrap();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        // The signature is right; the claims are not HBF's, so only BadClaims may result.
        assert_eq!(verify(token, &key, "x", 0), Err(JwtError::BadClaims));
        let mut bad = token.to_owned();
        let at = bad.rfind('.').unwrap() + 1;
        bad.replace_range(at..at + 1, "e"); // first signature character d → e
        assert_eq!(verify(&bad, &key, "x", 0), Err(JwtError::BadSignature));
    }

    #[test]
    fn tamper_suite() {
        let good = sign(&claims(), KEY).unwrap();
        let payload = serde_json::to_string(&claims()).unwrap();
        let [h, p, s]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();
        let v = |t: &str| verify(t, KEY, "w8f5ws4j", NOW);

        // alg none, with and without a signature.
        let none_h = base64url::encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(v(&format!("{none_h}.{p}.")), Err(JwtError::BadAlgorithm));
        assert_eq!(v(&format!("{none_h}.{p}.{s}")), Err(JwtError::BadAlgorithm));
        for alg in [
            "None", "NONE", "HS384", "HS512", "RS256", "ES256", "PS256", "hs256",
        ] {
            let t = forge(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), &payload, KEY);
            assert_eq!(v(&t), Err(JwtError::BadAlgorithm), "{alg}");
        }
        // Missing alg; typ mismatch; smuggled key material.
        assert_eq!(
            v(&forge(r#"{"typ":"JWT"}"#, &payload, KEY)),
            Err(JwtError::BadAlgorithm)
        );
        assert_eq!(
            v(&forge(r#"{"alg":"HS256","typ":"JWE"}"#, &payload, KEY)),
            Err(JwtError::BadHeader)
        );
        assert_eq!(
            v(&forge(
                r#"{"alg":"HS256","jwk":{"kty":"oct","k":"AA"}}"#,
                &payload,
                KEY
            )),
            Err(JwtError::BadHeader)
        );
        assert_eq!(
            v(&forge(r#"{"alg":"HS256","crit":["x"]}"#, &payload, KEY)),
            Err(JwtError::BadHeader)
        );
        assert!(
            v(&forge(r#"{"alg":"HS256"}"#, &payload, KEY)).is_ok(),
            "typ is optional"
        );
        // Wrong key.
        assert_eq!(
            verify(&good, b"another key entirely, 32 bytes!!", "w8f5ws4j", NOW),
            Err(JwtError::BadSignature)
        );
        // Modified payload (role escalation) with the original signature.
        let mut evil = claims();
        evil.role = "admin".into();
        let evil_p = base64url::encode(&serde_json::to_vec(&evil).unwrap());
        assert_eq!(v(&format!("{h}.{evil_p}.{s}")), Err(JwtError::BadSignature));
        // Modified signature, truncated signature, padded/standard base64.
        assert_eq!(
            v(&format!("{h}.{p}.{}", &s[..s.len() - 1])),
            Err(JwtError::Malformed)
        );
        assert_eq!(v(&format!("{h}.{p}.{s}=")), Err(JwtError::Malformed));
        assert_eq!(v(&format!("{h}.{p}")), Err(JwtError::Malformed));
        assert_eq!(v(&format!("{h}.{p}.{s}.x")), Err(JwtError::Malformed));
        assert_eq!(v(""), Err(JwtError::Malformed));
        // Expired and not yet valid (with leeway), and another henv.
        let mut c = claims();
        c.exp = NOW - LEEWAY_SECS;
        assert_eq!(v(&sign(&c, KEY).unwrap()), Err(JwtError::Expired));
        c.exp = NOW - LEEWAY_SECS + 1;
        assert!(v(&sign(&c, KEY).unwrap()).is_ok(), "within leeway");
        let mut c = claims();
        c.nbf = NOW + LEEWAY_SECS + 1;
        assert_eq!(v(&sign(&c, KEY).unwrap()), Err(JwtError::NotYetValid));
        let mut c = claims();
        c.iat = NOW + 3600;
        assert_eq!(v(&sign(&c, KEY).unwrap()), Err(JwtError::NotYetValid));
        assert_eq!(
            verify(&good, KEY, "otherhen", NOW),
            Err(JwtError::WrongHenv)
        );
        // Claims of the wrong shape, even when correctly signed.
        assert_eq!(
            v(&forge(r#"{"alg":"HS256"}"#, r#"{"sub":7}"#, KEY)),
            Err(JwtError::BadClaims)
        );
        let mut c = claims();
        c.sub = "seven".into();
        assert_eq!(v(&sign(&c, KEY).unwrap()), Err(JwtError::BadClaims));
        assert_eq!(sign(&claims(), b""), Err(JwtError::NoKey));
    }
}
