//! Incremental decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
//!
//! Fed whatever bytes have arrived, it appends decoded data to the body and reports how many
//! input bytes it consumed, stopping exactly at the end of the message so that pipelined bytes
//! after it stay in the connection's buffer. Strict where httparse's helper is lenient: an empty
//! chunk-size is an error, every line ends in CRLF, sizes are overflow-checked, extension and
//! trailer bytes are bounded (trailers are discarded).

use super::method::is_tchar;
use super::Limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        digits: usize,
        value: u64,
        line: usize,
    },
    /// Reading chunk extensions after the size, up to CR.
    Extension { value: u64, line: usize, at: Ext },
    /// Expecting the LF that ends a chunk-size line.
    SizeLf { value: u64 },
    /// Copying chunk data.
    Data { remaining: u64 },
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// At the start of a trailer line (or of the final empty line).
    TrailerStart,
    /// Inside a trailer field line.
    TrailerLine,
    /// Expecting the LF ending a trailer line.
    TrailerLf,
    /// Expecting the LF of the final empty line.
    EndLf,
    /// The whole message body has been read.
    Done,
}

/// Where the decoder is inside `chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )`
/// (RFC 9112 §7.1.1; value = token / quoted-string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    /// After whitespace that follows the size or a value: only more whitespace or `;`.
    BeforeSemi,
    /// After `;`: whitespace, then the first character of a name.
    BeforeName,
    /// Inside a name.
    Name,
    /// Whitespace after a name: `=`, `;` or more whitespace.
    AfterName,
    /// After `=`: whitespace, then a token or a quoted string.
    BeforeValue,
    /// Inside a token value.
    Token,
    /// Inside a quoted-string value.
    Quoted,
    /// After a backslash inside a quoted string.
    QuotedEscape,
    /// Right after a closing quote: whitespace, `;` or the end of the line.
    AfterValue,
}

/// Why a chunked body was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("chunk size missing")]
    EmptySize,
    #[error("invalid character in chunk size")]
    InvalidSize,
    #[error("chunk size overflows")]
    SizeOverflow,
    #[error("chunk-size line longer than {0} bytes")]
    LineTooLong(usize),
    #[error("invalid byte in chunk extension")]
    InvalidExtension,
    #[error("chunk extension without a name")]
    ExtensionWithoutName,
    #[error("whitespace in a chunk-size line not followed by a `;` extension")]
    StrayWhitespace,
    #[error("chunk line ends with a bare LF or bare CR")]
    BadLineEnding,
    #[error("chunk data not followed by CRLF")]
    MissingDataCrlf,
    #[error("invalid byte in trailer")]
    InvalidTrailer,
    #[error("trailers larger than {0} bytes")]
    TrailersTooLarge(usize),
    #[error("request body larger than {0} bytes")]
    BodyTooLarge(u64),
}

impl ChunkError {
    /// The status code this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            ChunkError::BodyTooLarge(_) => 413,
            ChunkError::TrailersTooLarge(_) => 431,
            _ => 400,
        }
    }

    /// A short stable label for counters.
    pub fn kind(&self) -> &'static str {
        match self {
            ChunkError::EmptySize => "chunk_empty_size",
            ChunkError::InvalidSize => "chunk_invalid_size",
            ChunkError::SizeOverflow => "chunk_size_overflow",
            ChunkError::LineTooLong(_) => "chunk_line_too_long",
            ChunkError::InvalidExtension => "chunk_invalid_extension",
            ChunkError::ExtensionWithoutName => "chunk_extension_without_name",
            ChunkError::StrayWhitespace => "chunk_stray_whitespace",
            ChunkError::BadLineEnding => "chunk_bad_line_ending",
            ChunkError::MissingDataCrlf => "chunk_missing_data_crlf",
            ChunkError::InvalidTrailer => "chunk_invalid_trailer",
            ChunkError::TrailersTooLarge(_) => "trailers_too_large",
            ChunkError::BodyTooLarge(_) => "body_too_large",
        }
    }
}

