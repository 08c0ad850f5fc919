//! The `hbf backup` and `hbf restore` commands: clap arguments and what they print. `main.rs`
//! flattens `OpsCommand` into its subcommands and calls `run`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{backup, restore, BackupOptions, RestoreOptions, Selection, TermProgress};

/// Where the henvs live (the same flag and variable as every other command).
#[derive(Args, Clone, Debug)]
pub struct Storage {
    /// Directory holding the henv files and the registry.
    #[arg(
        long = "storage_dir",
        env = "HBF_STORAGE_DIR",
        default_value = "./henvs"
    )]
    pub storage_dir: PathBuf,
}

/// Operator commands on a storage directory (safe while `hbf serve` runs).
#[derive(Subcommand, Clone, Debug)]
pub enum OpsCommand {
    /// Consistent online copies of henvs into DEST (SQLite backup API, safe while serving),
    /// with manifest.json: registry entries and the SHA-256 of every file.
    Backup {
        /// Directory to write (created 0700; must not hold a backup yet).
        dest: PathBuf,
        /// The henv to copy (hostname, custom domain or hash).
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        host: Option<String>,
        /// Copy every registered henv.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        storage: Storage,
    },
    /// Restore henvs from a backup directory into the storage directory, with their registry
    /// entries; checks the manifest checksum and integrity first. SRC may also be one SQLite
    /// file (e.g. a Litestream point-in-time restore), restored as the henv of --host.
    Restore {
        /// Backup directory (with manifest.json), or one SQLite file.
        src: PathBuf,
        /// The henv to restore (hostname, custom domain or hash).
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        host: Option<String>,
        /// Restore every henv of the backup.
        #[arg(long)]
        all: bool,
        /// Overwrite henvs that exist in the storage directory (a running server picks the
        /// restored data up by itself).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        storage: Storage,
    },
}

/// `hbf henv move`'s arguments (main.rs adds it to the `henv` subcommands).
#[derive(Args, Clone, Debug)]
pub struct MoveArgs {
    /// The henv to move (hostname, custom domain or hash).
    pub host: String,
    /// The destination node's storage directory (the henv must not exist there).
    #[arg(long)]
    pub to: PathBuf,
    /// Wait after unregistering the henv on the source before the final sync: the source's
    /// route reload (about 1 s) plus its request deadline (--qjs_timeout_ms), in milliseconds.
    #[arg(long = "drain_ms", default_value_t = 7000)]
    pub drain_ms: u64,
    #[command(flatten)]
    pub storage: Storage,
}

/// Runs `hbf henv move`.
pub fn run_move(args: MoveArgs) -> Result<(), String> {
    let opts = super::MoveOptions {
        host: args.host,
        from: args.storage.storage_dir,
        to: args.to,
        drain: std::time::Duration::from_millis(args.drain_ms),
    };
    let moved = super::move_henv(&opts, &mut TermProgress::new()).map_err(|e| e.to_string())?;
    println!(
        "moved {} ({}) to {}; the old copy is in {}",
        moved.entry.hostname,
        moved.entry.hash,
        moved.path.display(),
        moved.trashed.display()
    );
    Ok(())
}

/// Runs one command; `Err` is the one-line message for stderr.
pub fn run(cmd: OpsCommand) -> Result<(), String> {
    match cmd {
        OpsCommand::Backup {
            dest,
            host,
            all: _,
            storage,
        } => {
            let selection = host.map_or(Selection::All, Selection::Host);
            let opts = BackupOptions {
                storage_dir: storage.storage_dir,
                dest,
                selection,
            };
            let manifest = backup(&opts, &mut TermProgress::new()).map_err(|e| e.to_string())?;
            let bytes: u64 = manifest.henvs.iter().map(|e| e.bytes).sum();
            println!(
                "backed up {} henv(s), {bytes} bytes, to {} (manifest.json)",
                manifest.henvs.len(),
                opts.dest.display()
            );
            Ok(())
        }
        OpsCommand::Restore {
            src,
            host,
            all: _,
            force,
            storage,
        } => {
            let opts = RestoreOptions {
                src,
                storage_dir: storage.storage_dir,
                host,
                force,
            };
            let done = restore(&opts, &mut TermProgress::new()).map_err(|e| e.to_string())?;
            for e in &done {
                println!("restored {} ({})", e.hostname, e.hash);
            }
            Ok(())
        }
    }
}
