//! The `polyjob-mock` binary: command line, listening, graceful shutdown.
//!
//! Owns: parsing the flags of `mock/README.md` (`--host`, `--port`, `--port-file`, `--api-key`,
//! `--exit-after`, `--static`, `--fault-rate`, `--fault-seed`, `--fault-kinds`, the push-channel
//! flags `--webhook-secret`, `--webhook-retry-base-ms`, `--pusher-key`, `--pusher-secret`,
//! `--pusher-activity-timeout`, `--deapi-client-id`), binding, printing the first stdout line
//! (`polyjob-mock listening on http://HOST:PORT`), writing the port file, and stopping on
//! SIGTERM / SIGINT or after `--exit-after`. Must not touch: routes (see the library).

use polyjob_mock::faults::{Kind, RateConfig};
use polyjob_mock::{app, AppState, Config};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How long in-flight requests may take to finish once a stop was asked for.
const DRAIN: Duration = Duration::from_secs(2);

const USAGE: &str = "usage: polyjob-mock [--host H] [--port N] [--port-file PATH] [--api-key K] \
[--exit-after SECS] [--static DIR] [--fault-rate R] [--fault-seed N] [--fault-kinds K1,K2,...] \
[--webhook-secret S] [--webhook-retry-base-ms MS] [--pusher-key K] [--pusher-secret S] \
[--pusher-activity-timeout SECS] [--deapi-client-id ID]";

#[derive(Debug)]
struct Args {
    host: String,
    port: u16,
    port_file: Option<PathBuf>,
    api_key: String,
    exit_after: Option<Duration>,
    static_dir: Option<PathBuf>,
    faults: RateConfig,
    /// The push-channel settings (`api_key`, `static_dir`, `fallback_host`, `fault_rate` unused).
    push: Config,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut a = Args {
        host: "127.0.0.1".to_owned(),
        port: 0,
        port_file: None,
        api_key: "test-key".to_owned(),
        exit_after: None,
        static_dir: None,
        faults: RateConfig::default(),
        push: Config::default(),
    };
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--host" => a.host = value()?,
            "--port" => {
                let v = value()?;
                a.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--port-file" => a.port_file = Some(PathBuf::from(value()?)),
            "--api-key" => a.api_key = value()?,
            "--exit-after" => {
                let v = value()?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("--exit-after: not a number of seconds: {v}"))?;
                a.exit_after = Some(Duration::from_secs_f64(secs.min(1e9)));
            }
            "--static" => a.static_dir = Some(PathBuf::from(value()?)),
            "--fault-rate" => {
                let v = value()?;
                a.faults.rate = v
                    .parse()
                    .ok()
                    .filter(|r: &f64| (0.0..=1.0).contains(r))
                    .ok_or_else(|| format!("--fault-rate: not a number in 0..1: {v}"))?;
            }
            "--fault-seed" => {
                let v = value()?;
                a.faults.seed = v
                    .parse()
                    .map_err(|_| format!("--fault-seed: not an unsigned integer: {v}"))?;
            }
            "--fault-kinds" => {
                a.faults.kinds =
                    Kind::parse_list(&value()?).map_err(|e| format!("--fault-kinds: {e}"))?;
            }
            "--webhook-secret" => a.push.webhook_secret = value()?,
            "--webhook-retry-base-ms" => {
                let v = value()?;
                a.push.webhook_retry_base_ms = v
                    .parse()
                    .map_err(|_| format!("--webhook-retry-base-ms: not a whole number: {v}"))?;
            }
            "--pusher-key" => a.push.pusher_key = value()?,
            "--pusher-secret" => a.push.pusher_secret = value()?,
            "--pusher-activity-timeout" => {
                let v = value()?;
                a.push.pusher_activity_timeout =
                    v.parse().ok().filter(|s| *s >= 1).ok_or_else(|| {
                        format!("--pusher-activity-timeout: not a number of seconds ≥ 1: {v}")
                    })?;
            }
            "--deapi-client-id" => a.push.deapi_client_id = value()?,
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Some(a))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("polyjob-mock: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("polyjob-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("polyjob-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let stops = Stops::register();
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| format!("cannot bind {}:{}: {e}", args.host, args.port))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let state = AppState::new(Config {
        api_key: args.api_key,
        static_dir: args.static_dir,
        fallback_host: addr.to_string(),
        fault_rate: args.faults,
        ..args.push
    });
    if let Some(path) = &args.port_file {
        write_port_file(path, addr.port())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "polyjob-mock listening on http://{addr}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app(state))
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    let reason = stop_signal(stops, args.exit_after).await;
    eprintln!("polyjob-mock: stopping ({reason})");
    let _ = stop_tx.send(());
    match tokio::time::timeout(DRAIN, server).await {
        Ok(Ok(Ok(()))) | Err(_) => Ok(()),
        Ok(Ok(Err(e))) => Err(format!("server error: {e}")),
        Ok(Err(e)) => Err(format!("server task failed: {e}")),
    }
}

/// Writes the port (digits only) atomically: a temporary file renamed into place.
fn write_port_file(path: &std::path::Path, port: u16) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, port.to_string())?;
    std::fs::rename(&tmp, path)
}

