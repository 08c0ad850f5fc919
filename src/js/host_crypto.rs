//! Host functions behind `node:crypto` and WebCrypto (`lib/node/crypto.js`,
//! `lib/node/webcrypto.js`), installed on the `hbf:host` object: digests and HMAC as host
//! objects updated in place, key derivation, AES, and keys (`crypto_keys`) held by host
//! objects that `KeyObject` and `CryptoKey` wrap. Arguments are validated by the JavaScript
//! side with Node's messages; what reaches here is checked again and refused with a typed
//! error, never a panic. Rust code cannot be interrupted by the request deadline, so work
//! whose cost the caller picks (PBKDF2 rounds, scrypt memory, output sizes) is capped.

use rquickjs::{function::Opt, Ctx, Exception, Function, Object, TypedArray, Value};

use super::convert::bytes_of;
use super::crypto_keys::{self as keys, Key, KeyError, Padding, SignOptions};
use super::crypto_prims::{self as prims, Alg, Hasher, PrimError};
use super::native::{new_native, throw_coded, with_native};

/// Most PBKDF2 rounds one call may ask for (about 5 s of SHA-256 on one core). OWASP's 2023
/// advice is 600,000; the cap exists because native code runs past the request deadline.
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
/// Largest derived key or random fill one call returns.
const MAX_OUTPUT: usize = 64 << 20;

/// A hash or HMAC in progress; `None` once digested.
struct HashState(Option<Hasher>);

fn bytes<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str) -> rquickjs::Result<Vec<u8>> {
    bytes_of(v).ok_or_else(|| Exception::throw_type(ctx, &format!("{what} must be bytes")))
}

fn u8array<'js>(ctx: &Ctx<'js>, data: Vec<u8>) -> rquickjs::Result<Value<'js>> {
    TypedArray::<u8>::new(ctx.clone(), data).map(|a| a.into_value())
}

fn alg_of(ctx: &Ctx<'_>, name: &str) -> rquickjs::Result<Alg> {
    Alg::parse(name).ok_or_else(|| {
        throw_coded(
            ctx,
            "TypeError",
            "ERR_CRYPTO_INVALID_DIGEST",
            &format!("Invalid digest: {name}"),
            None,
        )
    })
}

fn prim_error(ctx: &Ctx<'_>, e: PrimError) -> rquickjs::Error {
    let (ctor, code) = match e {
        PrimError::KeyLength => ("RangeError", "ERR_CRYPTO_INVALID_KEYLEN"),
        PrimError::IvLength => ("TypeError", "ERR_CRYPTO_INVALID_IV"),
        PrimError::TagLength(_) => ("TypeError", "ERR_CRYPTO_INVALID_AUTH_TAG"),
        PrimError::Scrypt(_) => ("RangeError", "ERR_CRYPTO_INVALID_SCRYPT_PARAMS"),
        PrimError::Authenticate | PrimError::BadDecrypt | PrimError::BlockLength => {
            ("Error", "ERR_OSSL_BAD_DECRYPT")
        }
        PrimError::Random(_) => ("Error", "ERR_CRYPTO_OPERATION_FAILED"),
    };
    throw_coded(ctx, ctor, code, &e.to_string(), None)
}

fn key_error(ctx: &Ctx<'_>, e: KeyError) -> rquickjs::Error {
    let ctor = match e {
        KeyError::Digest(_) | KeyError::WrongKind(..) | KeyError::UnsupportedType(_) => "TypeError",
        _ => "Error",
    };
    throw_coded(ctx, ctor, e.code(), &e.to_string(), None)
}

/// A non-negative integer argument no larger than `max`.
fn count(ctx: &Ctx<'_>, n: f64, what: &str, max: usize) -> rquickjs::Result<usize> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= max as f64 {
        Ok(n as usize)
    } else {
        Err(Exception::throw_range(
            ctx,
            &format!("{what} must be an integer between 0 and {max}, got {n}"),
        ))
    }
}

