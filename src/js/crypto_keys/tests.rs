//! Known-answer tests of `crypto_keys`: RFC 8032 (Ed25519), RFC 6979 (deterministic ECDSA,
//! P-256), a PKCS#1 v1.5 signature made by OpenSSL (Node 20) with the test key of
//! `js-tests/crypto/keys.json`, and the PEM/DER/JWK forms round-tripping.

use super::*;
use crate::js::crypto_prims::test_hex::{hex, unhex};

const RSA_PKCS8: &str = r#"-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDc+hNJ16ujEIBI
eaDB9W0S9PIsgbj/gJgntH+O14QvtHTQECFQIxsqFs7ung3PGb5Mg++D5rQhobzU
I470CsrxqLQHU2tPkx7DF5NE/megSOrwSRU4ZKqqKW3+74IOglltqfWJ508LjunA
AVL/XoWaxmXTDstR2urUWbIqAzOMnTOnJ1O30WdzNQewDEpxWZ1cH0K995II9acs
J0qNOfZl6aS9j9+SvF+9AsRjo6UvOGEURL+bqWbaHQBzrHrCJ0UwzlUsblbL70LL
CzDfUlF3RcuS/Bv/C0t+NXuTsZIdb6315acH+gs18JXRdPTmtvnnjoXDn1F4qXB7
8QJ4nsaPAgMBAAECggEABklvG2ork77Ph4YnEONtXtGbwvaUZtTh8688OdFrJG+V
WcD16PGT1qKH2bm6KzZnvZ0vr9b/6sisHy8l+6vVHkkocbIA+CCafucpWaPijzog
85BpdCS79Y3wjqgNxY/ndUFEE6GZn8CPI2LDWY7IhH3byZX45LN4e/kNrjhQAYD+
/GqLjgjlCqBlSonAIM1MVU3cWWi9OEyohg3I594U1v3Hl7fOn+4nM5JI5co0fr5B
+aYoaNgp7fXEM2cfNcWPWGUgd3Oz+mU2ZIhOZ25hD7F6DvdIKAb+NhBz4OJcb0LL
6DXWOi5czKmokanF6btIQvfWdfhzgfhZnMPBc+VToQKBgQD9iteEMFexk7ozzHmP
oxN0smxNC/wwwxQqaHp7LQclHGp8OshNS1zniDPfTVg+QsWv9iCNHgnyA/r/XSD7
97pnTqQnrsARah8bIt3R8fBSXFVmSCNCADJxE0iOvgHNCiJ6ouXqv/+0liwFiq9v
qLYR35/0ffpLRkX6jrg5iZywWQKBgQDfHmxSqEphvK7jQ1bzXzczHWDAuSWU54+L
UfMAE8ZURdEiA7LBOJzS9hIbX0+bUQWtgsaTiSbzlXHD6roq6mwqBzISmcqO1gET
LAm4IfkbgPDN4NfS4DvgFshPx+x/4PS+lPAF+INgt+T/KETqyVwsckMyb/UNwLl9
9iusmRoRJwKBgQDUN41yuJ/+I798Mc8h+gaD7AAYcUqyaeaMJI04YpUTa/h5aR5V
DBqENY3tf6i33F3pjaLrW1RJvSku6317SXw9kiZ2jJ95NBE7PnDalJ5p4Z0dko3o
ZY/S86gMyl9phu0bJxQ47GIUfon0TYPQey+CQGJ7W6LPtM9IDIOIrXV4aQKBgQC9
iz/k3HkMHNnJ0Xw9lmbzcoKuVtt5a1qDteOk7ievkfw/VDr4cNqxUUBCpq6fOK6F
H7MIxRwlFJEoKfFr4ehvr9s2+BWfUGhrXB8JoTrZxalMjTVsPPhAv7n+JM5iOL5S
ZX6e4+bgNHlC1nftqZA3Zf52C6x3uYEbZBToNMxzQwKBgQCac3liJ6pi9yyT64L3
k7oFgm2j//nRvaWHiCQxxOwSNmdM+OTrulc4BQraDEEpGna5K8+RNH/0DAUbobj7
1cH9QiWXSs6vde/cmYWXMdxegVzyEwsKJrfhK1eCqbIC1SV2zwej3fOA2906Kdmh
gqjdFFjeDptADpjYGhwV5r2u4w==
-----END PRIVATE KEY-----
"#;
const RSA_SPKI: &str = r#"-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3PoTSderoxCASHmgwfVt
EvTyLIG4/4CYJ7R/jteEL7R00BAhUCMbKhbO7p4Nzxm+TIPvg+a0IaG81COO9ArK
8ai0B1NrT5MewxeTRP5noEjq8EkVOGSqqilt/u+CDoJZban1iedPC47pwAFS/16F
msZl0w7LUdrq1FmyKgMzjJ0zpydTt9FnczUHsAxKcVmdXB9CvfeSCPWnLCdKjTn2
ZemkvY/fkrxfvQLEY6OlLzhhFES/m6lm2h0Ac6x6widFMM5VLG5Wy+9Cywsw31JR
d0XLkvwb/wtLfjV7k7GSHW+t9eWnB/oLNfCV0XT05rb5546Fw59ReKlwe/ECeJ7G
jwIDAQAB
-----END PUBLIC KEY-----
"#;
const RSA_PKCS1: &str = r#"-----BEGIN RSA PRIVATE KEY-----
MIIEpQIBAAKCAQEA3PoTSderoxCASHmgwfVtEvTyLIG4/4CYJ7R/jteEL7R00BAh
UCMbKhbO7p4Nzxm+TIPvg+a0IaG81COO9ArK8ai0B1NrT5MewxeTRP5noEjq8EkV
OGSqqilt/u+CDoJZban1iedPC47pwAFS/16FmsZl0w7LUdrq1FmyKgMzjJ0zpydT
t9FnczUHsAxKcVmdXB9CvfeSCPWnLCdKjTn2ZemkvY/fkrxfvQLEY6OlLzhhFES/
m6lm2h0Ac6x6widFMM5VLG5Wy+9Cywsw31JRd0XLkvwb/wtLfjV7k7GSHW+t9eWn
B/oLNfCV0XT05rb5546Fw59ReKlwe/ECeJ7GjwIDAQABAoIBAAZJbxtqK5O+z4eG
JxDjbV7Rm8L2lGbU4fOvPDnRayRvlVnA9ejxk9aih9m5uis2Z72dL6/W/+rIrB8v
Jfur1R5JKHGyAPggmn7nKVmj4o86IPOQaXQku/WN8I6oDcWP53VBRBOhmZ/AjyNi
w1mOyIR928mV+OSzeHv5Da44UAGA/vxqi44I5QqgZUqJwCDNTFVN3FlovThMqIYN
yOfeFNb9x5e3zp/uJzOSSOXKNH6+QfmmKGjYKe31xDNnHzXFj1hlIHdzs/plNmSI
TmduYQ+xeg73SCgG/jYQc+DiXG9Cy+g11jouXMypqJGpxem7SEL31nX4c4H4WZzD
wXPlU6ECgYEA/YrXhDBXsZO6M8x5j6MTdLJsTQv8MMMUKmh6ey0HJRxqfDrITUtc
54gz301YPkLFr/YgjR4J8gP6/10g+/e6Z06kJ67AEWofGyLd0fHwUlxVZkgjQgAy
cRNIjr4BzQoieqLl6r//tJYsBYqvb6i2Ed+f9H36S0ZF+o64OYmcsFkCgYEA3x5s
UqhKYbyu40NW8183Mx1gwLkllOePi1HzABPGVEXRIgOywTic0vYSG19Pm1EFrYLG
k4km85Vxw+q6KupsKgcyEpnKjtYBEywJuCH5G4DwzeDX0uA74BbIT8fsf+D0vpTw
BfiDYLfk/yhE6slcLHJDMm/1DcC5ffYrrJkaEScCgYEA1DeNcrif/iO/fDHPIfoG
g+wAGHFKsmnmjCSNOGKVE2v4eWkeVQwahDWN7X+ot9xd6Y2i61tUSb0pLut9e0l8
PZImdoyfeTQROz5w2pSeaeGdHZKN6GWP0vOoDMpfaYbtGycUOOxiFH6J9E2D0Hsv
gkBie1uiz7TPSAyDiK11eGkCgYEAvYs/5Nx5DBzZydF8PZZm83KCrlbbeWtag7Xj
pO4nr5H8P1Q6+HDasVFAQqaunziuhR+zCMUcJRSRKCnxa+Hob6/bNvgVn1Boa1wf
CaE62cWpTI01bDz4QL+5/iTOYji+UmV+nuPm4DR5QtZ37amQN2X+dgusd7mBG2QU
6DTMc0MCgYEAmnN5YieqYvcsk+uC95O6BYJto//50b2lh4gkMcTsEjZnTPjk67pX
OAUK2gxBKRp2uSvPkTR/9AwFG6G4+9XB/UIll0rOr3Xv3JmFlzHcXoFc8hMLCia3
4StXgqmyAtUlds8Ho93zgNvdOinZoYKo3RRY3g6bQA6Y2BocFea9ruM=
-----END RSA PRIVATE KEY-----
"#;
const P256_PKCS8: &str = r#"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVotmR6DeDYgWkJqv
2VNUE04zwTDoP0lUZqaS31fnnqGhRANCAARTCZlxmgeh5+Yt9eDfxY4OBXkjYFnw
a2BXbLRm4dfe7G84UchgNph6pAmGcvMRwhy2FXlwjEPoL+d2rql+fssx
-----END PRIVATE KEY-----
"#;
const P256_SEC1: &str = r#"-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIFaLZkeg3g2IFpCar9lTVBNOM8Ew6D9JVGamkt9X556hoAoGCCqGSM49
AwEHoUQDQgAEUwmZcZoHoefmLfXg38WODgV5I2BZ8GtgV2y0ZuHX3uxvOFHIYDaY
eqQJhnLzEcIcthV5cIxD6C/ndq6pfn7LMQ==
-----END EC PRIVATE KEY-----
"#;
const P256_CERT: &str = r#"-----BEGIN CERTIFICATE-----
MIIBfjCCASOgAwIBAgIUaRMN7YmzawG+juORL9cDMYDoCT0wCgYIKoZIzj0EAwIw
EzERMA8GA1UEAwwIaGJmLXRlc3QwIBcNMjYxMjA3MjMyNDE5WhgPMjEyNjExMTMy
MzI0MTlaMBMxETAPBgNVBAMMCGhiZi10ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEUwmZcZoHoefmLfXg38WODgV5I2BZ8GtgV2y0ZuHX3uxvOFHIYDaYeqQJ
hnLzEcIcthV5cIxD6C/ndq6pfn7LMaNTMFEwHQYDVR0OBBYEFDZYed92XN+ihO4F
uPXyMKYAvu37MB8GA1UdIwQYMBaAFDZYed92XN+ihO4FuPXyMKYAvu37MA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhALB5XLa7ryddMvNid9B6g1+M
CQQwWmQGK8MqMW0K/SS5AiEAzLTGmCClwXghq6+hm+fl/KtC71s21PR88EeB917B
7Wc=
-----END CERTIFICATE-----
"#;
/// `crypto.sign('sha256', Buffer.from('abc'), RSA_PKCS8)` in Node 20 (OpenSSL 3).
const RSA_SHA256_ABC: &str = "9e22cac97b01b8396fe5df5bd4c3b436b39ccef1e9acf3e0a0ba16aed01f94d7b4c4be62e914a3443d334357788845c196f22a9a3b81e500e543cca95dfd13c4275c7d17de05d191e1d95869a737ba47ddc12a29102d704448042a2a8a84f18eeb99afb890981429d1a8916cd84ca627cbbe69a4f59cf149af4d642274a7b6f6000f6b9c8a78d244ec107f7e78a1879a0899d130bbdf739cced10002bb38a389c9920da2aa1df704a27dcfc0ab00d190fb7b0329aa34e97d43bf0be365793aaf311ed7aba2369a6556b3660a7b1e9ed8005451370853e1ecf15de4b718395835ad04acb1fb3c0726635c37e7c0e61689f890d012b2ce098a930800172ec6253c";

