//! Serving a henv's stored files over HTTP: Content-Type by extension, strong ETag from the
//! stored SHA-256, Last-Modified, conditional requests (304), single byte ranges (206/416).
//! Pure: takes the stored file and the request headers, returns a `Response`.

use crate::db::StoredFile;
use crate::http::Response;

/// Cache-Control sent with assets unless the henv configures another.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=0";

/// Request headers that decide the response.
#[derive(Clone, Copy, Debug, Default)]
pub struct Conditions<'a> {
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub range: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

/// The response for `file` stored at `path`.
pub fn respond(
    path: &str,
    file: &StoredFile,
    cond: &Conditions<'_>,
    cache_control: &str,
) -> Response {
    let etag = format!("\"{}\"", &file.hash[..file.hash.len().min(32)]);
    let modified =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(file.modified_at.max(0) as u64);
    let last_modified = httpdate::fmt_http_date(modified);
    let base = |status: u16| {
        Response::new(status)
            .with_header("ETag", etag.clone())
            .with_header("Last-Modified", last_modified.clone())
            .with_header("Cache-Control", cache_control)
            .with_header("Accept-Ranges", "bytes")
    };
    let not_modified = match cond.if_none_match {
        Some(inm) => etag_matches(inm, &etag),
        None => cond
            .if_modified_since
            .and_then(|s| httpdate::parse_http_date(s).ok())
            .is_some_and(|since| modified <= since),
    };
    if not_modified {
        return base(304);
    }
    let len = file.content.len() as u64;
    let range_applies = cond.range.is_some()
        && cond
            .if_range
            .is_none_or(|ir| ir == etag || ir == last_modified);
    if range_applies {
        match parse_range(cond.range.unwrap_or_default(), len) {
            RangeSpec::Satisfiable(start, end) => {
                return base(206)
                    .with_header("Content-Type", content_type(path))
                    .with_header("Content-Range", format!("bytes {start}-{end}/{len}"))
                    .with_body(file.content[start as usize..=end as usize].to_vec());
            }
            RangeSpec::Unsatisfiable => {
                return Response::error(416, "range not satisfiable")
                    .with_header("Content-Range", format!("bytes */{len}"));
            }
            RangeSpec::Ignore => {}
        }
    }
    base(200)
        .with_header("Content-Type", content_type(path))
        .with_body(file.content.clone())
}

/// `If-None-Match` with weak comparison (RFC 9110 §13.1.2).
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

enum RangeSpec {
    Satisfiable(u64, u64),
    Unsatisfiable,
    /// Malformed or multi-range: serve the whole file (RFC 9110 allows ignoring Range).
    Ignore,
}

/// A single `bytes=` range; multiple ranges are answered with the whole representation.
fn parse_range(header: &str, len: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let num = |s: &str| {
        if s.bytes().all(|c| c.is_ascii_digit()) && !s.is_empty() {
            s.parse::<u64>().ok()
        } else {
            None
        }
    };
    match (a.is_empty(), num(a), num(b)) {
        // suffix: last N bytes
        (true, _, Some(n)) if n > 0 && len > 0 => {
            RangeSpec::Satisfiable(len.saturating_sub(n), len - 1)
        }
        (true, _, Some(_)) => RangeSpec::Unsatisfiable,
        (false, Some(start), _) if start >= len => RangeSpec::Unsatisfiable,
        (false, Some(start), None) if b.is_empty() => RangeSpec::Satisfiable(start, len - 1),
        (false, Some(start), Some(end)) if end >= start => {
            RangeSpec::Satisfiable(start, end.min(len - 1))
        }
        _ => RangeSpec::Ignore,
    }
}

/// Content-Type by file extension (charset for text types).
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "webmanifest" => "application/manifest+json",
        "ejs" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> StoredFile {
        StoredFile {
            content: b"0123456789".to_vec(),
            hash: "ab".repeat(32),
            modified_at: 1_700_000_000,
        }
    }

    fn get(cond: Conditions<'_>) -> Response {
        respond("www/a.txt", &file(), &cond, DEFAULT_CACHE_CONTROL)
    }

    #[test]
    fn full_and_conditional() {
        let r = get(Conditions::default());
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"0123456789");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        let etag = r.header("etag").unwrap().to_owned();
        assert_eq!(
            get(Conditions {
                if_none_match: Some(&etag),
                ..Default::default()
            })
            .status,
            304
        );
        assert_eq!(
            get(Conditions {
                if_none_match: Some("\"other\""),
                ..Default::default()
            })
            .status,
            200
        );
        let lm = r.header("last-modified").unwrap().to_owned();
        assert_eq!(
            get(Conditions {
                if_modified_since: Some(&lm),
                ..Default::default()
            })
            .status,
            304
        );
    }

    #[test]
    fn ranges() {
        let r = get(Conditions {
            range: Some("bytes=2-4"),
            ..Default::default()
        });
        assert_eq!((r.status, r.body.as_slice()), (206, &b"234"[..]));
        assert_eq!(r.header("content-range"), Some("bytes 2-4/10"));
        assert_eq!(
            get(Conditions {
                range: Some("bytes=-3"),
                ..Default::default()
            })
            .body,
            b"789"
        );
        assert_eq!(
            get(Conditions {
                range: Some("bytes=8-"),
                ..Default::default()
            })
            .body,
            b"89"
        );
        assert_eq!(
            get(Conditions {
                range: Some("bytes=8-100"),
                ..Default::default()
            })
            .body,
            b"89"
        );
        let r = get(Conditions {
            range: Some("bytes=10-"),
            ..Default::default()
        });
        assert_eq!(r.status, 416);
        assert_eq!(r.header("content-range"), Some("bytes */10"));
        assert_eq!(
            get(Conditions {
                range: Some("bytes=0-1,4-5"),
                ..Default::default()
            })
            .status,
            200
        );
        assert_eq!(
            get(Conditions {
                range: Some("items=0-1"),
                ..Default::default()
            })
            .status,
            200
        );
        assert_eq!(
            get(Conditions {
                range: Some("bytes=0-1"),
                if_range: Some("\"stale\""),
                ..Default::default()
            })
            .status,
            200
        );
    }
}
