//! The `hbf` command line: parses flags into a `Config` and runs the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hbf::js::{AppConfig, AppHandler};
use hbf::{henv, Config, Server};

#[derive(Parser)]
#[command(
    name = "hbf",
    version,
    about = "HBF: many small JavaScript web apps, each one SQLite file, in one binary."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing `Config` would only obscure clap's derive
enum Command {
    /// Run the HTTP server (every flag can also be set as an HBF_* environment variable).
    Serve(Config),
    /// Create the default henv with the starter app (no-op for files that exist).
    Init(HenvArgs),
    /// Load a directory (server.js, www/**, ...) into a henv.
    Import {
        /// Directory to load.
        dir: PathBuf,
        #[command(flatten)]
        henv: HenvArgs,
        /// Also delete henv files that are not in DIR.
        #[arg(long)]
        prune: bool,
    },
    /// Write a henv's files out to a directory.
    Export {
        /// Directory to write (created if missing).
        dir: PathBuf,
        #[command(flatten)]
        henv: HenvArgs,
    },
    /// Run SQL against a henv's database and print the rows as JSON lines.
    Sql {
        /// The SQL statement(s).
        sql: String,
        #[command(flatten)]
        henv: HenvArgs,
    },
    /// Print the henv hash (file name without .db) of a hostname.
    Hash {
        /// Hostname.
        name: String,
    },
}

/// Which henv a command works on.
#[derive(Args, Clone)]
struct HenvArgs {
    /// Hostname of the henv (default: the default host).
    #[arg(long = "host", env = "HBF_HOST", default_value = "localhost")]
    host: String,
    /// Directory holding the henv files.
    #[arg(
        long = "storage_dir",
        env = "HBF_STORAGE_DIR",
        default_value = "./henvs"
    )]
    storage_dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return report_usage_error(e),
    };
    let result = match cli.command {
        Command::Serve(config) => return serve(config),
        Command::Init(h) => init(&h),
        Command::Import { dir, henv, prune } => import(&dir, &henv, prune),
        Command::Export { dir, henv } => export(&dir, &henv),
        Command::Sql { sql, henv } => run_sql(&sql, &henv),
        Command::Hash { name } => henv::normalize_hostname(&name)
            .map(|n| println!("{}", henv::dns_safe_hash(&n)))
            .map_err(|e| format!("{name:?}: {e}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hbf: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout as usual; a bad flag becomes one line naming it.
fn report_usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    eprintln!("hbf: {}", first.trim_start_matches("error: "));
    ExitCode::from(2)
}

fn serve(config: Config) -> ExitCode {
    if let Err(e) = config
        .validate()
        .and_then(|()| config.prepare_storage_dir())
    {
        eprintln!("hbf: {e}");
        return ExitCode::FAILURE;
    }
    // A fresh machine shows a working app: create the default henv if there is none.
    let default = HenvArgs {
        host: config.default_host.clone(),
        storage_dir: config.storage_dir.clone(),
    };
    if let Ok(host) = henv::normalize_hostname(&config.default_host) {
        if !henv::henv_path(&config.storage_dir, &host).exists() {
            if let Err(e) =
                open(&default).and_then(|c| henv::install_starter(&c).map_err(|e| e.to_string()))
            {
                eprintln!("hbf: cannot create the default henv: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        eprintln!(
            "hbf: --default_host: {:?} is not a valid hostname",
            config.default_host
        );
        return ExitCode::from(2);
    }
    let app = AppHandler::new(AppConfig {
        storage_dir: config.storage_dir.clone(),
        default_host: henv::normalize_hostname(&config.default_host).unwrap_or_default(),
        mem_limit_bytes: config.qjs_mem_mb * 1024 * 1024,
        dev: config.dev,
    });
    let handle = match Server::new(config).handler(app).start() {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("hbf: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = install_signal_handlers(handle.stopper()) {
        eprintln!("hbf: cannot install signal handlers: {e}");
        return ExitCode::FAILURE;
    }
    if handle.tls_addr().is_some() {
        if let Err(e) = install_reload_handler(handle.tls_reloader()) {
            eprintln!("hbf: cannot install the SIGHUP handler: {e}");
            return ExitCode::FAILURE;
        }
    }
    match handle.wait() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hbf: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open(h: &HenvArgs) -> Result<rusqlite::Connection, String> {
    std::fs::create_dir_all(&h.storage_dir).map_err(|e| {
        format!(
            "--storage_dir: cannot create {}: {e}",
            h.storage_dir.display()
        )
    })?;
    henv::open_henv(&h.storage_dir, &h.host)
        .map(|(c, _)| c)
        .map_err(|e| format!("--host {}: {e}", h.host))
}

fn init(h: &HenvArgs) -> Result<(), String> {
    let conn = open(h)?;
    let written = henv::install_starter(&conn).map_err(|e| e.to_string())?;
    let host = henv::normalize_hostname(&h.host).map_err(|e| e.to_string())?;
    println!(
        "henv {host} ({}) ready: {written} starter files written",
        henv::henv_path(&h.storage_dir, &host).display()
    );
    Ok(())
}

fn import(dir: &std::path::Path, h: &HenvArgs, prune: bool) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    let mut conn = open(h)?;
    let (written, deleted) = henv::import_dir(&mut conn, dir, prune).map_err(|e| e.to_string())?;
    println!(
        "imported {written} files into {} ({deleted} deleted)",
        h.host
    );
    Ok(())
}

fn export(dir: &std::path::Path, h: &HenvArgs) -> Result<(), String> {
    let conn = open(h)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let n = henv::export_dir(&conn, dir).map_err(|e| e.to_string())?;
    println!("exported {n} files from {} to {}", h.host, dir.display());
    Ok(())
}

/// Runs each statement; rows of the last one that returns rows print as JSON lines.
fn run_sql(sql: &str, h: &HenvArgs) -> Result<(), String> {
    let conn = open(h)?;
    let mut stmt = conn.prepare(sql).map_err(|e| format!("SQL: {e}"))?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    if names.is_empty() {
        let n = stmt.raw_execute().map_err(|e| format!("SQL: {e}"))?;
        println!("{{\"rows_affected\":{n}}}");
        return Ok(());
    }
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(|e| format!("SQL: {e}"))? {
        let mut obj = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            use rusqlite::types::ValueRef;
            let v = match row.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(f) => f.into(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                ValueRef::Blob(b) => format!("<{} bytes>", b.len()).into(),
            };
            obj.insert(name.clone(), v);
        }
        println!("{}", serde_json::Value::Object(obj));
    }
    Ok(())
}

/// SIGTERM/SIGINT start a graceful stop; a second one exits at once.
fn install_signal_handlers(handle: hbf::StopHandle) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new()
        .name("hbf-signals".into())
        .spawn(move || {
            let mut seen = 0;
            for _ in signals.forever() {
                seen += 1;
                if seen == 1 {
                    handle.stop();
                } else {
                    eprintln!("hbf: second signal, exiting now");
                    std::process::exit(130);
                }
            }
        })?;
    Ok(())
}

/// SIGHUP reloads the TLS certificates (new connections use them; open ones keep theirs). A
/// failed reload is logged and the previous certificates stay in use.
fn install_reload_handler(reloader: hbf::TlsReloader) -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])?;
    std::thread::Builder::new()
        .name("hbf-reload".into())
        .spawn(move || {
            for _ in signals.forever() {
                let _ = reloader.reload(); // logged by the server
            }
        })?;
    Ok(())
}
