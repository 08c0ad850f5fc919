//! The symmetric primitives behind Node's `crypto` and WebCrypto, as plain Rust over byte
//! slices (no JavaScript here, so they are unit-tested with known-answer vectors): digests
//! and HMAC (incremental, copyable), PBKDF2, scrypt, AES-GCM and AES-CBC, constant-time
//! comparison and the OS random source as a `rand_core` RNG. `host_crypto` exposes them.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use digest::{FixedOutput, Update};
use hmac::Hmac;
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};

/// Why a primitive refused its input; the message is what the JavaScript error says.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrimError {
    #[error("Invalid key length")]
    KeyLength,
    #[error("Invalid initialization vector")]
    IvLength,
    #[error("Invalid authentication tag length: {0}")]
    TagLength(usize),
    #[error("Unsupported state or unable to authenticate data")]
    Authenticate,
    #[error("bad decrypt")]
    BadDecrypt,
    #[error("wrong final block length")]
    BlockLength,
    #[error("Invalid scrypt params: {0}")]
    Scrypt(String),
    #[error("the OS random source failed: {0}")]
    Random(String),
}

/// A digest algorithm Node and WebCrypto name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Alg {
    /// Parses a Node digest name (`sha256`, `SHA-256`, `RSA-SHA256`, `sha256WithRSAEncryption`,
    /// `ecdsa-with-SHA256`), case-insensitively.
    pub fn parse(name: &str) -> Option<Alg> {
        let lower = name.to_ascii_lowercase();
        let base = lower
            .strip_prefix("rsa-")
            .or_else(|| lower.strip_prefix("ecdsa-with-"))
            .or_else(|| lower.strip_suffix("withrsaencryption"))
            .unwrap_or(&lower);
        Some(match base.replace('-', "").as_str() {
            "md5" => Alg::Md5,
            "sha1" => Alg::Sha1,
            "sha224" => Alg::Sha224,
            "sha256" => Alg::Sha256,
            "sha384" => Alg::Sha384,
            "sha512" => Alg::Sha512,
            _ => return None,
        })
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Alg::Md5 => 16,
            Alg::Sha1 => 20,
            Alg::Sha224 => 28,
            Alg::Sha256 => 32,
            Alg::Sha384 => 48,
            Alg::Sha512 => 64,
        }
    }

    /// A new incremental hash.
    pub fn hasher(self) -> Hasher {
        Hasher(match self {
            Alg::Md5 => Box::new(Md5::default()),
            Alg::Sha1 => Box::new(Sha1::default()),
            Alg::Sha224 => Box::new(Sha224::default()),
            Alg::Sha256 => Box::new(Sha256::default()),
            Alg::Sha384 => Box::new(Sha384::default()),
            Alg::Sha512 => Box::new(Sha512::default()),
        })
    }

    /// A new incremental HMAC keyed with `key` (any length).
    pub fn hmac(self, key: &[u8]) -> Hasher {
        // HMAC takes keys of any length (hashed or padded), so new_from_slice cannot fail;
        // the fallback keeps that an invariant of the crate rather than a panic here.
        macro_rules! mac {
            ($d:ty) => {
                match <Hmac<$d> as KeyInit>::new_from_slice(key) {
                    Ok(m) => Box::new(m) as Box<dyn State>,
                    Err(_) => Box::new(<Hmac<$d> as KeyInit>::new(&Default::default())),
                }
            };
        }
        Hasher(match self {
            Alg::Md5 => mac!(Md5),
            Alg::Sha1 => mac!(Sha1),
            Alg::Sha224 => mac!(Sha224),
            Alg::Sha256 => mac!(Sha256),
            Alg::Sha384 => mac!(Sha384),
            Alg::Sha512 => mac!(Sha512),
        })
    }

    /// The digest of `data` in one call.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(data);
        h.finish()
    }

    /// PBKDF2-HMAC with this digest.
    pub fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        use pbkdf2::pbkdf2_hmac;
        match self {
            Alg::Md5 => pbkdf2_hmac::<Md5>(password, salt, rounds, out),
            Alg::Sha1 => pbkdf2_hmac::<Sha1>(password, salt, rounds, out),
            Alg::Sha224 => pbkdf2_hmac::<Sha224>(password, salt, rounds, out),
            Alg::Sha256 => pbkdf2_hmac::<Sha256>(password, salt, rounds, out),
            Alg::Sha384 => pbkdf2_hmac::<Sha384>(password, salt, rounds, out),
            Alg::Sha512 => pbkdf2_hmac::<Sha512>(password, salt, rounds, out),
        }
    }
}

/// What `Hasher` needs of a digest or MAC: feed bytes, finish, copy.
trait State {
    fn feed(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
    fn copy(&self) -> Box<dyn State>;
}

impl<T: Update + FixedOutput + Clone + 'static> State for T {
    fn feed(&mut self, data: &[u8]) {
        Update::update(self, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        FixedOutput::finalize_fixed(*self).to_vec()
    }
    fn copy(&self) -> Box<dyn State> {
        Box::new(self.clone())
    }
}

/// An incremental digest or HMAC (`createHash`, `createHmac`).
pub struct Hasher(Box<dyn State>);

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        self.0.feed(data);
    }
    pub fn finish(self) -> Vec<u8> {
        self.0.finish()
    }
    /// An independent copy of the state so far (`hash.copy()`).
    pub fn copy(&self) -> Hasher {
        Hasher(self.0.copy())
    }
}

