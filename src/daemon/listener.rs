//! The daemon's accept loop: hyper's HTTP/1 server with a header read timeout (idle keep-alive
//! included), a connection limit (a connection beyond it is closed at once), accept errors such as
//! running out of file descriptors survived, graceful shutdown; and raising the open-file limit.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::shutdown::Shutdown;

/// File descriptors kept free for the store, the remotes' connections and the logs.
pub const FD_RESERVE: usize = 256;

/// What one listener holds at most, and how long a client may take to send its headers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// Raises the soft open-file limit towards `wanted` (never above the hard limit) and returns the
/// soft limit in force afterwards.
pub fn raise_open_files(wanted: usize) -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return usize::MAX;
        }
        let wanted = wanted as libc::rlim_t;
        if limit.rlim_cur < wanted && limit.rlim_cur != libc::RLIM_INFINITY {
            let raised = libc::rlimit { rlim_cur: wanted.min(limit.rlim_max), rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    if limit.rlim_cur == libc::RLIM_INFINITY { usize::MAX } else { limit.rlim_cur as usize }
}

/// Serves `app` on `listener` until `stop`, then waits for the open connections to finish.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, stop: Shutdown) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut refused: u64 = 0;
    loop {
        let accepted = tokio::select! {
            () = stop.wait() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors (EMFILE) or a connection reset before it was taken: wait a
                // little rather than spin, and keep serving.
                tracing::warn!(error = %e, "cannot accept a connection; `[server] max_connections` may exceed the open-file limit");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    refused,
                    max = limits.max_connections,
                    "connections closed at once: `[server] max_connections` are open"
                );
            }
            drop(stream);
            continue;
        };
        let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
