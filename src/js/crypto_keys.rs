//! Asymmetric keys for Node's `crypto` (`KeyObject`, `sign`/`verify`) and WebCrypto: parsing
//! PEM/DER (PKCS#8, SPKI, PKCS#1, SEC1, the SPKI of an X.509 certificate), JWK and raw
//! points, export in the same forms, generation, and signatures with RSA (PKCS#1 v1.5, PSS),
//! ECDSA on P-256/P-384 (DER or IEEE P1363 encoding) and Ed25519. Plain Rust over bytes;
//! `host_crypto` binds it to JavaScript. Encrypted private keys are refused, not decrypted.

use base64ct::{Base64UrlUnpadded, Encoding as _};
use ed25519_dalek::{Signer as _, SigningKey as EdSecret, VerifyingKey as EdPublic};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use rsa::pkcs8::der::pem::{self, LineEnding};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};

use super::crypto_prims::{Alg, OsRng};

/// Why a key operation failed; `code()` is the Node error code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Bytes that are no key HBF can read (Node: OpenSSL's DECODER error).
    #[error("error:1E08010C:DECODER routines::unsupported")]
    Decode,
    #[error("encrypted private keys are not supported in HBF (decrypt the key before import)")]
    Encrypted,
    #[error("Unsupported key type: {0}")]
    UnsupportedType(String),
    #[error("Invalid JWK data: {0}")]
    Jwk(String),
    #[error("Invalid key object type {0}, expected {1}.")]
    WrongKind(&'static str, &'static str),
    #[error("Invalid digest: {0}")]
    Digest(String),
    #[error("{0}")]
    Operation(String),
}

impl KeyError {
    /// The `code` property of the JavaScript error.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Decode | KeyError::Encrypted => "ERR_OSSL_UNSUPPORTED",
            KeyError::UnsupportedType(_) => "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
            KeyError::Jwk(_) => "ERR_CRYPTO_INVALID_JWK",
            KeyError::WrongKind(..) => "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
            KeyError::Digest(_) => "ERR_CRYPTO_INVALID_DIGEST",
            KeyError::Operation(_) => "ERR_CRYPTO_OPERATION_FAILED",
        }
    }
}

type Result<T> = std::result::Result<T, KeyError>;

fn op(e: impl std::fmt::Display) -> KeyError {
    KeyError::Operation(e.to_string())
}

/// A private asymmetric key.
pub enum PrivateKey {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    Ed25519(Box<EdSecret>),
}

/// A public asymmetric key.
pub enum PublicKey {
    Rsa(Box<RsaPublicKey>),
    P256(p256::PublicKey),
    P384(p384::PublicKey),
    Ed25519(EdPublic),
}

/// What a `KeyObject` / `CryptoKey` holds.
pub enum Key {
    Secret(Vec<u8>),
    Private(PrivateKey),
    Public(PublicKey),
}

/// Node's `asymmetricKeyType` and `asymmetricKeyDetails`.
pub struct KeyInfo {
    pub kind: &'static str,
    pub asymmetric_type: Option<&'static str>,
    pub named_curve: Option<&'static str>,
    pub modulus_length: Option<usize>,
    pub public_exponent: Option<u64>,
    pub symmetric_size: Option<usize>,
}

/// RSA signature padding (Node's `RSA_PKCS1_PADDING` / `RSA_PKCS1_PSS_PADDING`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Padding {
    Pkcs1,
    Pss,
}

/// Options of `sign`/`verify`: padding and PSS salt length for RSA (`None`: Node's default,
/// the maximum when signing and auto-detection when verifying), signature encoding for ECDSA.
#[derive(Clone, Copy, Debug)]
pub struct SignOptions {
    pub padding: Padding,
    pub salt_len: Option<usize>,
    pub p1363: bool,
}