/// scrypt (RFC 7914). `log_n` is log2 of the cost N.
pub fn scrypt(
    password: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
    out: &mut [u8],
) -> Result<(), PrimError> {
    let params = scrypt::Params::new(log_n, r, p, out.len().max(10))
        .map_err(|e| PrimError::Scrypt(e.to_string()))?;
    scrypt::scrypt(password, salt, &params, out).map_err(|e| PrimError::Scrypt(e.to_string()))
}

/// Constant-time equality of two equal-length slices.
pub fn timing_safe_equal(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// AES-GCM with a 12-byte or other-length IV. Encryption returns `ciphertext || tag`;
/// decryption takes the same and checks the tag (`tag_len` bytes, 4..=16).
pub fn aes_gcm(
    encrypt: bool,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
    aad: &[u8],
    tag_len: usize,
) -> Result<Vec<u8>, PrimError> {
    use aes_gcm::aes::{Aes128, Aes192, Aes256};
    use aes_gcm::AesGcm;
    use typenum_alias::*;
    if tag_len != 16 {
        // The aes-gcm crate fixes the tag size in the type; Node's default is 16, WebCrypto's
        // is 128 bits, and shorter tags are discouraged by NIST SP 800-38D.
        return Err(PrimError::TagLength(tag_len));
    }
    if iv.is_empty() {
        return Err(PrimError::IvLength);
    }
    macro_rules! run {
        ($cipher:ty, $nonce:ty) => {{
            let c =
                <AesGcm<$cipher, $nonce>>::new_from_slice(key).map_err(|_| PrimError::KeyLength)?;
            let nonce = aes_gcm::Nonce::<$nonce>::from_slice(iv);
            let payload = Payload { msg: data, aad };
            if encrypt {
                c.encrypt(nonce, payload)
                    .map_err(|_| PrimError::Authenticate)
            } else {
                c.decrypt(nonce, payload)
                    .map_err(|_| PrimError::Authenticate)
            }
        }};
    }
    macro_rules! by_key {
        ($nonce:ty) => {
            match key.len() {
                16 => run!(Aes128, $nonce),
                24 => run!(Aes192, $nonce),
                32 => run!(Aes256, $nonce),
                _ => Err(PrimError::KeyLength),
            }
        };
    }
    match iv.len() {
        12 => by_key!(U12),
        16 => by_key!(U16),
        _ => Err(PrimError::IvLength),
    }
}

/// Nonce sizes the aes-gcm crate is instantiated with (12 is the standard one; 16 is what
/// some Node code passes).
mod typenum_alias {
    pub use aes_gcm::aead::consts::{U12, U16};
}

/// AES-CBC with PKCS#7 padding (or none when `pad` is false: the input must then be whole
/// blocks).
pub fn aes_cbc(
    encrypt: bool,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
    pad: bool,
) -> Result<Vec<u8>, PrimError> {
    use aes::{Aes128, Aes192, Aes256};
    use cbc::cipher::block_padding::{NoPadding, Pkcs7};
    use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
    if iv.len() != 16 {
        return Err(PrimError::IvLength);
    }
    if !pad && data.len() % 16 != 0 {
        return Err(PrimError::BlockLength);
    }
    if !encrypt && data.len() % 16 != 0 {
        return Err(PrimError::BlockLength);
    }
    macro_rules! run {
        ($aes:ty) => {{
            if encrypt {
                let c = cbc::Encryptor::<$aes>::new_from_slices(key, iv)
                    .map_err(|_| PrimError::KeyLength)?;
                Ok(if pad {
                    c.encrypt_padded_vec_mut::<Pkcs7>(data)
                } else {
                    c.encrypt_padded_vec_mut::<NoPadding>(data)
                })
            } else {
                let c = cbc::Decryptor::<$aes>::new_from_slices(key, iv)
                    .map_err(|_| PrimError::KeyLength)?;
                if pad {
                    c.decrypt_padded_vec_mut::<Pkcs7>(data)
                        .map_err(|_| PrimError::BadDecrypt)
                } else {
                    c.decrypt_padded_vec_mut::<NoPadding>(data)
                        .map_err(|_| PrimError::BlockLength)
                }
            }
        }};
    }
    match key.len() {
        16 => run!(Aes128),
        24 => run!(Aes192),
        32 => run!(Aes256),
        _ => Err(PrimError::KeyLength),
    }
}

/// Fills `buf` from the OS random source.
pub fn random_fill(buf: &mut [u8]) -> Result<(), PrimError> {
    getrandom::fill(buf).map_err(|e| PrimError::Random(e.to_string()))
}

/// The OS random source as the RNG the RustCrypto signers and key generators take. Callers
/// check the source works first (`random_fill` on a few bytes), so the `fill_bytes` path,
/// which cannot return an error, does not fail in practice.
pub struct OsRng;

impl rand_core::RngCore for OsRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if let Err(e) = getrandom::fill(dest) {
            panic!("the OS random source failed: {e}");
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        getrandom::fill(dest).map_err(|e| {
            rand_core::Error::from(
                std::num::NonZeroU32::new(e.raw_os_error().unwrap_or(1).unsigned_abs().max(1))
                    .unwrap_or(std::num::NonZeroU32::MIN),
            )
        })
    }
}

