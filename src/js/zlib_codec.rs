//! The streaming codecs behind Node's `zlib`, as plain Rust: deflate/inflate with zlib, gzip or
//! no framing (flate2 on the pure-Rust miniz_oxide backend; the gzip member header and
//! trailer are written and checked here), `unzip` (gzip or zlib, by the magic bytes) and
//! brotli (`brotli-decompressor`, and the `brotli` encoder with the `brotli-compress` cargo
//! feature). One `Codec` is one Node zlib object: `push` feeds a chunk
//! with a flush mode and returns the output so far, bounded by a caller-given limit so a
//! decompression bomb stops early. Errors carry zlib's messages, codes and errnos.
//! Not here: `windowBits` below 15 when compressing, dictionaries, `params()` (miniz_oxide
//! offers none of them; the JavaScript side accepts and documents that).

use std::io::Write;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Which transform a codec performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Deflate,
    Inflate,
    Gzip,
    Gunzip,
    DeflateRaw,
    InflateRaw,
    Unzip,
    #[cfg(feature = "brotli-compress")]
    BrotliEncode,
    BrotliDecode,
}

impl Mode {
    pub fn parse(name: &str) -> Option<Mode> {
        Some(match name {
            "deflate" => Mode::Deflate,
            "inflate" => Mode::Inflate,
            "gzip" => Mode::Gzip,
            "gunzip" => Mode::Gunzip,
            "deflateRaw" => Mode::DeflateRaw,
            "inflateRaw" => Mode::InflateRaw,
            "unzip" => Mode::Unzip,
            #[cfg(feature = "brotli-compress")]
            "brotliCompress" => Mode::BrotliEncode,
            "brotliDecompress" => Mode::BrotliDecode,
            _ => return None,
        })
    }
}

/// How much of the stream `push` must complete (zlib's flush values, brotli's operations
/// mapped onto them by the JavaScript side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flush {
    /// Z_NO_FLUSH: output what is ready.
    None,
    /// Z_SYNC_FLUSH / Z_FULL_FLUSH / BROTLI_OPERATION_FLUSH: everything so far, byte-aligned.
    Sync,
    /// Z_FINISH / BROTLI_OPERATION_FINISH: the end of the stream.
    Finish,
}

/// Codec settings (Node's options; unset ones take zlib's and brotli's defaults).
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// 0..=9, or -1 for the default (6).
    pub level: i32,
    /// Brotli quality 0..=11 (default 11) and window 10..=24 (default 22).
    pub quality: u32,
    pub lgwin: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            level: -1,
            quality: 11,
            lgwin: 22,
        }
    }
}

/// A failed `push`: Node's message, `code` and `errno`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZError {
    /// Corrupt input (Z_DATA_ERROR).
    #[error("{0}")]
    Data(&'static str),
    /// The input ended before the stream did (Z_BUF_ERROR).
    #[error("unexpected end of file")]
    UnexpectedEnd,
    /// Corrupt brotli input.
    #[error("Decompression failed")]
    Brotli,
    /// More output than the limit allows (maxOutputLength or the runtime's memory limit).
    #[error("Cannot create a Buffer larger than {0} bytes")]
    TooLarge(usize),
    /// A push after the stream was finished or failed.
    #[error("zlib binding closed")]
    Closed,
}

impl ZError {
    pub fn code(&self) -> &'static str {
        match self {
            ZError::Data(_) => "Z_DATA_ERROR",
            ZError::UnexpectedEnd => "Z_BUF_ERROR",
            ZError::Brotli => "ERR_BROTLI_DECOMPRESSION_FAILED",
            ZError::TooLarge(_) => "ERR_BUFFER_TOO_LARGE",
            ZError::Closed => "ERR_ZLIB_BINDING_CLOSED",
        }
    }
    pub fn errno(&self) -> Option<i32> {
        match self {
            ZError::Data(_) => Some(-3),
            ZError::UnexpectedEnd => Some(-5),
            _ => None,
        }
    }
}

/// A `Write` sink that refuses to grow past `limit` bytes.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Progress through a gzip member when decoding.
enum GzState {
    /// Collecting header bytes.
    Header(Vec<u8>),
    /// Inflating the body; the CRC-32 and length of the output so far.
    Body(crc32fast::Hasher, u32),
    /// Collecting the 8-byte trailer, then checking it against (crc, length).
    Trailer(Vec<u8>, u32, u32),
    /// A member ended cleanly; more input must start another member.
    Done,
}