/// Decoder state for one chunked body.
#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: State,
    body_len: u64,
    trailer_bytes: usize,
    max_body: u64,
    max_line: usize,
    max_trailer: usize,
}

impl ChunkedDecoder {
    /// A decoder for one message, bounded by `limits`.
    pub fn new(limits: &Limits) -> Self {
        ChunkedDecoder {
            state: State::Size {
                digits: 0,
                value: 0,
                line: 0,
            },
            body_len: 0,
            trailer_bytes: 0,
            max_body: limits.max_body,
            max_line: limits.max_chunk_line,
            max_trailer: limits.max_trailer_bytes,
        }
    }

    /// True once the terminating empty line has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `input`, appending body bytes to `out`. Returns the number of input bytes
    /// consumed; it is less than `input.len()` only when the body ended inside `input`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, ChunkError> {
        let mut i = 0;
        while i < input.len() {
            if let State::Data { remaining } = self.state {
                let take = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len() - i);
                out.extend_from_slice(&input[i..i + take]);
                i += take;
                let remaining = remaining - take as u64;
                self.state = if remaining == 0 {
                    State::DataCr
                } else {
                    State::Data { remaining }
                };
                continue;
            }
            if self.state == State::Done {
                break;
            }
            self.state = self.step(input[i])?;
            i += 1;
        }
        Ok(i)
    }

    /// One byte of framing (everything but chunk data).
    fn step(&mut self, b: u8) -> Result<State, ChunkError> {
        use State::*;
        Ok(match self.state {
            Size {
                digits,
                value,
                line,
            } => {
                let line = self.count_line(line)?;
                match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                        let value = value
                            .checked_mul(16)
                            .and_then(|v| v.checked_add(digit))
                            .ok_or(ChunkError::SizeOverflow)?;
                        Size {
                            digits: digits + 1,
                            value,
                            line,
                        }
                    }
                    b';' | b' ' | b'\t' | b'\r' if digits == 0 => {
                        return Err(ChunkError::EmptySize)
                    }
                    b';' => Extension {
                        value,
                        line,
                        at: Ext::BeforeName,
                    },
                    b' ' | b'\t' => Extension {
                        value,
                        line,
                        at: Ext::BeforeSemi,
                    },
                    b'\r' => SizeLf { value },
                    b'\n' => return Err(ChunkError::BadLineEnding),
                    _ => return Err(ChunkError::InvalidSize),
                }
            }
            Extension { value, line, at } => {
                let line = self.count_line(line)?;
                match extension_step(at, b)? {
                    Some(at) => Extension { value, line, at },
                    None => SizeLf { value },
                }
            }
            SizeLf { value } => {
                if b != b'\n' {
                    return Err(ChunkError::BadLineEnding);
                }
                if value == 0 {
                    TrailerStart
                } else {
                    self.body_len = self
                        .body_len
                        .checked_add(value)
                        .filter(|&n| n <= self.max_body)
                        .ok_or(ChunkError::BodyTooLarge(self.max_body))?;
                    Data { remaining: value }
                }
            }
            Data { .. } => unreachable!("chunk data is copied in decode()"),
            DataCr if b == b'\r' => DataLf,
            DataLf if b == b'\n' => Size {
                digits: 0,
                value: 0,
                line: 0,
            },
            DataCr | DataLf => return Err(ChunkError::MissingDataCrlf),
            TrailerStart if b == b'\r' => EndLf,
            TrailerStart | TrailerLine => {
                self.trailer_bytes += 1;
                if self.trailer_bytes > self.max_trailer {
                    return Err(ChunkError::TrailersTooLarge(self.max_trailer));
                }
                match b {
                    b'\r' => TrailerLf,
                    b'\n' => return Err(ChunkError::BadLineEnding),
                    b'\t' | 0x20..=0x7e | 0x80..=0xff => TrailerLine,
                    _ => return Err(ChunkError::InvalidTrailer),
                }
            }
            TrailerLf if b == b'\n' => TrailerStart,
            EndLf if b == b'\n' => Done,
            TrailerLf | EndLf => return Err(ChunkError::BadLineEnding),
            Done => Done,
        })
    }

    fn count_line(&self, line: usize) -> Result<usize, ChunkError> {
        let line = line + 1;
        if line > self.max_line {
            return Err(ChunkError::LineTooLong(self.max_line));
        }
        Ok(line)
    }
}