/// Installs the `crypto*` functions on `host`.
pub fn install<'js>(ctx: &Ctx<'js>, host: &Object<'js>) -> rquickjs::Result<()> {
    host.set(
        "cryptoHash",
        // A new hash of `alg`, or an HMAC when `key` is given.
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, alg: String, key: Opt<Value<'js>>| {
                let alg = match Alg::parse(&alg) {
                    Some(a) => a,
                    None if key.0.is_some() => return Err(alg_of(&ctx, &alg).unwrap_err()),
                    None => {
                        return Err(Exception::throw_message(
                            &ctx,
                            "Digest method not supported",
                        ))
                    }
                };
                let hasher = match key.0 {
                    Some(k) => alg.hmac(&bytes(&ctx, &k, "key")?),
                    None => alg.hasher(),
                };
                new_native(&ctx, HashState(Some(hasher)))
            },
        )?,
    )?;
    host.set(
        "cryptoUpdate",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, h: Value<'js>, data: Value<'js>| {
                let data = bytes(&ctx, &data, "data")?;
                with_native(&ctx, &h, "hash", |s: &mut HashState| match &mut s.0 {
                    Some(hasher) => {
                        hasher.update(&data);
                        true
                    }
                    None => false,
                })
            },
        )?,
    )?;
    host.set(
        "cryptoDigest",
        // The digest, or null when already taken.
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, h: Value<'js>| match with_native(
                &ctx,
                &h,
                "hash",
                |s: &mut HashState| s.0.take(),
            )? {
                Some(hasher) => u8array(&ctx, hasher.finish()),
                None => Ok(Value::new_null(ctx)),
            },
        )?,
    )?;
    host.set(
        "cryptoCopy",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, h: Value<'js>| match with_native(
                &ctx,
                &h,
                "hash",
                |s: &mut HashState| s.0.as_ref().map(Hasher::copy),
            )? {
                Some(copy) => new_native(&ctx, HashState(Some(copy))),
                None => Ok(Value::new_null(ctx)),
            },
        )?,
    )?;
    host.set(
        "cryptoPbkdf2",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             alg: String,
             password: Value<'js>,
             salt: Value<'js>,
             rounds: f64,
             len: f64| {
                let alg = alg_of(&ctx, &alg)?;
                let rounds = count(&ctx, rounds, "iterations", MAX_PBKDF2_ROUNDS as usize)? as u32;
                let mut out = vec![0u8; count(&ctx, len, "keylen", MAX_OUTPUT)?];
                alg.pbkdf2(
                    &bytes(&ctx, &password, "password")?,
                    &bytes(&ctx, &salt, "salt")?,
                    rounds.max(1),
                    &mut out,
                );
                u8array(&ctx, out)
            },
        )?,
    )?;
    host.set(
        "cryptoScrypt",
        // log2(N), r, p were checked against Node's rules (and maxmem) by crypto.js.
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             password: Value<'js>,
             salt: Value<'js>,
             params: Object<'js>,
             len: f64| {
                let log_n = count(&ctx, params.get("logN")?, "log2(N)", 63)? as u8;
                let r = count(&ctx, params.get("r")?, "r", u32::MAX as usize)? as u32;
                let p = count(&ctx, params.get("p")?, "p", u32::MAX as usize)? as u32;
                let mut out = vec![0u8; count(&ctx, len, "keylen", MAX_OUTPUT)?];
                prims::scrypt(
                    &bytes(&ctx, &password, "password")?,
                    &bytes(&ctx, &salt, "salt")?,
                    log_n,
                    r,
                    p,
                    &mut out,
                )
                .map_err(|e| prim_error(&ctx, e))?;
                u8array(&ctx, out)
            },
        )?,
    )?;
    host.set(
        "cryptoTimingSafeEqual",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, a: Value<'js>, b: Value<'js>| {
                Ok::<_, rquickjs::Error>(prims::timing_safe_equal(
                    &bytes(&ctx, &a, "a")?,
                    &bytes(&ctx, &b, "b")?,
                ))
            },
        )?,
    )?;
    host.set(
        "cryptoRandomFill",
        // Up to MAX_OUTPUT random bytes (the 64 KiB `randomBytes` limit is WebCrypto's).
        Function::new(ctx.clone(), |ctx: Ctx<'js>, n: f64| {
            let mut buf = vec![0u8; count(&ctx, n, "size", MAX_OUTPUT)?];
            prims::random_fill(&mut buf).map_err(|e| prim_error(&ctx, e))?;
            u8array(&ctx, buf)
        })?,
    )?;
    host.set(
        "cryptoAes",
        // opts: { mode: "gcm" | "cbc", encrypt, key, iv, aad?, tagLength?, padding? }
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, data: Value<'js>, opts: Object<'js>| {
                let data = bytes(&ctx, &data, "data")?;
                let mode: String = opts.get("mode")?;
                let encrypt: bool = opts.get("encrypt")?;
                let key = bytes(&ctx, &opts.get("key")?, "key")?;
                let iv = bytes(&ctx, &opts.get("iv")?, "iv")?;
                let out = if mode == "gcm" {
                    let aad = bytes(&ctx, &opts.get("aad")?, "aad")?;
                    let tag_len: Option<f64> = opts.get("tagLength")?;
                    prims::aes_gcm(
                        encrypt,
                        &key,
                        &iv,
                        &data,
                        &aad,
                        tag_len.unwrap_or(16.0) as usize,
                    )
                } else {
                    let pad: Option<bool> = opts.get("padding")?;
                    prims::aes_cbc(encrypt, &key, &iv, &data, pad.unwrap_or(true))
                };
                u8array(&ctx, out.map_err(|e| prim_error(&ctx, e))?)
            },
        )?,
    )?;
    install_keys(ctx, host)
}

