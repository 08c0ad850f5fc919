//! `hbf docs put|get|ls|rm|search`: documents from the command line, on a henv's file (as
//! `hbf sql` works), acting as the owner. The same `docs` implementation the API uses.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::Subcommand;
use hbf::db::authz::{Authz, Principal};
use hbf::docs::search::SearchOptions;
use hbf::docs::{Docs, ListOptions, Preconditions, Sort};

use crate::HenvArgs;

#[derive(Subcommand)]
pub enum DocsCommand {
    /// Create or replace document ID with FILE's content ('-' or nothing: stdin).
    Put {
        id: String,
        file: Option<PathBuf>,
        /// Content type (default: from the file extension, else application/octet-stream).
        #[arg(long = "type")]
        content_type: Option<String>,
        /// Comma-separated tags (replaces the document's tags).
        #[arg(long)]
        tags: Option<String>,
        #[command(flatten)]
        henv: HenvArgs,
    },
    /// Write document ID's content to stdout (--meta: the JSON envelope without content).
    Get {
        id: String,
        #[arg(long)]
        meta: bool,
        #[command(flatten)]
        henv: HenvArgs,
    },
    /// List documents (id, type, size, modified_at) under PREFIX.
    Ls {
        #[arg(default_value = "")]
        prefix: String,
        #[arg(long)]
        tag: Option<String>,
        /// id, modified_at or created_at.
        #[arg(long, default_value = "id")]
        sort: String,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        /// One JSON envelope per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        henv: HenvArgs,
    },
    /// Delete document ID.
    Rm {
        id: String,
        #[command(flatten)]
        henv: HenvArgs,
    },
    /// Full-text search; one JSON hit per line, best first.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        tag: Option<String>,
        #[command(flatten)]
        henv: HenvArgs,
    },
}

fn guess_type(file: Option<&PathBuf>) -> &'static str {
    let ext = file
        .and_then(|f| f.extension())
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "json" => "application/json",
        "md" | "markdown" => "text/markdown",
        "html" | "htm" => "text/html",
        "ejs" => "text/ejs",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "txt" => "text/plain",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

/// Runs one `hbf docs` command.
pub fn run(cmd: DocsCommand) -> Result<(), String> {
    let henv = match &cmd {
        DocsCommand::Put { henv, .. }
        | DocsCommand::Get { henv, .. }
        | DocsCommand::Ls { henv, .. }
        | DocsCommand::Rm { henv, .. }
        | DocsCommand::Search { henv, .. } => henv.clone(),
    };
    let mut conn = crate::open(&henv)?;
    let authz = Authz::install(&mut conn).map_err(|e| format!("--host {}: {e}", henv.host))?;
    let limits = hbf::henv::HenvSettings::load(&conn)
        .map(|s| s.documents)
        .map_err(|e| e.to_string())?;
    let docs = Docs {
        conn: &conn,
        authz: &authz,
        principal: Principal::System { startup: false },
        limits,
    };
    let fail = |id: &str, e: hbf::docs::DocError| format!("{id}: {e}");
    match cmd {
        DocsCommand::Put {
            id,
            file,
            content_type,
            tags,
            ..
        } => {
            let mut bytes = Vec::new();
            match &file {
                Some(f) if f.as_os_str() != "-" => {
                    bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
                }
                _ => {
                    std::io::stdin()
                        .read_to_end(&mut bytes)
                        .map_err(|e| format!("stdin: {e}"))?;
                }
            }
            let ty = content_type.unwrap_or_else(|| guess_type(file.as_ref()).to_owned());
            let tags: Option<Vec<String>> = tags.map(|t| {
                t.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            });
            let (doc, created) = docs
                .put(
                    &id,
                    Some(&ty),
                    &bytes,
                    tags.as_deref(),
                    &Preconditions::default(),
                )
                .map_err(|e| fail(&id, e))?;
            crate::note_activity(&henv);
            println!(
                "{} {} ({}, {} bytes, version {})",
                if created { "created" } else { "replaced" },
                doc.id,
                doc.content_type,
                doc.size,
                doc.rev
            );
        }
        DocsCommand::Get { id, meta, .. } => {
            let doc = docs.get(&id, !meta).map_err(|e| fail(&id, e))?;
            if meta {
                println!("{}", doc.envelope());
            } else {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&doc.content.unwrap_or_default());
                let _ = out.flush();
            }
        }
        DocsCommand::Ls {
            prefix,
            tag,
            sort,
            limit,
            json,
            ..
        } => {
            let mut o = ListOptions {
                prefix,
                tag,
                sort: Sort::parse(&sort).map_err(|e| format!("--sort: {e}"))?,
                limit: limit.clamp(1, hbf::docs::store::MAX_LIMIT),
                ..ListOptions::default()
            };
            let mut left = limit.max(0);
            while left > 0 {
                o.limit = left.min(hbf::docs::store::MAX_LIMIT);
                let (page, next) = docs.list(&o).map_err(|e| fail(&o.prefix, e))?;
                left -= page.len() as i64;
                for d in page {
                    if json {
                        println!("{}", d.envelope());
                    } else {
                        println!(
                            "{}\t{}\t{}\t{}",
                            d.id, d.content_type, d.size, d.modified_at
                        );
                    }
                }
                match next {
                    Some(c) => o.cursor = Some(c),
                    None => break,
                }
            }
        }
        DocsCommand::Rm { id, .. } => {
            docs.delete(&id, &Preconditions::default())
                .map_err(|e| fail(&id, e))?;
            crate::note_activity(&henv);
            println!("deleted {id}");
        }
        DocsCommand::Search {
            query, limit, tag, ..
        } => {
            let o = SearchOptions {
                q: query.clone(),
                limit,
                tag,
                highlight: ("[".into(), "]".into()),
                escape: false,
                ..SearchOptions::default()
            };
            let r = docs.search(&o).map_err(|e| fail(&query, e))?;
            eprintln!("{} documents match", r.total);
            for hit in r.hits {
                println!("{hit}");
            }
        }
    }
    Ok(())
}