/// One byte of a chunk extension: the next position, or `None` at the CR ending the line.
fn extension_step(at: Ext, b: u8) -> Result<Option<Ext>, ChunkError> {
    use Ext::*;
    let ws = b == b' ' || b == b'\t';
    let tchar = is_tchar(b);
    Ok(Some(match (at, b) {
        (_, b'\n') => return Err(ChunkError::BadLineEnding),
        (Quoted, b'"') => AfterValue,
        (Quoted, b'\\') => QuotedEscape,
        (Quoted, b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff) => Quoted,
        (QuotedEscape, b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff) => Quoted,
        (Quoted | QuotedEscape, _) => return Err(ChunkError::InvalidExtension),
        (Name | Token | AfterValue, b'\r') => return Ok(None),
        (BeforeSemi, b'\r') => return Err(ChunkError::StrayWhitespace),
        (BeforeName, b'\r' | b';') => return Err(ChunkError::ExtensionWithoutName),
        (AfterName, b'\r') => return Err(ChunkError::StrayWhitespace),
        (BeforeSemi | Name | AfterName | Token | AfterValue, b';') => BeforeName,
        (BeforeSemi | Token | AfterValue, _) if ws => BeforeSemi,
        (BeforeName | BeforeValue | AfterName, _) if ws => at,
        (Name, _) if ws => AfterName,
        (Name | AfterName, b'=') => BeforeValue,
        (BeforeName | Name, _) if tchar => Name,
        (BeforeValue, b'"') => Quoted,
        (BeforeValue | Token, _) if tchar => Token,
        _ => return Err(ChunkError::InvalidExtension),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_request_line: 8192,
            max_header_line: 8192,
            max_header_bytes: 32768,
            max_headers: 100,
            max_body: 100,
            max_chunk_line: 32,
            max_trailer_bytes: 64,
            methods: Default::default(),
        }
    }

    fn decode_all(input: &[u8]) -> Result<(Vec<u8>, usize, bool), ChunkError> {
        let mut d = ChunkedDecoder::new(&limits());
        let mut out = Vec::new();
        let n = d.decode(input, &mut out)?;
        Ok((out, n, d.is_done()))
    }

    #[test]
    fn decodes_and_stops_at_the_end() {
        let input = b"5\r\nhello\r\n6;name=v\r\n world\r\n0\r\n\r\nGET / HTTP/1.1";
        let (out, n, done) = decode_all(input).unwrap();
        assert_eq!(out, b"hello world");
        assert!(done);
        assert_eq!(&input[n..], b"GET / HTTP/1.1");
    }

    #[test]
    fn byte_at_a_time_gives_the_same_result() {
        let input = b"A\r\n0123456789\r\n1\r\nx\r\n0\r\nTrailer: t\r\n\r\n";
        let mut d = ChunkedDecoder::new(&limits());
        let mut out = Vec::new();
        for b in input.iter() {
            assert_eq!(d.decode(std::slice::from_ref(b), &mut out).unwrap(), 1);
        }
        assert!(d.is_done());
        assert_eq!(out, b"0123456789x");
    }

    #[test]
    fn rejects_malformed_framing() {
        assert_eq!(decode_all(b"\r\n").unwrap_err(), ChunkError::EmptySize);
        assert_eq!(decode_all(b";ext\r\n").unwrap_err(), ChunkError::EmptySize);
        assert_eq!(
            decode_all(b"5\nhello").unwrap_err(),
            ChunkError::BadLineEnding
        );
        assert_eq!(
            decode_all(b"5\rXhello").unwrap_err(),
            ChunkError::BadLineEnding
        );
        assert_eq!(decode_all(b"g\r\n").unwrap_err(), ChunkError::InvalidSize);
        assert_eq!(
            decode_all(b"5\r\nhelloXX").unwrap_err(),
            ChunkError::MissingDataCrlf
        );
        assert_eq!(
            decode_all(b"1;\x01\r\n").unwrap_err(),
            ChunkError::InvalidExtension
        );
        assert_eq!(
            decode_all(b"0\r\nX: 1\n").unwrap_err(),
            ChunkError::BadLineEnding
        );
        assert_eq!(
            decode_all(b"0\r\n\rX").unwrap_err(),
            ChunkError::BadLineEnding
        );
    }

    #[test]
    fn extension_grammar_is_rfc_9112() {
        // Accepted: names, token and quoted values, BWS around `;` and `=`, several extensions.
        for line in [
            "5;a",
            "5;a=b",
            "5 ;a",
            "5\t; a",
            "5;a =b",
            "5;a= b",
            "5;a=\"x y\"",
            "5;a=\"q\\\"q\"",
            "5;a;b=c;d=\"e\"",
            "5;a=b ;c",
            "5;a=\"b\" ; c",
        ] {
            let input = format!("{line}\r\nhello\r\n0\r\n\r\n");
            let (out, _, done) =
                decode_all(input.as_bytes()).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!((out.as_slice(), done), (&b"hello"[..], true), "{line:?}");
        }
        // Refused: whitespace not leading to `;`, an extension without a name, bad values.
        for (line, want) in [
            ("5 ", ChunkError::StrayWhitespace),
            ("5\t", ChunkError::StrayWhitespace),
            ("5;a ", ChunkError::StrayWhitespace),
            ("5;a=b ", ChunkError::StrayWhitespace),
            ("5;", ChunkError::ExtensionWithoutName),
            ("5; ", ChunkError::ExtensionWithoutName),
            ("5;;a", ChunkError::ExtensionWithoutName),
            ("5;a;", ChunkError::ExtensionWithoutName),
            ("5;=b", ChunkError::InvalidExtension),
            ("5;a=", ChunkError::InvalidExtension),
            ("5;a==b", ChunkError::InvalidExtension),
            ("5;a=b c", ChunkError::InvalidExtension),
            ("5;a b", ChunkError::InvalidExtension),
            ("5;a=\"open", ChunkError::InvalidExtension),
            ("5;a=\"x\"y", ChunkError::InvalidExtension),
            ("5;a(b", ChunkError::InvalidExtension),
            ("5 x", ChunkError::InvalidExtension),
        ] {
            let input = format!("{line}\r\nhello\r\n0\r\n\r\n");
            let e = decode_all(input.as_bytes()).expect_err(line);
            assert_eq!((e.clone(), e.status()), (want, 400), "{line:?}");
        }
    }

    #[test]
    fn bounds_sizes() {
        assert_eq!(
            decode_all(b"ffffffffffffffffff\r\n").unwrap_err(),
            ChunkError::SizeOverflow
        );
        assert_eq!(
            decode_all(b"65\r\n").unwrap_err(),
            ChunkError::BodyTooLarge(100)
        );
        assert!(decode_all(b"64\r\n").is_ok());
        let two = b"40\r\n";
        let mut input = two.to_vec();
        input.extend(vec![b'a'; 0x40]);
        input.extend_from_slice(b"\r\n30\r\n");
        assert_eq!(
            decode_all(&input).unwrap_err(),
            ChunkError::BodyTooLarge(100)
        );
        let long_ext = format!("1;{}\r\n", "e".repeat(40));
        assert_eq!(
            decode_all(long_ext.as_bytes()).unwrap_err(),
            ChunkError::LineTooLong(32)
        );
        let long_trailer = format!("0\r\nX: {}\r\n\r\n", "t".repeat(80));
        assert_eq!(
            decode_all(long_trailer.as_bytes()).unwrap_err(),
            ChunkError::TrailersTooLarge(64)
        );
    }
}
