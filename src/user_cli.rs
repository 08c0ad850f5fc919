//! `hbf user add` (create a user, an owner included, on a henv's file) and the first-run
//! setup token that `hbf serve` and `hbf init` print for a henv without an owner.

use std::io::BufRead;

use clap::Subcommand;
use hbf::admin::{setup, SETUP_TOKEN_TTL_SECS};
use hbf::auth::{self, AuthSettings};

use crate::HenvArgs;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user. The password comes from --password, HBF_USER_PASSWORD, or the first
    /// line of stdin.
    Add {
        username: String,
        /// owner, admin or user.
        #[arg(long, default_value = "user")]
        role: String,
        #[arg(long, env = "HBF_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        henv: HenvArgs,
    },
}

pub fn run(cmd: UserCommand) -> Result<(), String> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            password,
            henv,
        } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            crate::register(&henv)?;
            let conn = crate::open(&henv)?;
            let settings = AuthSettings::load(&conn).map_err(|e| e.to_string())?;
            let user = auth::create_user(&conn, &settings, &username, &password, None, &role)
                .map_err(|e| format!("{username}: {e}"))?;
            println!(
                "user {} ({}) created in {} with id {}",
                user.username, user.role, henv.host, user.id
            );
            Ok(())
        }
    }
}

/// Prints a fresh setup token for the henv when it has no owner yet (to stderr, once).
/// `port`: where `hbf serve` listens, for a setup address that can be opened as printed.
pub fn print_setup_token(conn: &rusqlite::Connection, host: &str, port: Option<u16>) {
    let now = hbf::api::now();
    let origin = match port {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    match setup::issue(conn, now, SETUP_TOKEN_TTL_SECS) {
        Ok(Some(token)) => eprintln!(
            "hbf: {host} has no owner yet. Open http://{origin}/_admin/setup and use the setup token {token} (valid {}h), or run `hbf user add NAME --role owner --host {host}`",
            SETUP_TOKEN_TTL_SECS / 3600
        ),
        Ok(None) => {}
        Err(e) => eprintln!("hbf: {host}: cannot issue a setup token: {e}"),
    }
}