impl rand_core::CryptoRng for OsRng {}

/// Hex helpers for the known-answer tests here and in `crypto_keys`.
#[cfg(test)]
pub(crate) mod test_hex {
    pub fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    pub fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_hex::{hex, unhex};
    use super::*;

    #[test]
    fn digests_match_fips_180_and_rfc_1321_vectors() {
        let abc = b"abc";
        assert_eq!(
            hex(&Alg::Md5.digest(abc)),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(&Alg::Sha1.digest(abc)),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&Alg::Sha224.digest(abc)),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        assert_eq!(
            hex(&Alg::Sha256.digest(abc)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&Alg::Sha384.digest(abc)),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(
            hex(&Alg::Sha512.digest(abc)),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        let mut h = Alg::Sha256.hasher();
        h.update(b"a");
        let copy = h.copy();
        h.update(b"bc");
        assert_eq!(hex(&h.finish()), hex(&Alg::Sha256.digest(abc)));
        assert_eq!(hex(&copy.finish()), hex(&Alg::Sha256.digest(b"a")));
    }

    #[test]
    fn names_parse_as_node_spells_them() {
        assert_eq!(Alg::parse("RSA-SHA256"), Some(Alg::Sha256));
        assert_eq!(Alg::parse("SHA-384"), Some(Alg::Sha384));
        assert_eq!(Alg::parse("sha512WithRSAEncryption"), Some(Alg::Sha512));
        assert_eq!(Alg::parse("ecdsa-with-SHA1"), Some(Alg::Sha1));
        assert_eq!(Alg::parse("md5"), Some(Alg::Md5));
        assert_eq!(Alg::parse("sha3-256"), None);
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mut m = Alg::Sha256.hmac(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&m.finish()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut m = Alg::Sha512.hmac(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert!(hex(&m.finish()).starts_with("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd6"));
        let mut m = Alg::Md5.hmac(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert_eq!(hex(&m.finish()), "750c783e6ab0b503eaa86e310a5db738"); // RFC 2104
    }

    #[test]
    fn pbkdf2_matches_rfc_6070_and_scrypt_rfc_7914() {
        let mut out = [0u8; 20];
        Alg::Sha1.pbkdf2(b"password", b"salt", 4096, &mut out);
        assert_eq!(hex(&out), "4b007901b765489abead49d926f721d065a429c1");
        let mut out = [0u8; 64];
        scrypt(b"password", b"NaCl", 10, 8, 16, &mut out).unwrap();
        assert!(hex(&out)
            .starts_with("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"));
        assert!(scrypt(b"p", b"s", 70, 8, 1, &mut out).is_err());
    }

    #[test]
    fn aes_gcm_matches_nist_test_case_4_and_rejects_tampering() {
        // GCM spec (McGrew & Viega) test case 16: AES-256, 96-bit IV, with AAD.
        let key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let iv = unhex("cafebabefacedbaddecaf888");
        let pt = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let out = aes_gcm(true, &key, &iv, &pt, &aad, 16).unwrap();
        assert_eq!(hex(&out[pt.len()..]), "76fc6ece0f4e1768cddf8853bb2d551b");
        assert!(hex(&out)
            .starts_with("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"));
        assert_eq!(aes_gcm(false, &key, &iv, &out, &aad, 16).unwrap(), pt);
        let mut bad = out.clone();
        bad[0] ^= 1;
        assert_eq!(
            aes_gcm(false, &key, &iv, &bad, &aad, 16),
            Err(PrimError::Authenticate)
        );
        assert_eq!(
            aes_gcm(true, &key[..5], &iv, &pt, &aad, 16),
            Err(PrimError::KeyLength)
        );
    }

    #[test]
    fn aes_cbc_matches_sp_800_38a_f_2_5() {
        let key = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = unhex("000102030405060708090a0b0c0d0e0f");
        let pt = unhex("6bc1bee22e409f96e93d7e117393172a");
        let ct = aes_cbc(true, &key, &iv, &pt, false).unwrap();
        assert_eq!(hex(&ct), "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
        let padded = aes_cbc(true, &key, &iv, b"hello", true).unwrap();
        assert_eq!(padded.len(), 16);
        assert_eq!(aes_cbc(false, &key, &iv, &padded, true).unwrap(), b"hello");
        assert_eq!(
            aes_cbc(false, &key, &iv, &padded[..15], true),
            Err(PrimError::BlockLength)
        );
    }

    #[test]
    fn timing_safe_equal_compares_whole_slices() {
        assert!(timing_safe_equal(b"abc", b"abc"));
        assert!(!timing_safe_equal(b"abc", b"abd"));
        assert!(!timing_safe_equal(b"abc", b"ab"));
    }
}