/// The key functions: import, describe, export, generate, sign, verify.
fn install_keys<'js>(ctx: &Ctx<'js>, host: &Object<'js>) -> rquickjs::Result<()> {
    host.set(
        "cryptoKeyImport",
        // kind: "secret" | "private" | "public"; format: "pem" | "der" | "jwk" | "raw";
        // form: the DER structure (pkcs8, spki, pkcs1, sec1) or, for raw, the curve.
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             kind: String,
             format: String,
             data: Value<'js>,
             form: Opt<Option<String>>| {
                let form = form.0.flatten().filter(|f| !f.is_empty());
                let key = if format == "jwk" {
                    let obj = data
                        .as_object()
                        .ok_or_else(|| Exception::throw_type(&ctx, "a JWK must be an object"))?;
                    let mut fields = std::collections::HashMap::new();
                    for name in ["kty", "crv", "x", "y", "d", "n", "e", "p", "q", "k"] {
                        if let Ok(Some(v)) = obj.get::<_, Option<String>>(name) {
                            fields.insert(name, v);
                        }
                    }
                    let key =
                        keys::from_jwk(|n| fields.get(n).map(String::as_str), kind == "public")
                            .map_err(|e| key_error(&ctx, e))?;
                    match (kind.as_str(), &key) {
                        ("private", Key::Public(_)) => {
                            return Err(key_error(
                                &ctx,
                                KeyError::Jwk("a private key needs \"d\"".into()),
                            ))
                        }
                        ("secret", Key::Private(_) | Key::Public(_))
                        | ("private" | "public", Key::Secret(_)) => {
                            return Err(key_error(
                                &ctx,
                                KeyError::WrongKind("jwk", "a key of another type"),
                            ))
                        }
                        _ => key,
                    }
                } else {
                    let data = bytes(&ctx, &data, "key")?;
                    match (kind.as_str(), format.as_str()) {
                        ("secret", _) => Key::Secret(data),
                        ("public", "raw") => Key::Public(
                            keys::parse_raw_public(form.as_deref().unwrap_or(""), &data)
                                .map_err(|e| key_error(&ctx, e))?,
                        ),
                        ("private", _) => Key::Private(
                            keys::parse_private(&data, form.as_deref())
                                .map_err(|e| key_error(&ctx, e))?,
                        ),
                        _ => Key::Public(
                            keys::parse_public(&data, form.as_deref())
                                .map_err(|e| key_error(&ctx, e))?,
                        ),
                    }
                };
                new_native(&ctx, key)
            },
        )?,
    )?;
    host.set(
        "cryptoKeyInfo",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, k: Value<'js>| {
            let info = with_native(&ctx, &k, "key", |k: &mut Key| k.info())?;
            let out = Object::new(ctx.clone())?;
            out.set("type", info.kind)?;
            out.set("asymmetricKeyType", info.asymmetric_type)?;
            out.set("namedCurve", info.named_curve)?;
            out.set("modulusLength", info.modulus_length.map(|n| n as f64))?;
            out.set("publicExponent", info.public_exponent.map(|n| n as f64))?;
            out.set("symmetricKeySize", info.symmetric_size.map(|n| n as f64))?;
            Ok::<_, rquickjs::Error>(out)
        })?,
    )?;
    host.set(
        "cryptoKeyExport",
        // format: "pem" (string) | "der" | "raw" (bytes) | "jwk" (object); form as in import.
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, k: Value<'js>, format: String, form: Opt<Option<String>>| {
                let form = form.0.flatten().unwrap_or_default();
                enum Out {
                    Text(String),
                    Bytes(Vec<u8>),
                    Jwk(Vec<(&'static str, String)>),
                }
                let out = with_native(&ctx, &k, "key", |k: &mut Key| -> Result<Out, KeyError> {
                    Ok(match (&*k, format.as_str()) {
                        (_, "jwk") => Out::Jwk(keys::to_jwk(k)?),
                        (Key::Secret(b), _) => Out::Bytes(b.clone()),
                        (Key::Private(p), "pem") => Out::Text(p.to_pem(&form)?),
                        (Key::Private(p), "der") => Out::Bytes(p.to_der(&form)?),
                        (Key::Public(p), "pem") => Out::Text(p.to_pem(&form)?),
                        (Key::Public(p), "der") => Out::Bytes(p.to_der(&form)?),
                        (Key::Public(p), "raw") => Out::Bytes(p.to_raw()?),
                        (Key::Private(PrivateKeyRef::Ed25519(s)), "raw") => {
                            Out::Bytes(s.to_bytes().to_vec())
                        }
                        _ => {
                            return Err(KeyError::UnsupportedType(format!(
                                "{format} export of this key"
                            )))
                        }
                    })
                })?
                .map_err(|e| key_error(&ctx, e))?;
                match out {
                    Out::Text(s) => rquickjs::String::from_str(ctx, &s).map(|s| s.into_value()),
                    Out::Bytes(b) => u8array(&ctx, b),
                    Out::Jwk(fields) => {
                        let o = Object::new(ctx.clone())?;
                        for (name, value) in fields {
                            o.set(name, value)?;
                        }
                        Ok(o.into_value())
                    }
                }
            },
        )?,
    )?;
    host.set(
        "cryptoKeyPublic",
        // The public half of a private key, as a new key object (a public key is returned as is).
        Function::new(ctx.clone(), |ctx: Ctx<'js>, k: Value<'js>| {
            let public = with_native(&ctx, &k, "key", |k: &mut Key| match k {
                Key::Private(p) => Some(p.public()),
                _ => None,
            })?;
            match public {
                Some(p) => new_native(&ctx, Key::Public(p)),
                None => Ok(k),
            }
        })?,
    )?;
    host.set(
        "cryptoKeyEquals",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, a: Value<'js>, b: Value<'js>| {
                // Two borrows of the same object would conflict: compare by exporting `b` first.
                if a.as_object()
                    .zip(b.as_object())
                    .is_some_and(|(x, y)| x == y)
                {
                    return Ok(true);
                }
                let other = with_native(&ctx, &b, "key", |k: &mut Key| clone_key(k))?;
                with_native(&ctx, &a, "key", |k: &mut Key| {
                    other.as_ref().is_some_and(|o| k.same_as(o))
                })
            },
        )?,
    )?;
    host.set(
        "cryptoKeyGenerate",
        // kind: "rsa" | "ec" | "ed25519"; opts: { namedCurve, modulusLength, publicExponent }
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, kind: String, opts: Object<'js>| {
                let curve: Option<String> = opts.get("namedCurve")?;
                let bits: Option<f64> = opts.get("modulusLength")?;
                let exp: Option<f64> = opts.get("publicExponent")?;
                let bits = count(&ctx, bits.unwrap_or(2048.0), "modulusLength", 16384)?;
                let exp = count(
                    &ctx,
                    exp.unwrap_or(65537.0),
                    "publicExponent",
                    u32::MAX as usize,
                )? as u64;
                let key = keys::generate(&kind, curve.as_deref().unwrap_or(""), bits, exp)
                    .map_err(|e| key_error(&ctx, e))?;
                new_native(&ctx, Key::Private(key))
            },
        )?,
    )?;
    host.set(
        "cryptoSign",
        // alg: a digest name or "" (Ed25519); opts: { padding: "pss"?, saltLength?, p1363? }
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, alg: String, k: Value<'js>, data: Value<'js>, opts: Object<'js>| {
                let alg = if alg.is_empty() {
                    None
                } else {
                    Some(alg_of(&ctx, &alg)?)
                };
                let data = bytes(&ctx, &data, "data")?;
                let opts = sign_options(&ctx, &opts)?;
                with_native(&ctx, &k, "key", |k: &mut Key| match k {
                    Key::Private(p) => p.sign(alg, &data, opts),
                    Key::Public(_) => Err(KeyError::WrongKind("public", "private")),
                    Key::Secret(_) => Err(KeyError::WrongKind("secret", "private")),
                })?
                .map_err(|e| key_error(&ctx, e))
                .and_then(|sig| u8array(&ctx, sig))
            },
        )?,
    )?;
    host.set(
        "cryptoVerify",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             alg: String,
             k: Value<'js>,
             data: Value<'js>,
             sig: Value<'js>,
             opts: Object<'js>| {
                let alg = if alg.is_empty() {
                    None
                } else {
                    Some(alg_of(&ctx, &alg)?)
                };
                let (data, sig) = (bytes(&ctx, &data, "data")?, bytes(&ctx, &sig, "signature")?);
                let opts = sign_options(&ctx, &opts)?;
                with_native(&ctx, &k, "key", |k: &mut Key| match k {
                    Key::Public(p) => p.verify(alg, &data, &sig, opts),
                    Key::Private(p) => p.public().verify(alg, &data, &sig, opts),
                    Key::Secret(_) => Err(KeyError::WrongKind("secret", "public")),
                })?
                .map_err(|e| key_error(&ctx, e))
            },
        )?,
    )?;
    Ok(())
}

use super::crypto_keys::PrivateKey as PrivateKeyRef;

/// A copy of a key (through its DER or bytes), for comparisons across two host objects.
fn clone_key(k: &Key) -> Option<Key> {
    Some(match k {
        Key::Secret(b) => Key::Secret(b.clone()),
        Key::Private(p) => {
            Key::Private(keys::parse_private(&p.to_der("pkcs8").ok()?, Some("pkcs8")).ok()?)
        }
        Key::Public(p) => {
            Key::Public(keys::parse_public(&p.to_der("spki").ok()?, Some("spki")).ok()?)
        }
    })
}

fn sign_options(ctx: &Ctx<'_>, opts: &Object<'_>) -> rquickjs::Result<SignOptions> {
    let padding: Option<String> = opts.get("padding")?;
    let salt: Option<f64> = opts.get("saltLength")?;
    let p1363: Option<bool> = opts.get("p1363")?;
    Ok(SignOptions {
        padding: if padding.as_deref() == Some("pss") {
            Padding::Pss
        } else {
            Padding::Pkcs1
        },
        salt_len: salt
            .map(|s| count(ctx, s, "saltLength", 1 << 16))
            .transpose()?,
        p1363: p1363.unwrap_or(false),
    })
}