enum Inner {
    Deflate {
        c: Compress,
        /// For gzip: the member header is written before the first output; CRC-32 and length
        /// of the input go in the trailer.
        gzip: Option<(bool, crc32fast::Hasher, u32)>,
        level: u32,
    },
    Inflate {
        d: Decompress,
        /// None for zlib/raw; the member state for gzip.
        gzip: Option<GzState>,
        /// Zlib framing: the header bytes seen so far (checked once both are in).
        zlib_head: Vec<u8>,
        zlib: bool,
        ended: bool,
    },
    /// Unzip before the first two bytes tell gzip from zlib.
    Sniff(Vec<u8>),
    #[cfg(feature = "brotli-compress")]
    BrotliEnc(Option<Box<brotli::CompressorWriter<Vec<u8>>>>),
    BrotliDec(Box<brotli_decompressor::DecompressorWriter<Bounded>>),
}

/// One Node zlib object's state.
pub struct Codec {
    mode: Mode,
    opts: Options,
    inner: Inner,
    failed: bool,
}

const CHUNK: usize = 16 * 1024;

impl Codec {
    pub fn new(mode: Mode, opts: Options) -> Codec {
        let level = if (0..=9).contains(&opts.level) {
            opts.level as u32
        } else {
            6
        };
        let inner = match mode {
            Mode::Deflate | Mode::DeflateRaw | Mode::Gzip => Inner::Deflate {
                c: Compress::new(Compression::new(level), mode == Mode::Deflate),
                gzip: (mode == Mode::Gzip).then(|| (false, crc32fast::Hasher::new(), 0)),
                level,
            },
            Mode::Inflate | Mode::InflateRaw | Mode::Gunzip => {
                inflater(mode == Mode::Gunzip, mode == Mode::Inflate)
            }
            Mode::Unzip => Inner::Sniff(Vec::new()),
            #[cfg(feature = "brotli-compress")]
            Mode::BrotliEncode => Inner::BrotliEnc(Some(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                CHUNK,
                opts.quality.min(11),
                opts.lgwin.clamp(10, 24),
            )))),
            Mode::BrotliDecode => {
                Inner::BrotliDec(Box::new(brotli_decompressor::DecompressorWriter::new(
                    Bounded {
                        buf: Vec::new(),
                        limit: usize::MAX,
                        exceeded: false,
                    },
                    CHUNK,
                )))
            }
        };
        Codec {
            mode,
            opts,
            inner,
            failed: false,
        }
    }

    /// Back to a fresh stream with the same settings (`zlib.reset()`).
    pub fn reset(&mut self) {
        *self = Codec::new(self.mode, self.opts);
    }

    /// Feeds `input`, returns the output it produced. At most `limit` output bytes; beyond,
    /// `TooLarge` and the codec is spent.
    pub fn push(&mut self, input: &[u8], flush: Flush, limit: usize) -> Result<Vec<u8>, ZError> {
        if self.failed {
            return Err(ZError::Closed);
        }
        let mut out = Vec::new();
        let r = self.step(input, flush, limit, &mut out);
        if r.is_err() {
            self.failed = true;
        }
        r.map(|()| out)
    }

    fn step(
        &mut self,
        input: &[u8],
        flush: Flush,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), ZError> {
        if let Inner::Sniff(seen) = &mut self.inner {
            seen.extend_from_slice(input);
            if seen.len() < 2 && flush != Flush::Finish {
                return Ok(());
            }
            let buffered = std::mem::take(seen);
            let gzip = buffered.starts_with(&[0x1f, 0x8b]);
            self.inner = inflater(gzip, !gzip);
            return self.step(&buffered, flush, limit, out);
        }
        match &mut self.inner {
            Inner::Sniff(_) => Ok(()),
            Inner::Deflate { c, gzip, level } => {
                if let Some((header_written, crc, len)) = gzip {
                    if !*header_written {
                        let xfl = match *level {
                            9 => 2,
                            0 | 1 => 4,
                            _ => 0,
                        };
                        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
                        *header_written = true;
                    }
                    crc.update(input);
                    *len = len.wrapping_add(input.len() as u32);
                }
                let mode = match flush {
                    Flush::None => FlushCompress::None,
                    Flush::Sync => FlushCompress::Sync,
                    Flush::Finish => FlushCompress::Finish,
                };
                deflate(c, input, mode, out, limit)?;
                if flush == Flush::Finish {
                    if let Some((_, crc, len)) = gzip {
                        out.extend_from_slice(&crc.clone().finalize().to_le_bytes());
                        out.extend_from_slice(&len.to_le_bytes());
                    }
                }
                Ok(())
            }
            Inner::Inflate { .. } => self.inflate_step(input, flush, limit, out),
            #[cfg(feature = "brotli-compress")]
            Inner::BrotliEnc(w) => {
                if flush == Flush::Finish {
                    let Some(mut enc) = w.take() else {
                        return Err(ZError::Closed);
                    };
                    enc.write_all(input).map_err(|_| ZError::Closed)?;
                    out.extend(enc.into_inner());
                } else {
                    let Some(enc) = w.as_mut() else {
                        return Err(ZError::Closed);
                    };
                    enc.write_all(input).map_err(|_| ZError::Closed)?;
                    if flush == Flush::Sync {
                        enc.flush().map_err(|_| ZError::Closed)?;
                    }
                    out.append(enc.get_mut());
                }
                too_large(out, limit)
            }
            Inner::BrotliDec(w) => {
                w.get_mut().limit = limit;
                let r = w.write_all(input);
                let exceeded = w.get_ref().exceeded;
                if exceeded {
                    return Err(ZError::TooLarge(limit));
                }
                r.map_err(|_| ZError::Brotli)?;
                if flush == Flush::Finish {
                    w.close().map_err(|_| {
                        if w.get_ref().exceeded {
                            ZError::TooLarge(limit)
                        } else {
                            ZError::UnexpectedEnd
                        }
                    })?;
                }
                out.append(&mut w.get_mut().buf);
                Ok(())
            }
        }
    }

    fn inflate_step(
        &mut self,
        mut input: &[u8],
        flush: Flush,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), ZError> {
        let Inner::Inflate {
            d,
            gzip,
            zlib_head,
            zlib,
            ended,
        } = &mut self.inner
        else {
            return Ok(());
        };
        loop {
            match gzip {
                Some(GzState::Header(buf)) => {
                    buf.extend_from_slice(input);
                    match gzip_header_len(buf)? {
                        None => break,
                        Some(n) => {
                            let rest = buf.split_off(n);
                            *gzip = Some(GzState::Body(crc32fast::Hasher::new(), 0));
                            d.reset(false);
                            *ended = false;
                            return self.inflate_step(&rest, flush, limit, out);
                        }
                    }
                }
                Some(GzState::Body(..)) | None => {
                    if *zlib && zlib_head.len() < 2 && !input.is_empty() {
                        let take = (2 - zlib_head.len()).min(input.len());
                        zlib_head.extend_from_slice(&input[..take]);
                        if !zlib_header_ok(zlib_head[0], zlib_head.get(1).copied()) {
                            return Err(ZError::Data("incorrect header check"));
                        }
                    }
                    if *ended && gzip.is_none() {
                        break; // zlib and raw streams ignore what follows their end, as zlib does
                    }
                    let start = out.len();
                    let consumed = inflate(d, input, out, limit, ended)?;
                    if let Some(GzState::Body(crc, len)) = gzip {
                        crc.update(&out[start..]);
                        *len = len.wrapping_add((out.len() - start) as u32);
                        if *ended {
                            let (c, l) = (crc.clone().finalize(), *len);
                            *gzip = Some(GzState::Trailer(Vec::new(), c, l));
                            input = &input[consumed..];
                            continue;
                        }
                    }
                    break;
                }
                Some(GzState::Trailer(buf, crc, len)) => {
                    let need = 8 - buf.len();
                    let take = need.min(input.len());
                    buf.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if buf.len() < 8 {
                        break;
                    }
                    let got_crc = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
                    let got_len = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
                    if got_crc != *crc || got_len != *len {
                        return Err(ZError::Data("incorrect data check"));
                    }
                    *gzip = Some(GzState::Done);
                }
                Some(GzState::Done) => {
                    if input.is_empty() {
                        break;
                    }
                    // Another member follows (Node decodes concatenated members).
                    *gzip = Some(GzState::Header(Vec::new()));
                }
            }
        }
        if flush == Flush::Finish {
            let complete = match gzip {
                Some(GzState::Done) => true,
                Some(_) => false,
                None => *ended,
            };
            if !complete {
                return Err(ZError::UnexpectedEnd);
            }
        }
        Ok(())
    }
}