impl Key {
    /// `keyObject.type`, `asymmetricKeyType` and details.
    pub fn info(&self) -> KeyInfo {
        let mut info = KeyInfo {
            kind: "secret",
            asymmetric_type: None,
            named_curve: None,
            modulus_length: None,
            public_exponent: None,
            symmetric_size: None,
        };
        let public = match self {
            Key::Secret(b) => {
                info.symmetric_size = Some(b.len());
                return info;
            }
            Key::Private(k) => {
                info.kind = "private";
                k.public()
            }
            Key::Public(k) => {
                info.kind = "public";
                k.clone_key()
            }
        };
        match public {
            PublicKey::Rsa(k) => {
                info.asymmetric_type = Some("rsa");
                info.modulus_length = Some(k.n().bits());
                let e = k.e().to_bytes_be();
                info.public_exponent = (e.len() <= 8)
                    .then(|| e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)));
            }
            PublicKey::P256(_) => {
                info.asymmetric_type = Some("ec");
                info.named_curve = Some("prime256v1");
            }
            PublicKey::P384(_) => {
                info.asymmetric_type = Some("ec");
                info.named_curve = Some("secp384r1");
            }
            PublicKey::Ed25519(_) => info.asymmetric_type = Some("ed25519"),
        }
        info
    }

    /// Whether two keys hold the same material (`keyObject.equals`).
    pub fn same_as(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Secret(a), Key::Secret(b)) => super::crypto_prims::timing_safe_equal(a, b),
            (Key::Private(a), Key::Private(b)) => a.to_der("pkcs8").ok() == b.to_der("pkcs8").ok(),
            (Key::Public(a), Key::Public(b)) => a.to_der("spki").ok() == b.to_der("spki").ok(),
            _ => false,
        }
    }
}

/// ECDSA over the prehash of `data`, DER or IEEE P1363 (`r || s`) as `opts.p1363` says, on
/// the curve crate `$curve` (p256, p384).
macro_rules! ecdsa_sign {
    ($curve:ident, $key:expr, $alg:expr, $data:expr, $opts:expr) => {{
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let sig: $curve::ecdsa::Signature = $curve::ecdsa::SigningKey::from($key)
            .sign_prehash(&$alg.digest($data))
            .map_err(op)?;
        Ok(if $opts.p1363 {
            sig.to_bytes().to_vec()
        } else {
            sig.to_der().as_bytes().to_vec()
        })
    }};
}

macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $alg:expr, $data:expr, $sig:expr, $opts:expr) => {{
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let parsed = if $opts.p1363 {
            $curve::ecdsa::Signature::from_slice($sig)
        } else {
            $curve::ecdsa::Signature::from_der($sig)
        };
        parsed.is_ok_and(|s| {
            $curve::ecdsa::VerifyingKey::from($key)
                .verify_prehash(&$alg.digest($data), &s)
                .is_ok()
        })
    }};
}

