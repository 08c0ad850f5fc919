//! Host functions behind `node:buffer` (`src/js/lib/node/buffer.js`) for the encodings that
//! are slow in an interpreter on large data: base64, base64url and hex, both ways. Decoding
//! follows Node's lenient rules (see each function), so `Buffer.from(s, 'base64')` gives the
//! bytes Node gives for any input. Reached as `require('hbf:host').base64Encode(...)` etc.

use rquickjs::{Ctx, Exception, Function, Object, TypedArray, Value};

use super::convert::bytes_of;

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Adds `base64Encode`, `base64Decode`, `hexEncode` and `hexDecode` to the host object.
pub fn install<'js>(ctx: &Ctx<'js>, host: &Object<'js>) -> rquickjs::Result<()> {
    host.set(
        "base64Encode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, bytes: Value<'js>, url: bool| {
                let bytes = bytes_of(&bytes)
                    .ok_or_else(|| Exception::throw_type(&ctx, "base64Encode expects bytes"))?;
                Ok::<_, rquickjs::Error>(base64_encode(&bytes, url))
            },
        )?,
    )?;
    host.set(
        "base64Decode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: Value<'js>| {
            let text = text_of(&ctx, &text, "base64Decode")?;
            TypedArray::<u8>::new(ctx, base64_decode(&text))
        })?,
    )?;
    host.set(
        "hexEncode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, bytes: Value<'js>| {
            let bytes = bytes_of(&bytes)
                .ok_or_else(|| Exception::throw_type(&ctx, "hexEncode expects bytes"))?;
            Ok::<_, rquickjs::Error>(hex_encode(&bytes))
        })?,
    )?;
    host.set(
        "hexDecode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: Value<'js>| {
            let text = text_of(&ctx, &text, "hexDecode")?;
            TypedArray::<u8>::new(ctx, hex_decode(&text))
        })?,
    )?;
    Ok(())
}

/// The UTF-8 of a JS string (a lone surrogate as U+FFFD, which no decoder here accepts).
fn text_of(ctx: &Ctx<'_>, value: &Value<'_>, what: &str) -> rquickjs::Result<Vec<u8>> {
    let s = value
        .as_string()
        .ok_or_else(|| Exception::throw_type(ctx, &format!("{what} expects a string")))?;
    super::ffi::string_utf8(s)
}

/// base64 (with `=` padding) or base64url (without), as Node's `toString('base64'|'base64url')`.
pub fn base64_encode(bytes: &[u8], url: bool) -> String {
    let table = if url { URL } else { STD };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..4 {
            if i < symbols {
                out.push(char::from(table[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Node's lenient base64 decoding: either alphabet, characters outside it skipped, decoding
/// stops at the first `=`, a trailing partial group gives the whole bytes it holds, and the
/// result is never longer than the length Node computes from the text (`3/4` of it, minus
/// trailing padding).
pub fn base64_decode(text: &[u8]) -> Vec<u8> {
    let mut len = text.len();
    if len > 0 && text[len - 1] == b'=' {
        len -= 1;
    }
    if len > 1 && text[len - 1] == b'=' {
        len -= 1;
    }
    let max = (len * 3) / 4;
    let mut out = Vec::with_capacity(max);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        if c == b'=' {
            break;
        }
        let Some(v) = base64_value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out.truncate(max);
    out
}

/// Lower-case hex, as Node's `toString('hex')`.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Node's hex decoding: pairs of hex digits up to the first pair that is not one (an odd
/// trailing digit is dropped).
pub fn hex_decode(text: &[u8]) -> Vec<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(text.len() / 2);
    for pair in text.chunks_exact(2) {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_is_lenient_like_node() {
        for input in [&b""[..], b"f", b"fo", b"foo", b"foob", b"\xff\xfe\xfd\x00"] {
            assert_eq!(base64_decode(base64_encode(input, false).as_bytes()), input);
            assert_eq!(base64_decode(base64_encode(input, true).as_bytes()), input);
        }
        assert_eq!(base64_encode(b"\xfb\xff", false), "+/8=");
        assert_eq!(base64_encode(b"\xfb\xff", true), "-_8");
        assert_eq!(base64_decode(b"Zm9v YmFy"), b"foobar");
        assert_eq!(base64_decode(b"Zm9"), b"fo");
        assert_eq!(base64_decode(b"Zg==Zm9v"), b"f");
        assert_eq!(base64_decode(b"Z"), b"");
    }

    #[test]
    fn hex_stops_at_the_first_bad_pair() {
        assert_eq!(hex_encode(b"\x00\xab\xff"), "00abff");
        assert_eq!(hex_decode(b"00abFF"), b"\x00\xab\xff");
        assert_eq!(hex_decode(b"abc"), b"\xab");
        assert_eq!(hex_decode(b"abzz12"), b"\xab");
        assert_eq!(hex_decode(b"g0"), b"");
    }
}
