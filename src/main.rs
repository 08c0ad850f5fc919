//! The `hbf` command line: parses flags into a `Config` and runs the library.

use std::path::PathBuf;
use std::process::ExitCode;

/// Like std's `println!`, but a closed stdout (`hbf henv list | head`) ends the command
/// quietly instead of panicking.
macro_rules! println {
    () => {
        println!("")
    };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod docs_cli;
mod user_cli;

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
        /// Refuse an import whose files add up to more than this many MiB.
        #[arg(long = "max_import_mb", default_value_t = henv::import::DEFAULT_MAX_IMPORT_MB)]
        max_import_mb: u64,
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
    /// Manage henvs: create, list, inspect, delete, custom domains, inactivity sweep.
    Henv {
        #[command(subcommand)]
        command: HenvCommand,
    },
    #[command(flatten)]
    Ops(hbf::ops::cli::OpsCommand),
    /// Documents: put, get, ls, rm, search (as the henv's owner).
    Docs {
        #[command(subcommand)]
        command: docs_cli::DocsCommand,
    },
    /// Users of a henv: `hbf user add NAME --role owner`.
    User {
        #[command(subcommand)]
        command: user_cli::UserCommand,
    },
}

#[derive(Subcommand)]
enum HenvCommand {
    /// Create a henv for HOST with the starter app (refuses taken names and hash collisions).
    Create {
        /// Hostname of the new henv.
        host: String,
        /// Owner recorded in the registry.
        #[arg(long)]
        owner: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List henvs: host, hash, size, last activity, owner, custom domains.
    List {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Show one henv (by hostname, custom domain or hash) as JSON.
    Info {
        host: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Unregister a henv and move its file (and WAL files) to STORAGE_DIR/trash/.
    Delete {
        host: String,
        /// Remove the files instead of moving them to the trash.
        #[arg(long)]
        purge: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Hand a henv to another node's storage directory without losing writes: online copy,
    /// drain (unregister, wait), final sync under the write lock, register there, old copy to
    /// trash/.
    Move(hbf::ops::cli::MoveArgs),
    /// Route a custom domain to the henv of HOST.
    AddDomain {
        host: String,
        domain: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Warn henvs inactive for --warn-after and move those inactive for --delete-after to the
    /// trash (activity = writes, recorded by the server and by import).
    Sweep {
        /// Inactivity before a warning (e.g. 30d, 12h; a bare number is days).
        #[arg(long = "warn-after", value_parser = parse_age, default_value = "30d")]
        warn_after: std::time::Duration,
        /// Inactivity before deletion (to the trash).
        #[arg(long = "delete-after", value_parser = parse_age, default_value = "60d")]
        delete_after: std::time::Duration,
        /// Only list what would be done.
        #[arg(long = "dry-run")]
        dry_run: bool,
        /// Shell command run for each warned henv, with HBF_HENV_HOST, HBF_HENV_HASH,
        /// HBF_HENV_OWNER and HBF_HENV_INACTIVE_DAYS set (a failure is reported; the henv is
        /// warned again next time).
        #[arg(long = "warn-command", value_name = "CMD")]
        warn_command: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

/// Where the henvs live.
#[derive(Args, Clone)]
struct StorageArgs {
    /// Directory holding the henv files and the registry.
    #[arg(
        long = "storage_dir",
        env = "HBF_STORAGE_DIR",
        default_value = "./henvs"
    )]
    storage_dir: PathBuf,
}

fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    henv::lifecycle::parse_duration(text)
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
        Command::Import {
            dir,
            henv,
            prune,
            max_import_mb,
        } => import(&dir, &henv, prune, max_import_mb),
        Command::Export { dir, henv } => export(&dir, &henv),
        Command::Sql { sql, henv } => run_sql(&sql, &henv),
        Command::Hash { name } => henv::normalize_hostname(&name)
            .map(|n| println!("{}", henv::dns_safe_hash(&n)))
            .map_err(|e| format!("{name:?}: {e}")),
        Command::Henv { command } => henv_command(command),
        Command::Ops(command) => hbf::ops::cli::run(command),
        Command::Docs { command } => docs_cli::run(command),
        Command::User { command } => user_cli::run(command),
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
    if config.default_host.is_empty() {
        // No default henv: unknown hosts get 404.
    } else if let Ok(host) = henv::normalize_hostname(&config.default_host) {
        if let Err(e) = henv::lifecycle::register_existing(&config.storage_dir, &host) {
            eprintln!("hbf: --default_host: {e}");
            return ExitCode::FAILURE;
        }
        if !henv::henv_path(&config.storage_dir, &host).exists() {
            if let Err(e) =
                open(&default).and_then(|c| henv::install_starter(&c).map_err(|e| e.to_string()))
            {
                eprintln!("hbf: cannot create the default henv: {e}");
                return ExitCode::FAILURE;
            }
        }
        if let Ok(conn) = open(&default) {
            user_cli::print_setup_token(&conn, &host, Some(config.port).filter(|p| *p != 0));
        }
    } else {
        eprintln!(
            "hbf: --default_host: {:?} is not a valid hostname",
            config.default_host
        );
        return ExitCode::from(2);
    }
    let outbound = hbf::outbound::OutboundConfig::from_config(&config);
    let app = AppHandler::new(AppConfig {
        storage_dir: config.storage_dir.clone(),
        default_host: henv::normalize_hostname(&config.default_host).unwrap_or_default(),
        mem_limit_bytes: config.qjs_mem_mb * 1024 * 1024,
        dev: config.dev,
    })
    .tenancy(henv::TenancyConfig::from(&config))
    .outbound(outbound);
    if config.db_max_open < config.worker_count() {
        eprintln!(
            "hbf: warning: --db_max_open {} is below the {} workers; each worker keeps one connection, so up to {} may be open",
            config.db_max_open,
            config.worker_count(),
            config.worker_count()
        );
    }
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
    henv::store::ensure_private_dir(&h.storage_dir).map_err(|e| {
        format!(
            "--storage_dir: cannot create {}: {e}",
            h.storage_dir.display()
        )
    })?;
    henv::open_henv(&h.storage_dir, &h.host)
        .map(|(c, _)| c)
        .map_err(|e| format!("--host {}: {e}", h.host))
}

/// Registers the henv's hostname (refusing a hash collision) before its file is touched.
fn register(h: &HenvArgs) -> Result<(), String> {
    henv::lifecycle::register_existing(&h.storage_dir, &h.host)
        .map(drop)
        .map_err(|e| format!("--host {}: {e}", h.host))
}

/// Records a write as activity of a registered henv (for the inactivity sweep).
fn note_activity(h: &HenvArgs) {
    if let Ok(host) = henv::normalize_hostname(&h.host) {
        if let Ok(mut reg) = henv::Registry::open(&h.storage_dir) {
            let _ = reg.touch(&[(henv::dns_safe_hash(&host), henv::store::unix_now())]);
        }
    }
}

fn init(h: &HenvArgs) -> Result<(), String> {
    register(h)?;
    let conn = open(h)?;
    let written = henv::install_starter(&conn).map_err(|e| e.to_string())?;
    let host = henv::normalize_hostname(&h.host).map_err(|e| e.to_string())?;
    println!(
        "henv {host} ({}) ready: {written} starter files written",
        henv::henv_path(&h.storage_dir, &host).display()
    );
    user_cli::print_setup_token(&conn, &host, None);
    Ok(())
}

fn import(dir: &std::path::Path, h: &HenvArgs, prune: bool, max_mb: u64) -> Result<(), String> {
    use std::io::IsTerminal;
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    register(h)?;
    let mut conn = open(h)?;
    let options = henv::import::ImportOptions {
        prune,
        max_bytes: max_mb.saturating_mul(1 << 20),
    };
    // A progress bar on a terminal only (large node_modules trees take a while).
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files") {
            bar.set_style(style);
        }
        bar
    });
    let report = henv::import::import_tree(&mut conn, dir, &options, &mut |done, total| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    })
    .map_err(|e| e.to_string())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut reasons: Vec<henv::import::SkipReason> =
        report.skipped.iter().map(|(r, _)| *r).collect();
    reasons.dedup();
    for reason in reasons {
        let paths: Vec<&str> = report
            .skipped
            .iter()
            .filter(|(r, _)| *r == reason)
            .map(|(_, p)| p.as_str())
            .collect();
        if reason == henv::import::SkipReason::NativeAddon {
            for p in &paths {
                println!("skipped native addon {p} (its package will fail at require)");
            }
        } else {
            println!("skipped {} {}", paths.len(), reason.describe());
        }
    }
    println!(
        "imported {} files ({}) into {}, {} skipped, {} deleted",
        report.files,
        human_size(report.bytes),
        h.host,
        report.skipped.len(),
        report.deleted
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
        if conn.total_changes() > 0 {
            note_activity(h);
        }
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

fn henv_command(command: HenvCommand) -> Result<(), String> {
    use henv::lifecycle;
    let registry =
        |s: &StorageArgs| henv::Registry::open(&s.storage_dir).map_err(|e| e.to_string());
    match command {
        HenvCommand::Move(args) => hbf::ops::cli::run_move(args),
        HenvCommand::Create {
            host,
            owner,
            storage,
        } => {
            let mut reg = registry(&storage)?;
            let entry = lifecycle::create_henv(
                &storage.storage_dir,
                &mut reg,
                &host,
                owner.as_deref(),
                |_| Ok(()),
            )
            .map_err(|e| e.to_string())?;
            println!(
                "created henv {} ({}) at {}",
                entry.hostname,
                entry.hash,
                henv::store::hash_path(&storage.storage_dir, &entry.hash).display()
            );
            Ok(())
        }
        HenvCommand::List { storage } => {
            let reg = registry(&storage)?;
            let entries = reg.list().map_err(|e| e.to_string())?;
            let now = henv::store::unix_now();
            let mut rows = vec![[
                "HOST".to_owned(),
                "HASH".into(),
                "SIZE".into(),
                "LAST ACTIVITY".into(),
                "OWNER".into(),
                "DOMAINS".into(),
            ]];
            for e in &entries {
                let path = henv::store::hash_path(&storage.storage_dir, &e.hash);
                rows.push([
                    e.hostname.clone(),
                    e.hash.clone(),
                    human_size(henv::store::files_size(&path)),
                    format!(
                        "{} ({})",
                        iso_date(e.last_activity_ts),
                        age(now - e.last_activity_ts)
                    ),
                    e.owner.clone().unwrap_or_else(|| "-".into()),
                    if e.domains.is_empty() {
                        "-".into()
                    } else {
                        e.domains.join(",")
                    },
                ]);
            }
            for hash in henv::store::henv_files(&storage.storage_dir) {
                if entries.iter().all(|e| e.hash != hash) {
                    let path = henv::store::hash_path(&storage.storage_dir, &hash);
                    let mtime = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs() as i64);
                    rows.push([
                        "(unregistered)".into(),
                        hash,
                        human_size(henv::store::files_size(&path)),
                        format!("{} (file modified)", iso_date(mtime)),
                        "-".into(),
                        "-".into(),
                    ]);
                }
            }
            let widths: Vec<usize> = (0..6)
                .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
                .collect();
            for row in &rows {
                let line: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                println!("{}", line.join("  ").trim_end());
            }
            Ok(())
        }
        HenvCommand::Info { host, storage } => {
            let reg = registry(&storage)?;
            let e = reg
                .get(&host)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no henv is registered for {host:?}"))?;
            let path = henv::store::hash_path(&storage.storage_dir, &e.hash);
            let info = serde_json::json!({
                "host": e.hostname,
                "hash": e.hash,
                "file": path.display().to_string(),
                "exists": path.exists(),
                "size_bytes": henv::store::files_size(&path),
                "owner": e.owner,
                "created_at": iso_date(e.created_at),
                "last_activity": iso_date(e.last_activity_ts),
                "last_activity_ts": e.last_activity_ts,
                "warned_at": e.warned_at.map(iso_date),
                "domains": e.domains,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&info).unwrap_or_default()
            );
            Ok(())
        }
        HenvCommand::Delete {
            host,
            purge,
            storage,
        } => {
            let mut reg = registry(&storage)?;
            let (entry, removed) =
                lifecycle::delete_henv(&storage.storage_dir, &mut reg, &host, purge)
                    .map_err(|e| e.to_string())?;
            match removed {
                lifecycle::Removed::Trash(to) => println!(
                    "deleted henv {} ({}): moved to {}",
                    entry.hostname,
                    entry.hash,
                    to.display()
                ),
                lifecycle::Removed::Purged => {
                    println!("deleted henv {} ({}): purged", entry.hostname, entry.hash)
                }
            }
            Ok(())
        }
        HenvCommand::AddDomain {
            host,
            domain,
            storage,
        } => {
            let mut reg = registry(&storage)?;
            let entry = reg.add_domain(&host, &domain).map_err(|e| e.to_string())?;
            println!(
                "{} now routes to henv {} ({})",
                henv::normalize_hostname(&domain).unwrap_or(domain),
                entry.hostname,
                entry.hash
            );
            Ok(())
        }
        HenvCommand::Sweep {
            warn_after,
            delete_after,
            dry_run,
            warn_command,
            storage,
        } => {
            if delete_after <= warn_after {
                return Err("--delete-after must be longer than --warn-after".into());
            }
            let mut reg = registry(&storage)?;
            let policy = lifecycle::SweepPolicy {
                warn_after,
                delete_after,
                dry_run,
                warn_command,
            };
            let report = lifecycle::sweep(
                &storage.storage_dir,
                &mut reg,
                &policy,
                henv::store::unix_now(),
            )
            .map_err(|e| e.to_string())?;
            let mut failed = 0;
            for item in &report {
                let action = match item.action {
                    lifecycle::SweepAction::Warn => "warn",
                    lifecycle::SweepAction::Delete => "delete",
                };
                let outcome = match (&item.error, &item.removed, dry_run) {
                    (_, _, true) => "(dry run)".to_owned(),
                    (Some(e), _, _) => {
                        failed += 1;
                        format!("FAILED: {e}")
                    }
                    (None, Some(lifecycle::Removed::Trash(to)), _) => {
                        format!("moved to {}", to.display())
                    }
                    _ => "done".to_owned(),
                };
                println!(
                    "{action} {} {} inactive {} {outcome}",
                    item.entry.hostname,
                    item.entry.hash,
                    age(item.inactive.as_secs() as i64)
                );
            }
            let warned = report
                .iter()
                .filter(|i| i.action == lifecycle::SweepAction::Warn)
                .count();
            println!(
                "sweep{}: {warned} to warn, {} to delete",
                if dry_run { " (dry run)" } else { "" },
                report.len() - warned
            );
            if failed > 0 {
                return Err(format!("sweep: {failed} action(s) failed"));
            }
            Ok(())
        }
    }
}

fn iso_date(unix: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    let full = hbf::observe::rfc3339_millis(at);
    // 2024-01-02T03:04:05.678Z -> 2024-01-02T03:04:05Z
    match full.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => full,
    }
}

fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