impl PrivateKey {
    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(Box::new(k.to_public_key())),
            PrivateKey::P256(k) => PublicKey::P256(k.public_key()),
            PrivateKey::P384(k) => PublicKey::P384(k.public_key()),
            PrivateKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
        }
    }

    /// DER in `pkcs8`, `pkcs1` (RSA) or `sec1` (EC).
    pub fn to_der(&self, form: &str) -> Result<Vec<u8>> {
        let doc = match (self, form) {
            (PrivateKey::Rsa(k), "pkcs8") => k.to_pkcs8_der().map_err(op)?,
            (PrivateKey::Rsa(k), "pkcs1") => k.to_pkcs1_der().map_err(op)?,
            (PrivateKey::P256(k), "pkcs8") => k.to_pkcs8_der().map_err(op)?,
            (PrivateKey::P384(k), "pkcs8") => k.to_pkcs8_der().map_err(op)?,
            (PrivateKey::P256(k), "sec1") => {
                let point = k.public_key().to_encoded_point(false);
                return sec1_der(&k.to_bytes(), P256_OID, point.as_bytes());
            }
            (PrivateKey::P384(k), "sec1") => {
                let point = k.public_key().to_encoded_point(false);
                return sec1_der(&k.to_bytes(), P384_OID, point.as_bytes());
            }
            // RFC 8410's version 1 form (seed only), which is what OpenSSL writes.
            (PrivateKey::Ed25519(k), "pkcs8") => {
                let mut der = ED25519_PKCS8_V1_PREFIX.to_vec();
                der.extend_from_slice(&k.to_bytes());
                return Ok(der);
            }
            _ => return Err(KeyError::UnsupportedType(format!("{form} for this key"))),
        };
        Ok(doc.as_bytes().to_vec())
    }

    /// PEM with the label `form` calls for.
    pub fn to_pem(&self, form: &str) -> Result<String> {
        let label = match form {
            "pkcs1" => "RSA PRIVATE KEY",
            "sec1" => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        pem::encode_string(label, LineEnding::LF, &self.to_der(form)?).map_err(op)
    }

    /// Signs `data` (hashed with `alg` first, except Ed25519, which takes no digest).
    pub fn sign(&self, alg: Option<Alg>, data: &[u8], opts: SignOptions) -> Result<Vec<u8>> {
        let check_rng = || super::crypto_prims::random_fill(&mut [0u8; 4]).map_err(op);
        match self {
            PrivateKey::Ed25519(k) => {
                if alg.is_some() {
                    return Err(KeyError::Digest("Ed25519 signs without a digest".into()));
                }
                Ok(k.sign(data).to_bytes().to_vec())
            }
            PrivateKey::Rsa(k) => {
                let alg = alg.unwrap_or(Alg::Sha256);
                let hashed = alg.digest(data);
                check_rng()?;
                match opts.padding {
                    Padding::Pkcs1 => k.sign(pkcs1(alg), &hashed).map_err(op),
                    Padding::Pss => {
                        let max = pss_max_salt(k.n().bits(), alg);
                        let salt = opts.salt_len.unwrap_or(max);
                        if salt > max {
                            return Err(op("salt length too large for the key"));
                        }
                        k.sign_with_rng(&mut OsRng, pss(alg, salt), &hashed)
                            .map_err(op)
                    }
                }
            }
            PrivateKey::P256(k) => ecdsa_sign!(p256, k, alg.unwrap_or(Alg::Sha256), data, opts),
            PrivateKey::P384(k) => ecdsa_sign!(p384, k, alg.unwrap_or(Alg::Sha384), data, opts),
        }
    }
}

const P256_OID: &str = "1.2.840.10045.3.1.7";
const P384_OID: &str = "1.3.132.0.34";
/// PrivateKeyInfo { version 0, AlgorithmIdentifier { id-Ed25519 }, OCTET STRING { OCTET STRING
/// (32 bytes) } } up to the 32-byte seed.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// RFC 5915 ECPrivateKey with the curve named and the public point, as OpenSSL writes it.
fn sec1_der(secret: &[u8], curve_oid: &str, point: &[u8]) -> Result<Vec<u8>> {
    use sec1::der::{asn1::ObjectIdentifier, Encode};
    let oid = ObjectIdentifier::new(curve_oid).map_err(op)?;
    sec1::EcPrivateKey {
        private_key: secret,
        parameters: Some(sec1::EcParameters::NamedCurve(oid)),
        public_key: Some(point),
    }
    .to_der()
    .map_err(op)
}

fn pkcs1(alg: Alg) -> rsa::Pkcs1v15Sign {
    use rsa::Pkcs1v15Sign as P;
    match alg {
        Alg::Md5 => P::new::<md5::Md5>(),
        Alg::Sha1 => P::new::<sha1::Sha1>(),
        Alg::Sha224 => P::new::<sha2::Sha224>(),
        Alg::Sha256 => P::new::<sha2::Sha256>(),
        Alg::Sha384 => P::new::<sha2::Sha384>(),
        Alg::Sha512 => P::new::<sha2::Sha512>(),
    }
}

