//! Host name resolution on a small pool of threads: `getaddrinfo` blocks, so it runs neither
//! on the outbound I/O thread nor on a worker. Results go back to the I/O thread as commands.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use super::Command;

/// A name to resolve for request `id`.
pub(super) struct Lookup {
    pub id: u64,
    pub host: String,
    pub port: u16,
}

/// Starts `threads` resolvers; they exit when the returned sender is dropped.
pub(super) fn start(
    threads: usize,
    results: Sender<Command>,
    waker: Arc<mio::Waker>,
) -> std::io::Result<Sender<Lookup>> {
    let (tx, rx) = crossbeam_channel::unbounded::<Lookup>();
    for i in 0..threads.max(1) {
        let (rx, results, waker): (Receiver<Lookup>, _, _) =
            (rx.clone(), results.clone(), waker.clone());
        std::thread::Builder::new()
            .name(format!("hbf-resolver-{i}"))
            .spawn(move || {
                for lookup in rx {
                    let result = resolve(&lookup.host, lookup.port);
                    if results
                        .send(Command::Resolved {
                            id: lookup.id,
                            result,
                        })
                        .is_err()
                    {
                        break;
                    }
                    let _ = waker.wake();
                }
            })?;
    }
    Ok(tx)
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .collect();
    if addrs.is_empty() {
        return Err("no addresses".into());
    }
    Ok(addrs)
}