/// SIGTERM / SIGINT listeners, registered before the first stdout line so that a signal sent right
/// after it is never missed.
struct Stops {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Stops {
    fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Stops {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Stops {}
    }
}

/// Resolves on SIGTERM, SIGINT or after `exit_after`, saying which.
async fn stop_signal(stops: Stops, exit_after: Option<Duration>) -> &'static str {
    let timer = async {
        match exit_after {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let Stops { mut term, mut int } = stops;
    #[cfg(unix)]
    let interrupt = async {
        match int.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match term.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let _ = stops;
    #[cfg(not(unix))]
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = timer => "--exit-after elapsed",
        () = interrupt => "SIGINT",
        () = terminate => "SIGTERM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Option<Args>, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let a = parse(&[
            "--port=8080",
            "--host",
            "0.0.0.0",
            "--exit-after",
            "1.5",
            "--api-key",
            "k",
            "--static",
            "www",
            "--port-file",
            "p",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            (a.port, a.host.as_str(), a.api_key.as_str()),
            (8080, "0.0.0.0", "k")
        );
        assert_eq!(a.exit_after, Some(Duration::from_millis(1500)));
        assert_eq!(a.static_dir, Some(PathBuf::from("www")));
        assert_eq!(a.port_file, Some(PathBuf::from("p")));
        let d = parse(&[]).unwrap().unwrap();
        assert_eq!(
            (d.port, d.host.as_str(), d.api_key.as_str()),
            (0, "127.0.0.1", "test-key")
        );
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--exit-after", "-1"]).is_err());
        assert!(parse(&["--help"]).unwrap().is_none());
        let f = parse(&[
            "--fault-rate",
            "0.25",
            "--fault-seed=7",
            "--fault-kinds",
            "429,reset_after",
        ])
        .unwrap()
        .unwrap()
        .faults;
        assert_eq!((f.rate, f.seed), (0.25, 7));
        assert_eq!(f.kinds, vec![Kind::TooManyRequests, Kind::ResetAfter]);
        assert_eq!(d.faults, RateConfig::default());
        assert!(parse(&["--fault-rate", "1.5"]).is_err());
        assert!(parse(&["--fault-rate", "NaN"]).is_err());
        assert!(parse(&["--fault-seed", "-1"]).is_err());
        assert!(parse(&["--fault-kinds", "429,nope"]).is_err());
        let p = parse(&[
            "--webhook-secret",
            "s",
            "--webhook-retry-base-ms=20",
            "--pusher-key",
            "k",
            "--pusher-secret",
            "ps",
            "--pusher-activity-timeout",
            "5",
            "--deapi-client-id",
            "7",
        ])
        .unwrap()
        .unwrap()
        .push;
        assert_eq!(
            (
                p.webhook_secret.as_str(),
                p.webhook_retry_base_ms,
                p.pusher_key.as_str(),
                p.pusher_secret.as_str(),
                p.pusher_activity_timeout,
                p.deapi_client_id.as_str()
            ),
            ("s", 20, "k", "ps", 5, "7")
        );
        assert_eq!(d.push.pusher_key, "depin-api-prod-key");
        assert!(parse(&["--pusher-activity-timeout", "0"]).is_err());
        assert!(parse(&["--webhook-retry-base-ms", "-1"]).is_err());
    }
}