fn pss(alg: Alg, salt: usize) -> rsa::Pss {
    use rsa::Pss as P;
    match alg {
        Alg::Md5 => P::new_with_salt::<md5::Md5>(salt),
        Alg::Sha1 => P::new_with_salt::<sha1::Sha1>(salt),
        Alg::Sha224 => P::new_with_salt::<sha2::Sha224>(salt),
        Alg::Sha256 => P::new_with_salt::<sha2::Sha256>(salt),
        Alg::Sha384 => P::new_with_salt::<sha2::Sha384>(salt),
        Alg::Sha512 => P::new_with_salt::<sha2::Sha512>(salt),
    }
}

/// The largest PSS salt for a modulus of `bits` bits (RFC 8017 9.1.1: emLen - hLen - 2).
fn pss_max_salt(bits: usize, alg: Alg) -> usize {
    (bits - 1).div_ceil(8).saturating_sub(alg.output_len() + 2)
}

impl PublicKey {
    fn clone_key(&self) -> PublicKey {
        match self {
            PublicKey::Rsa(k) => PublicKey::Rsa(k.clone()),
            PublicKey::P256(k) => PublicKey::P256(*k),
            PublicKey::P384(k) => PublicKey::P384(*k),
            PublicKey::Ed25519(k) => PublicKey::Ed25519(*k),
        }
    }

    /// DER in `spki` or `pkcs1` (RSA).
    pub fn to_der(&self, form: &str) -> Result<Vec<u8>> {
        let doc = match (self, form) {
            (PublicKey::Rsa(k), "pkcs1") => k.to_pkcs1_der().map_err(op)?,
            (PublicKey::Rsa(k), "spki") => k.to_public_key_der().map_err(op)?,
            (PublicKey::P256(k), "spki") => k.to_public_key_der().map_err(op)?,
            (PublicKey::P384(k), "spki") => k.to_public_key_der().map_err(op)?,
            (PublicKey::Ed25519(k), "spki") => k.to_public_key_der().map_err(op)?,
            _ => return Err(KeyError::UnsupportedType(format!("{form} for this key"))),
        };
        Ok(doc.as_bytes().to_vec())
    }

    pub fn to_pem(&self, form: &str) -> Result<String> {
        let label = if form == "pkcs1" {
            "RSA PUBLIC KEY"
        } else {
            "PUBLIC KEY"
        };
        pem::encode_string(label, LineEnding::LF, &self.to_der(form)?).map_err(op)
    }

