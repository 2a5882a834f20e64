//! `backlog-sync serve`: the daemon (cron schedules, webhooks, health, metrics, dashboard) until
//! SIGTERM or ctrl-c; and `serve --probe`, the container health check that asks a running daemon.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use chrono::Utc;

use super::Outcome;
use crate::config::Settings;
use crate::daemon::{Daemon, JobFn, ServeOptions, SummarySlot};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    /// Listen here instead of `[server] listen` (e.g. `0.0.0.0:8080`, or `127.0.0.1:0` for any port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Take webhooks without checking them on endpoints that have no secret configured.
    /// For local trials only: anyone who can reach the port can then trigger runs.
    #[arg(long)]
    pub insecure_webhooks: bool,
    /// Do not serve: ask the daemon at the configured address for `/healthz` and exit 0 when it
    /// answers, 1 when not (for a container HEALTHCHECK; curl is not in the image).
    #[arg(long)]
    pub probe: bool,
}

/// Runs the daemon; prints its base URL as the first line of stdout once it listens, then the
/// dashboard's (`dashboard: URL`) when it is served.
pub async fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    if args.probe {
        return probe(args.listen.as_deref().unwrap_or(&settings.server.listen)).await;
    }
    let slot = SummarySlot::default();
    refresh_summary(&settings, &slot);
    let job_settings = settings.clone();
    let job_slot = slot.clone();
    let summary: JobFn = Arc::new(move || {
        let (settings, slot) = (job_settings.clone(), job_slot.clone());
        Box::pin(async move {
            match crate::summary::post_all(&settings, Utc::now()).await {
                Ok(posted) => tracing::info!(posts = posted.len(), "stakeholder summaries posted"),
                Err(e) => tracing::warn!(error = %e, "stakeholder summaries not posted"),
            }
            refresh_summary(&settings, &slot);
        })
    });
    let opts = ServeOptions {
        insecure_webhooks: args.insecure_webhooks,
        listen: args.listen.clone(),
        summary: Some(summary),
        summary_slot: slot,
        ..Default::default()
    };
    let daemon = Daemon::bind(settings, opts).await?;
    println!("http://{}", daemon.local_addr());
    if let Some(dashboard) = daemon.dashboard_addr() {
        println!("dashboard: http://{dashboard}/");
    }
    std::io::stdout().flush()?;
    tracing::info!(addr = %daemon.local_addr(), dashboard = ?daemon.dashboard_addr(), "serving");
    daemon.run().await?;
    Ok(Outcome::Ok)
}

/// Renders the team summary for the dashboard; a failure leaves the last one shown.
fn refresh_summary(settings: &Settings, slot: &SummarySlot) {
    match crate::summary::latest_html(settings, Utc::now()) {
        Ok(html) => slot.set(Some(html)),
        Err(e) => tracing::warn!(error = %e, "the dashboard's summary could not be rendered"),
    }
}

/// The URL a probe asks: the listen address, with an unspecified host read as localhost.
fn health_url(listen: &str) -> String {
    let local = match listen.rsplit_once(':') {
        Some(("0.0.0.0" | "[::]" | "", port)) => format!("127.0.0.1:{port}"),
        _ => listen.to_string(),
    };
    format!("http://{local}/healthz")
}

async fn probe(listen: &str) -> anyhow::Result<Outcome> {
    let url = health_url(listen);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build()?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Ok(Outcome::Ok),
        Ok(r) => {
            eprintln!("unhealthy: `{url}` answered HTTP {}", r.status());
            Ok(Outcome::Findings)
        }
        Err(e) => {
            eprintln!("unhealthy: `{url}` did not answer: {e}");
            Ok(Outcome::Findings)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_asks_localhost_for_a_wildcard_listen() {
        let cases = [
            ("0.0.0.0:8080", "http://127.0.0.1:8080/healthz"),
            ("[::]:9000", "http://127.0.0.1:9000/healthz"),
            ("127.0.0.1:8080", "http://127.0.0.1:8080/healthz"),
            ("backlog:80", "http://backlog:80/healthz"),
        ];
        for (listen, want) in cases {
            assert_eq!(health_url(listen), want);
        }
    }
}