const PKCS1: SignOptions = SignOptions {
    padding: Padding::Pkcs1,
    salt_len: None,
    p1363: false,
};

#[test]
fn ed25519_matches_rfc_8032_test_1() {
    let seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let jwk_d = Base64UrlUnpadded::encode_string(&seed);
    let key = from_jwk(
        |n| match n {
            "kty" => Some("OKP"),
            "crv" => Some("Ed25519"),
            "d" => Some(jwk_d.as_str()),
            _ => None,
        },
        false,
    )
    .unwrap();
    let Key::Private(k) = key else {
        panic!("not private")
    };
    assert_eq!(
        hex(&k.public().to_raw().unwrap()),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    let sig = k.sign(None, b"", PKCS1).unwrap();
    assert_eq!(hex(&sig), "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert!(k.public().verify(None, b"", &sig, PKCS1).unwrap());
    assert!(!k.public().verify(None, b"x", &sig, PKCS1).unwrap());
    assert!(k.sign(Some(Alg::Sha256), b"", PKCS1).is_err());
    // PKCS#8 v1 (seed only), as OpenSSL writes it, and back.
    let der = k.to_der("pkcs8").unwrap();
    assert_eq!(der.len(), 48);
    assert!(matches!(
        parse_private(&der, Some("pkcs8")),
        Ok(PrivateKey::Ed25519(_))
    ));
}

#[test]
fn ecdsa_p256_matches_rfc_6979_a_2_5() {
    let d = unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    let k = PrivateKey::P256(p256::SecretKey::from_slice(&d).unwrap());
    let opts = SignOptions {
        p1363: true,
        ..PKCS1
    };
    let sig = k.sign(Some(Alg::Sha256), b"sample", opts).unwrap();
    assert_eq!(
        hex(&sig),
        "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
    );
    assert!(k
        .public()
        .verify(Some(Alg::Sha256), b"sample", &sig, opts)
        .unwrap());
    // DER encoding by default, as Node's sign().
    let der = k.sign(Some(Alg::Sha256), b"sample", PKCS1).unwrap();
    assert_eq!(der[0], 0x30);
    assert!(k
        .public()
        .verify(Some(Alg::Sha256), b"sample", &der, PKCS1)
        .unwrap());
    assert!(!k
        .public()
        .verify(Some(Alg::Sha256), b"sample", &der, opts)
        .unwrap());
}

#[test]
fn rsa_pkcs1_signature_matches_openssl() {
    let k = parse_private(RSA_PKCS8.as_bytes(), None).unwrap();
    let sig = k.sign(Some(Alg::Sha256), b"abc", PKCS1).unwrap();
    assert_eq!(hex(&sig), RSA_SHA256_ABC);
    let public = parse_public(RSA_SPKI.as_bytes(), None).unwrap();
    assert!(public
        .verify(Some(Alg::Sha256), b"abc", &sig, PKCS1)
        .unwrap());
    assert!(!public.verify(Some(Alg::Sha1), b"abc", &sig, PKCS1).unwrap());
    // PSS: random salt; verification finds the digest-length and maximum salts by itself.
    for salt in [Some(32), None] {
        let opts = SignOptions {
            padding: Padding::Pss,
            salt_len: salt,
            p1363: false,
        };
        let sig = k.sign(Some(Alg::Sha256), b"abc", opts).unwrap();
        let auto = SignOptions {
            salt_len: None,
            ..opts
        };
        assert!(public
            .verify(Some(Alg::Sha256), b"abc", &sig, auto)
            .unwrap());
        assert!(!public
            .verify(Some(Alg::Sha256), b"abd", &sig, auto)
            .unwrap());
    }
}

#[test]
fn keys_read_and_write_every_form() {
    let rsa = parse_private(RSA_PKCS8.as_bytes(), None).unwrap();
    assert_eq!(rsa.to_pem("pkcs8").unwrap(), RSA_PKCS8);
    assert_eq!(rsa.to_pem("pkcs1").unwrap(), RSA_PKCS1);
    assert_eq!(
        parse_private(RSA_PKCS1.as_bytes(), None)
            .unwrap()
            .to_pem("pkcs8")
            .unwrap(),
        RSA_PKCS8
    );
    assert_eq!(rsa.public().to_pem("spki").unwrap(), RSA_SPKI);
    let ec = parse_private(P256_PKCS8.as_bytes(), None).unwrap();
    assert_eq!(ec.to_pem("sec1").unwrap(), P256_SEC1);
    assert_eq!(
        parse_private(P256_SEC1.as_bytes(), None)
            .unwrap()
            .to_pem("pkcs8")
            .unwrap(),
        P256_PKCS8
    );
    // The public key of a certificate, and of a private key given where a public one is wanted.
    let from_cert = parse_public(P256_CERT.as_bytes(), None).unwrap();
    assert_eq!(
        from_cert.to_der("spki").unwrap(),
        ec.public().to_der("spki").unwrap()
    );
    assert!(parse_public(P256_PKCS8.as_bytes(), None).is_ok());
    // JWK round trip of a private RSA key (with its CRT members).
    let key = Key::Private(rsa);
    let jwk = to_jwk(&key).unwrap();
    let get = |n: &str| jwk.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
    let back = from_jwk(get, false).unwrap();
    assert!(key.same_as(&back));
    let info = back.info();
    assert_eq!(
        (
            info.kind,
            info.asymmetric_type,
            info.modulus_length,
            info.public_exponent
        ),
        ("private", Some("rsa"), Some(2048), Some(65537))
    );
}

#[test]
fn bad_keys_are_refused_with_node_errors() {
    assert_eq!(
        parse_private(b"not a key", None).err(),
        Some(KeyError::Decode)
    );
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_eq!(
        parse_private(encrypted.as_bytes(), None).err(),
        Some(KeyError::Encrypted)
    );
    assert_eq!(KeyError::Decode.code(), "ERR_OSSL_UNSUPPORTED");
    assert!(matches!(
        from_jwk(|n| (n == "kty").then_some("EC"), false),
        Err(KeyError::Jwk(_))
    ));
    assert!(parse_raw_public("P-256", &[4, 1, 2]).is_err());
    assert!(generate("dsa", "", 0, 0).is_err());
    assert!(matches!(
        generate("ec", "P-384", 0, 0),
        Ok(PrivateKey::P384(_))
    ));
}