    /// The raw public key: the uncompressed point for EC, the 32 bytes for Ed25519.
    pub fn to_raw(&self) -> Result<Vec<u8>> {
        Ok(match self {
            PublicKey::P256(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            PublicKey::P384(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            PublicKey::Ed25519(k) => k.to_bytes().to_vec(),
            PublicKey::Rsa(_) => return Err(KeyError::UnsupportedType("raw RSA key".into())),
        })
    }

    /// Verifies `sig` over `data`. A malformed signature is `Ok(false)`, as in Node.
    pub fn verify(
        &self,
        alg: Option<Alg>,
        data: &[u8],
        sig: &[u8],
        opts: SignOptions,
    ) -> Result<bool> {
        Ok(match self {
            PublicKey::Ed25519(k) => {
                if alg.is_some() {
                    return Err(KeyError::Digest("Ed25519 verifies without a digest".into()));
                }
                ed25519_dalek::Signature::from_slice(sig)
                    .is_ok_and(|s| k.verify_strict(data, &s).is_ok())
            }
            PublicKey::Rsa(k) => {
                let alg = alg.unwrap_or(Alg::Sha256);
                let hashed = alg.digest(data);
                match opts.padding {
                    Padding::Pkcs1 => k.verify(pkcs1(alg), &hashed, sig).is_ok(),
                    Padding::Pss => {
                        let max = pss_max_salt(k.n().bits(), alg);
                        // Node's default (RSA_PSS_SALTLEN_AUTO) accepts any salt length; try
                        // the lengths signers use (digest length, maximum, the common sizes)
                        // rather than every length, which would make a bad signature cost
                        // hundreds of RSA operations.
                        let candidates = match opts.salt_len {
                            Some(n) => vec![n],
                            None => vec![alg.output_len(), max, 0, 20, 32, 48, 64],
                        };
                        let mut tried = Vec::new();
                        candidates.into_iter().any(|n| {
                            let fresh = n <= max && !tried.contains(&n);
                            tried.push(n);
                            fresh && k.verify(pss(alg, n), &hashed, sig).is_ok()
                        })
                    }
                }
            }
            PublicKey::P256(k) => {
                ecdsa_verify!(p256, k, alg.unwrap_or(Alg::Sha256), data, sig, opts)
            }
            PublicKey::P384(k) => {
                ecdsa_verify!(p384, k, alg.unwrap_or(Alg::Sha384), data, sig, opts)
            }
        })
    }
}

// ------------------------------------------------------------------ parsing

/// The first PEM block of `text` (text before it, such as OpenSSL's "Bag Attributes", is
/// skipped): `(label, DER)`.
fn pem_block(text: &[u8]) -> Result<(String, Vec<u8>)> {
    let s = std::str::from_utf8(text).map_err(|_| KeyError::Decode)?;
    let start = s.find("-----BEGIN ").ok_or(KeyError::Decode)?;
    let rest = &s[start..];
    let end_marker = rest.find("-----END ").ok_or(KeyError::Decode)?;
    let end = rest[end_marker + 9..]
        .find("-----")
        .map(|i| end_marker + 9 + i + 5)
        .ok_or(KeyError::Decode)?;
    let block = rest[..end].replace("\r\n", "\n");
    let (label, der) = pem::decode_vec(block.trim().as_bytes()).map_err(|_| KeyError::Decode)?;
    Ok((label.to_owned(), der))
}

/// Whether `data` looks like PEM text rather than DER.
pub fn is_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

fn private_pkcs8(der: &[u8]) -> Result<PrivateKey> {
    if let Ok(k) = RsaPrivateKey::from_pkcs8_der(der) {
        return Ok(PrivateKey::Rsa(Box::new(k)));
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
        return Ok(PrivateKey::P256(k));
    }
    if let Ok(k) = p384::SecretKey::from_pkcs8_der(der) {
        return Ok(PrivateKey::P384(k));
    }
    if let Ok(k) = EdSecret::from_pkcs8_der(der) {
        return Ok(PrivateKey::Ed25519(Box::new(k)));
    }
    Err(KeyError::Decode)
}

fn private_sec1(der: &[u8]) -> Result<PrivateKey> {
    if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
        return Ok(PrivateKey::P256(k));
    }
    p384::SecretKey::from_sec1_der(der)
        .map(PrivateKey::P384)
        .map_err(|_| KeyError::Decode)
}

fn private_pkcs1(der: &[u8]) -> Result<PrivateKey> {
    RsaPrivateKey::from_pkcs1_der(der)
        .map(|k| PrivateKey::Rsa(Box::new(k)))
        .map_err(|_| KeyError::Decode)
}

fn public_spki(der: &[u8]) -> Result<PublicKey> {
    if let Ok(k) = RsaPublicKey::from_public_key_der(der) {
        return Ok(PublicKey::Rsa(Box::new(k)));
    }
    if let Ok(k) = p256::PublicKey::from_public_key_der(der) {
        return Ok(PublicKey::P256(k));
    }
    if let Ok(k) = p384::PublicKey::from_public_key_der(der) {
        return Ok(PublicKey::P384(k));
    }
    EdPublic::from_public_key_der(der)
        .map(PublicKey::Ed25519)
        .map_err(|_| KeyError::Decode)
}

/// The SubjectPublicKeyInfo inside an X.509 certificate (DER), as DER.
fn certificate_spki(der: &[u8]) -> Result<Vec<u8>> {
    use rsa::pkcs8::der::{asn1::AnyRef, Decode, Encode, SliceReader, Tag, TagNumber, Tagged};
    let bad = |_| KeyError::Decode;
    let cert = AnyRef::from_der(der).map_err(bad)?;
    let mut outer = SliceReader::new(cert.value()).map_err(bad)?;
    let tbs = AnyRef::decode(&mut outer).map_err(bad)?;
    let mut r = SliceReader::new(tbs.value()).map_err(bad)?;
    // [0] version (optional), serialNumber, signature, issuer, validity, subject, spki.
    let mut field = AnyRef::decode(&mut r).map_err(bad)?;
    if field.tag()
        == (Tag::ContextSpecific {
            constructed: true,
            number: TagNumber::N0,
        })
    {
        field = AnyRef::decode(&mut r).map_err(bad)?; // serialNumber
    }
    for _ in 0..4 {
        AnyRef::decode(&mut r).map_err(bad)?;
    }
    let _ = field;
    let spki = AnyRef::decode(&mut r).map_err(bad)?;
    spki.to_der().map_err(bad)
}

/// A private key from PEM (any label Node reads) or DER of form `der_form` (`pkcs8`,
/// `pkcs1`, `sec1`; `None` tries each).
pub fn parse_private(data: &[u8], der_form: Option<&str>) -> Result<PrivateKey> {
    if is_pem(data) {
        let (label, der) = pem_block(data)?;
        return match label.as_str() {
            "PRIVATE KEY" => private_pkcs8(&der),
            "RSA PRIVATE KEY" => private_pkcs1(&der),
            "EC PRIVATE KEY" => private_sec1(&der),
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
            _ => Err(KeyError::Decode),
        };
    }
    match der_form {
        Some("pkcs8") => private_pkcs8(data),
        Some("pkcs1") => private_pkcs1(data),
        Some("sec1") => private_sec1(data),
        _ => private_pkcs8(data)
            .or_else(|_| private_pkcs1(data))
            .or_else(|_| private_sec1(data)),
    }
}

/// A public key from PEM (public labels, certificates, or a private key whose public half is
/// taken, as `createPublicKey` does) or DER of form `der_form` (`spki`, `pkcs1`).
pub fn parse_public(data: &[u8], der_form: Option<&str>) -> Result<PublicKey> {
    if is_pem(data) {
        let (label, der) = pem_block(data)?;
        return match label.as_str() {
            "PUBLIC KEY" => public_spki(&der),
            "RSA PUBLIC KEY" => RsaPublicKey::from_pkcs1_der(&der)
                .map(|k| PublicKey::Rsa(Box::new(k)))
                .map_err(|_| KeyError::Decode),
            "CERTIFICATE" => public_spki(&certificate_spki(&der)?),
            _ => parse_private(data, None).map(|k| k.public()),
        };
    }
    match der_form {
        Some("pkcs1") => RsaPublicKey::from_pkcs1_der(data)
            .map(|k| PublicKey::Rsa(Box::new(k)))
            .map_err(|_| KeyError::Decode),
        _ => public_spki(data),
    }
}

/// A raw public key: an uncompressed or compressed point on `curve` (`P-256`, `P-384`) or
/// 32 Ed25519 bytes.
pub fn parse_raw_public(curve: &str, data: &[u8]) -> Result<PublicKey> {
    let bad = || KeyError::Operation("Invalid keyData".into());
    match curve {
        "P-256" => p256::PublicKey::from_sec1_bytes(data)
            .map(PublicKey::P256)
            .map_err(|_| bad()),
        "P-384" => p384::PublicKey::from_sec1_bytes(data)
            .map(PublicKey::P384)
            .map_err(|_| bad()),
        "Ed25519" => {
            let bytes: [u8; 32] = data.try_into().map_err(|_| bad())?;
            EdPublic::from_bytes(&bytes)
                .map(PublicKey::Ed25519)
                .map_err(|_| bad())
        }
        other => Err(KeyError::UnsupportedType(other.to_owned())),
    }
}

// ------------------------------------------------------------------ JWK

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

fn unb64(field: &str, s: Option<&str>) -> Result<Vec<u8>> {
    let s = s.ok_or_else(|| KeyError::Jwk(format!("missing \"{field}\"")))?;
    Base64UrlUnpadded::decode_vec(s.trim_end_matches('='))
        .map_err(|_| KeyError::Jwk(format!("\"{field}\" is not base64url")))
}

/// A JWK's members as `(name, value)` pairs: what `export({format: 'jwk'})` returns.
pub fn to_jwk(key: &Key) -> Result<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    let (public, private) = match key {
        Key::Secret(b) => {
            out.push(("kty", "oct".to_owned()));
            out.push(("k", b64(b)));
            return Ok(out);
        }
        Key::Private(k) => (k.public(), Some(k)),
        Key::Public(k) => (k.clone_key(), None),
    };
    match &public {
        PublicKey::Rsa(k) => {
            out.push(("kty", "RSA".into()));
            out.push(("n", b64(&k.n().to_bytes_be())));
            out.push(("e", b64(&k.e().to_bytes_be())));
            if let Some(PrivateKey::Rsa(p)) = private {
                let primes = p.primes();
                if primes.len() != 2 {
                    return Err(KeyError::Jwk(
                        "multi-prime RSA keys have no JWK form here".into(),
                    ));
                }
                out.push(("d", b64(&p.d().to_bytes_be())));
                out.push(("p", b64(&primes[0].to_bytes_be())));
                out.push(("q", b64(&primes[1].to_bytes_be())));
                let (dp, dq, qi) = (p.dp(), p.dq(), p.crt_coefficient());
                if let (Some(dp), Some(dq), Some(qi)) = (dp, dq, qi) {
                    out.push(("dp", b64(&dp.to_bytes_be())));
                    out.push(("dq", b64(&dq.to_bytes_be())));
                    out.push(("qi", b64(&qi.to_bytes_be())));
                }
            }
        }
        PublicKey::P256(_) | PublicKey::P384(_) => {
            let (crv, size) = if matches!(public, PublicKey::P256(_)) {
                ("P-256", 32)
            } else {
                ("P-384", 48)
            };
            let point = public.to_raw()?;
            out.push(("kty", "EC".into()));
            out.push(("crv", crv.into()));
            out.push(("x", b64(&point[1..1 + size])));
            out.push(("y", b64(&point[1 + size..])));
            match private {
                Some(PrivateKey::P256(s)) => out.push(("d", b64(&s.to_bytes()))),
                Some(PrivateKey::P384(s)) => out.push(("d", b64(&s.to_bytes()))),
                _ => {}
            }
        }
        PublicKey::Ed25519(k) => {
            out.push(("crv", "Ed25519".into()));
            out.push(("x", b64(k.as_bytes())));
            if let Some(PrivateKey::Ed25519(s)) = private {
                out.push(("d", b64(&s.to_bytes())));
            }
            out.push(("kty", "OKP".into()));
        }
    }
    Ok(out)
}

