//! Graceful shutdown: SIGTERM or ctrl-c flips one shared switch; the server stops accepting, the
//! scheduler stops firing, and the worker finishes the run in flight before the store is closed.

use tokio::sync::watch;

/// A switch every part of the daemon watches. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown { tx: watch::channel(false).0 }
    }

    /// Asks every part to stop.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once [`trigger`](Self::trigger) was called (at once if it already was).
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// Resolves on SIGTERM (what `docker stop` and Kubernetes send) or ctrl-c.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "ctrl-c",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "ctrl-c"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_trigger_even_after_it_happened() {
        let s = Shutdown::new();
        let early = s.clone();
        let waiter = tokio::spawn(async move { early.wait().await });
        s.trigger();
        waiter.await.unwrap();
        assert!(s.is_triggered());
        s.clone().wait().await;
    }
}