fn inflater(gzip: bool, zlib: bool) -> Inner {
    Inner::Inflate {
        d: Decompress::new(zlib),
        gzip: gzip.then(|| GzState::Header(Vec::new())),
        zlib_head: Vec::new(),
        zlib,
        ended: false,
    }
}

/// RFC 1950: CM = 8, CINFO <= 7, FCHECK makes the 16-bit header a multiple of 31.
fn zlib_header_ok(cmf: u8, flg: Option<u8>) -> bool {
    cmf & 0x0f == 8
        && cmf >> 4 <= 7
        && flg.is_none_or(|f| (u16::from(cmf) << 8 | u16::from(f)) % 31 == 0)
}

/// The length of the gzip member header at the start of `buf` (RFC 1952), `None` when more
/// bytes are needed.
fn gzip_header_len(buf: &[u8]) -> Result<Option<usize>, ZError> {
    if !buf.is_empty() && buf[0] != 0x1f || buf.len() >= 2 && buf[1] != 0x8b {
        return Err(ZError::Data("incorrect header check"));
    }
    if buf.len() >= 3 && buf[2] != 8 {
        return Err(ZError::Data("unknown compression method"));
    }
    if buf.len() < 10 {
        return Ok(None);
    }
    let flags = buf[3];
    if flags & 0xe0 != 0 {
        return Err(ZError::Data("unknown header flags set"));
    }
    let mut at = 10;
    if flags & 0x04 != 0 {
        if buf.len() < at + 2 {
            return Ok(None);
        }
        at += 2 + usize::from(u16::from_le_bytes([buf[at], buf[at + 1]]));
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            match buf
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
            {
                Some(i) => at += i + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & 0x02 != 0 {
        at += 2;
    }
    Ok((buf.len() >= at).then_some(at))
}

fn too_large(out: &[u8], limit: usize) -> Result<(), ZError> {
    if out.len() > limit {
        Err(ZError::TooLarge(limit))
    } else {
        Ok(())
    }
}

/// Compresses all of `input` with `flush`, appending to `out`.
fn deflate(
    c: &mut Compress,
    input: &[u8],
    flush: FlushCompress,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), ZError> {
    let mut consumed = 0;
    loop {
        out.reserve(CHUNK.max((input.len() - consumed) / 2 + 64));
        let before = c.total_in();
        let status = c
            .compress_vec(&input[consumed..], out, flush)
            .map_err(|_| ZError::Data("stream error"))?;
        consumed += (c.total_in() - before) as usize;
        too_large(out, limit)?;
        let room_left = out.len() < out.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            _ if consumed == input.len() && room_left && flush != FlushCompress::Finish => {
                return Ok(())
            }
            Status::BufError if consumed == input.len() && room_left => return Ok(()),
            _ => {}
        }
    }
}

/// Inflates `input` into `out` until the input is used up or the stream ends; returns the
/// bytes consumed.
fn inflate(
    d: &mut Decompress,
    input: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
    ended: &mut bool,
) -> Result<usize, ZError> {
    let mut consumed = 0;
    loop {
        out.reserve(CHUNK.max((input.len() - consumed) * 2));
        let before = d.total_in();
        let status = d
            .decompress_vec(&input[consumed..], out, FlushDecompress::None)
            .map_err(|e| ZError::Data(inflate_message(&e)))?;
        consumed += (d.total_in() - before) as usize;
        too_large(out, limit)?;
        match status {
            Status::StreamEnd => {
                *ended = true;
                return Ok(consumed);
            }
            _ if consumed == input.len() && out.len() < out.capacity() => return Ok(consumed),
            Status::BufError if out.len() < out.capacity() => return Ok(consumed),
            _ => {}
        }
    }
}

/// zlib's wording for what miniz_oxide reports.
fn inflate_message(e: &flate2::DecompressError) -> &'static str {
    let text = e.to_string();
    if text.contains("adler") || text.contains("checksum") {
        "incorrect data check"
    } else if text.contains("header") {
        "incorrect header check"
    } else {
        "invalid block type"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mode: Mode, input: &[u8]) -> Result<Vec<u8>, ZError> {
        Codec::new(mode, Options::default()).push(input, Flush::Finish, usize::MAX)
    }

    #[test]
    fn round_trips_in_every_framing_and_in_pieces() {
        let text = b"hello hello hello hello, world".repeat(100);
        for (enc, dec) in [
            (Mode::Deflate, Mode::Inflate),
            (Mode::Gzip, Mode::Gunzip),
            (Mode::DeflateRaw, Mode::InflateRaw),
            (Mode::Gzip, Mode::Unzip),
            (Mode::Deflate, Mode::Unzip),
            #[cfg(feature = "brotli-compress")]
            (Mode::BrotliEncode, Mode::BrotliDecode),
        ] {
            let packed = run(enc, &text).unwrap();
            assert!(packed.len() < text.len() / 5, "{enc:?}");
            assert_eq!(run(dec, &packed).unwrap(), text, "{enc:?} -> {dec:?}");
            // One byte at a time, then finish.
            let mut c = Codec::new(dec, Options::default());
            let mut out = Vec::new();
            for b in &packed {
                out.extend(
                    c.push(std::slice::from_ref(b), Flush::None, usize::MAX)
                        .unwrap(),
                );
            }
            out.extend(c.push(&[], Flush::Finish, usize::MAX).unwrap());
            assert_eq!(out, text, "{dec:?} bytewise");
        }
    }

    #[test]
    fn known_answers_from_zlib() {
        // zlib.deflateSync('x', {level: 1}) and gzipSync('x') from Node (zlib 1.3).
        assert_eq!(
            run(Mode::Inflate, &[0x78, 0x01, 0xab, 0, 0, 0, 0x79, 0, 0x79]).unwrap(),
            b"x"
        );
        let gz = [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xab, 0, 0, 0x83, 0x16, 0xdc, 0x8c, 1, 0, 0, 0,
        ];
        assert_eq!(run(Mode::Gunzip, &gz).unwrap(), b"x");
        // Our gzip header is zlib's (OS = 3, XFL by level).
        assert_eq!(run(Mode::Gzip, b"x").unwrap()[..10], gz[..10]);
        // Concatenated members decode as one stream.
        let two = [gz.as_slice(), gz.as_slice()].concat();
        assert_eq!(run(Mode::Gunzip, &two).unwrap(), b"xx");
    }

    #[test]
    fn corrupt_and_truncated_input_fail_as_zlib_does() {
        assert_eq!(
            run(Mode::Inflate, b"garbage"),
            Err(ZError::Data("incorrect header check"))
        );
        assert_eq!(
            run(Mode::Gunzip, b"garbage"),
            Err(ZError::Data("incorrect header check"))
        );
        let gz = run(Mode::Gzip, b"hello world").unwrap();
        assert_eq!(run(Mode::Gunzip, &gz[..10]), Err(ZError::UnexpectedEnd));
        assert_eq!(run(Mode::Inflate, &[]), Err(ZError::UnexpectedEnd));
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 5] ^= 1;
        assert_eq!(
            run(Mode::Gunzip, &bad),
            Err(ZError::Data("incorrect data check"))
        );
        // zlib.brotliCompressSync('hello world hello') from Node.
        let br = [
            0x0b, 0x08, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64,
            0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x03,
        ];
        assert_eq!(run(Mode::BrotliDecode, &br).unwrap(), b"hello world hello");
        assert_eq!(
            run(Mode::BrotliDecode, &br[..br.len() - 2]),
            Err(ZError::UnexpectedEnd)
        );
        assert_eq!(run(Mode::BrotliDecode, b"garbage"), Err(ZError::Brotli));
        assert_eq!(ZError::UnexpectedEnd.errno(), Some(-5));
    }

    #[test]
    fn output_stops_at_the_limit() {
        let bomb = run(Mode::Gzip, &vec![0u8; 10 << 20]).unwrap();
        let mut c = Codec::new(Mode::Gunzip, Options::default());
        assert_eq!(
            c.push(&bomb, Flush::Finish, 1000),
            Err(ZError::TooLarge(1000))
        );
        assert_eq!(c.push(&[], Flush::Finish, 1000), Err(ZError::Closed));
    }

    #[cfg(feature = "brotli-compress")]
    #[test]
    fn brotli_output_stops_at_the_limit() {
        let br = run(Mode::BrotliEncode, &vec![0u8; 1 << 20]).unwrap();
        let mut c = Codec::new(Mode::BrotliDecode, Options::default());
        assert_eq!(
            c.push(&br, Flush::Finish, 1000),
            Err(ZError::TooLarge(1000))
        );
    }
}