/// A key from JWK members (`get(name)`). A JWK with `d` is private unless `want_public`.
pub fn from_jwk<'a>(get: impl Fn(&str) -> Option<&'a str>, want_public: bool) -> Result<Key> {
    let kty = get("kty").ok_or_else(|| KeyError::Jwk("missing \"kty\"".into()))?;
    let private = get("d").is_some() && !want_public;
    let key = match kty {
        "oct" => return Ok(Key::Secret(unb64("k", get("k"))?)),
        "RSA" => {
            let n = BigUint::from_bytes_be(&unb64("n", get("n"))?);
            let e = BigUint::from_bytes_be(&unb64("e", get("e"))?);
            if private {
                let d = BigUint::from_bytes_be(&unb64("d", get("d"))?);
                let primes = match (get("p"), get("q")) {
                    (Some(_), Some(_)) => vec![
                        BigUint::from_bytes_be(&unb64("p", get("p"))?),
                        BigUint::from_bytes_be(&unb64("q", get("q"))?),
                    ],
                    _ => Vec::new(),
                };
                let k = RsaPrivateKey::from_components(n, e, d, primes)
                    .map_err(|e| KeyError::Jwk(e.to_string()))?;
                Key::Private(PrivateKey::Rsa(Box::new(k)))
            } else {
                let k = RsaPublicKey::new(n, e).map_err(|e| KeyError::Jwk(e.to_string()))?;
                Key::Public(PublicKey::Rsa(Box::new(k)))
            }
        }
        "EC" => {
            let crv = get("crv").ok_or_else(|| KeyError::Jwk("missing \"crv\"".into()))?;
            if private {
                let d = unb64("d", get("d"))?;
                let k = match crv {
                    "P-256" => p256::SecretKey::from_slice(&d).map(PrivateKey::P256),
                    "P-384" => p384::SecretKey::from_slice(&d).map(PrivateKey::P384),
                    other => return Err(KeyError::UnsupportedType(other.to_owned())),
                }
                .map_err(|_| KeyError::Jwk("bad \"d\"".into()))?;
                Key::Private(k)
            } else {
                let mut point = vec![4u8];
                point.extend(unb64("x", get("x"))?);
                point.extend(unb64("y", get("y"))?);
                Key::Public(
                    parse_raw_public(crv, &point).map_err(|_| KeyError::Jwk("bad point".into()))?,
                )
            }
        }
        "OKP" => {
            if get("crv") != Some("Ed25519") {
                return Err(KeyError::UnsupportedType(
                    get("crv").unwrap_or("OKP").to_owned(),
                ));
            }
            if private {
                let d: [u8; 32] = unb64("d", get("d"))?
                    .try_into()
                    .map_err(|_| KeyError::Jwk("bad \"d\"".into()))?;
                Key::Private(PrivateKey::Ed25519(Box::new(EdSecret::from_bytes(&d))))
            } else {
                Key::Public(parse_raw_public("Ed25519", &unb64("x", get("x"))?)?)
            }
        }
        other => return Err(KeyError::UnsupportedType(other.to_owned())),
    };
    Ok(key)
}

