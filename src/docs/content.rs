//! Content types and what HBF derives from content: the normalized type, whether it is
//! text, the title (JSON `title`, markdown `# heading`, HTML `<title>`/`<h1>`, else the id)
//! and the text the full-text index reads (HTML without tags, JSON's string values).

use serde_json::Value as J;

use super::DocError;

/// Private-use characters the snippet function marks matches with (see `search`); removed
/// from indexed text so content cannot forge a highlight.
pub const MARK_OPEN: char = '\u{E000}';
pub const MARK_CLOSE: char = '\u{E001}';

/// The content type as stored: lower-case `type/subtype` without parameters; an absent
/// type is `application/octet-stream`. Text types other than the known ones are accepted
/// (any `text/*`), as are any `image/*`, `audio/*`, `video/*`, `font/*` and `application/*`.
pub fn normalize_type(raw: Option<&str>) -> Result<String, DocError> {
    let raw = raw.unwrap_or("application/octet-stream");
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (top, sub) = essence
        .split_once('/')
        .ok_or_else(|| DocError::UnsupportedType(raw.to_owned()))?;
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    if !token(top) || !token(sub) {
        return Err(DocError::UnsupportedType(raw.to_owned()));
    }
    match top {
        "text" | "image" | "audio" | "video" | "font" | "application" => Ok(essence),
        _ => Err(DocError::UnsupportedType(raw.to_owned())),
    }
}

/// Whether a stored type is JSON (`application/json` or `+json`).
pub fn is_json(ty: &str) -> bool {
    ty == "application/json" || ty.ends_with("+json")
}

/// Whether content of this type is text (UTF-8): `text/*`, JSON, JavaScript, XML, SVG.
pub fn is_text(ty: &str) -> bool {
    ty.starts_with("text/")
        || is_json(ty)
        || matches!(
            ty,
            "application/javascript" | "application/xml" | "image/svg+xml"
        )
        || ty.ends_with("+xml")
}

/// Checks content for its type: JSON must parse, text must be UTF-8. Returns the text.
pub fn check(ty: &str, bytes: &[u8]) -> Result<Option<String>, DocError> {
    if !is_text(ty) {
        return Ok(None);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| DocError::BadRequest(format!("{ty} content is not UTF-8: {e}")))?;
    if is_json(ty) {
        serde_json::from_str::<J>(text).map_err(|e| DocError::BadJson(e.to_string()))?;
    }
    Ok(Some(text.to_owned()))
}

/// The title and the searchable text of a document.
pub fn derive(id: &str, ty: &str, text: Option<&str>) -> (String, Option<String>) {
    let Some(text) = text else {
        return (id.to_owned(), None);
    };
    let (title, body) = if is_json(ty) {
        let v: J = serde_json::from_str(text).unwrap_or(J::Null);
        let title = v.get("title").and_then(J::as_str).map(str::to_owned);
        let mut strings = String::new();
        json_strings(&v, &mut strings);
        (title, strings)
    } else if ty == "text/html" || ty == "text/ejs" {
        let title = tag_text(text, "title").or_else(|| tag_text(text, "h1"));
        (title, strip_tags(text))
    } else if ty == "text/markdown" {
        let title = text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_owned());
        (title, text.to_owned())
    } else {
        (None, text.to_owned())
    };
    let title = title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| id.to_owned());
    (clean(&title), Some(clean(&body)))
}

fn clean(s: &str) -> String {
    s.replace([MARK_OPEN, MARK_CLOSE], "")
}

/// Every string (keys excluded) in a JSON value, space separated.
fn json_strings(v: &J, out: &mut String) {
    match v {
        J::String(s) => {
            out.push_str(s);
            out.push(' ');
        }
        J::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        J::Object(o) => o.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}

/// The text inside the first `<tag ...>...</tag>` (case-insensitive), without inner tags.
fn tag_text(html: &str, tag: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let after = lower.as_bytes().get(start + open.len()).copied();
        if matches!(after, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r')) {
            let content_start = start + lower[start..].find('>')? + 1;
            let end = content_start + lower[content_start..].find(&format!("</{tag}"))?;
            let t = strip_tags(&html[content_start..end]);
            return Some(t.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        from = start + open.len();
    }
    None
}

/// HTML without tags, comments, `<script>`/`<style>` bodies; entities left as they are.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
        } else if rest.starts_with("<script") || rest.starts_with("<style") {
            let close = if rest.starts_with("<script") {
                "</script>"
            } else {
                "</style>"
            };
            i += rest.find(close).map_or(rest.len(), |e| e + close.len());
            out.push(' ');
        } else if rest.starts_with('<') {
            i += rest.find('>').map_or(rest.len(), |e| e + 1);
            out.push(' ');
        } else {
            let next = rest.find('<').unwrap_or(rest.len());
            out.push_str(&html[i..i + next]);
            i += next;
        }
    }
    out
}

/// Escapes `& < > " '` for HTML text and attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut J, patch: &J) {
    let J::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = J::Object(serde_json::Map::new());
    }
    if let J::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(J::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types() {
        assert_eq!(
            normalize_type(Some("Text/Markdown; charset=utf-8")).unwrap(),
            "text/markdown"
        );
        assert_eq!(normalize_type(None).unwrap(), "application/octet-stream");
        assert!(normalize_type(Some("nonsense")).is_err());
        assert!(normalize_type(Some("multipart/form-data")).is_err());
        assert!(is_text("text/ejs") && is_text("application/json") && !is_text("image/png"));
    }

    #[test]
    fn titles() {
        let t = |ty: &str, s: &str| derive("the/id", ty, Some(s)).0;
        assert_eq!(t("application/json", r#"{"title":"Hi","x":["a"]}"#), "Hi");
        assert_eq!(
            t("text/markdown", "intro\n# Heading one\ntext"),
            "Heading one"
        );
        assert_eq!(
            t("text/html", "<html><TITLE>T <b>x</b></TITLE><h1>H</h1>"),
            "T x"
        );
        assert_eq!(t("text/html", "<h1 class=a>Head</h1>"), "Head");
        assert_eq!(t("text/plain", "hello"), "the/id");
        let body = derive("x", "text/html", Some("<p>a<script>evil()</script>b</p>"))
            .1
            .unwrap();
        assert!(!body.contains("evil") && body.contains('a') && body.contains('b'));
        let body = derive("x", "application/json", Some(r#"{"k":"v","n":[1,"w"]}"#))
            .1
            .unwrap();
        assert_eq!(body.split_whitespace().collect::<Vec<_>>(), ["v", "w"]);
    }

    #[test]
    fn merge() {
        let mut t = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut t, &json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(t, json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
