//! The `hbf` command line: parses flags into a `Config` and runs the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hbf::{Config, Server};

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
enum Command {
    /// Run the HTTP server (every flag can also be set as an HBF_* environment variable).
    Serve(Config),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return report_usage_error(e),
    };
    match cli.command {
        Command::Serve(config) => serve(config),
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
    let handle = match Server::new(config).start() {
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
    match handle.wait() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hbf: server failed: {e}");
            ExitCode::FAILURE
        }
    }
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