// ------------------------------------------------------------------ generation

/// A new private key: `rsa` (modulus bits, public exponent), `ec` (`P-256`/`P-384`), `ed25519`.
pub fn generate(kind: &str, curve: &str, bits: usize, exponent: u64) -> Result<PrivateKey> {
    super::crypto_prims::random_fill(&mut [0u8; 4]).map_err(op)?;
    match (kind, curve) {
        ("rsa", _) => {
            // Prime search cannot be interrupted by the request deadline: past 4096 bits it
            // takes seconds to minutes of one worker.
            if !(512..=4096).contains(&bits) {
                return Err(op("modulusLength must be between 512 and 4096 in HBF"));
            }
            let k = RsaPrivateKey::new_with_exp(&mut OsRng, bits, &BigUint::from(exponent))
                .map_err(op)?;
            Ok(PrivateKey::Rsa(Box::new(k)))
        }
        ("ec", "P-256" | "prime256v1" | "secp256r1") => {
            Ok(PrivateKey::P256(p256::SecretKey::random(&mut OsRng)))
        }
        ("ec", "P-384" | "secp384r1") => Ok(PrivateKey::P384(p384::SecretKey::random(&mut OsRng))),
        ("ed25519", _) => {
            let mut seed = [0u8; 32];
            super::crypto_prims::random_fill(&mut seed).map_err(op)?;
            Ok(PrivateKey::Ed25519(Box::new(EdSecret::from_bytes(&seed))))
        }
        (k, c) => Err(KeyError::UnsupportedType(if c.is_empty() {
            k.to_owned()
        } else {
            format!("{k} {c}")
        })),
    }
}

#[cfg(test)]
mod tests;
