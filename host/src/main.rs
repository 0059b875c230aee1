//! `perk`: the command line. Parses arguments and calls the library.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use perk_host::manifest::ModuleRef;
use perk_host::{evaluate, input, registry, scaffold, BuildOptions, Campaign, Limits, Runtime, Situation};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc: per-thread heaps without glibc's consolidation passes; a replay and the
/// service allocate many short-lived strings. Built without transparent huge pages
/// (`no_thp` in Cargo.toml): the same speed at half the peak memory (PERFORMANCE.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "perk", version, about = "Perk: loyalty campaigns from sandboxed reward policies")]
struct Cli {
    /// Where compiled policies are cached [default: $PERK_CACHE_DIR, else ~/.cache/perk].
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every module afresh and cache nothing.
    #[arg(long, global = true)]
    no_cache: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create something new.
    New {
        #[command(subcommand)]
        what: New,
    },
    /// Build every SDK crate a campaign's manifest references into a component.
    Build {
        /// Campaign directory (holding perk.toml) or manifest file.
        dir: PathBuf,
    },
    /// Validate a campaign: manifest, modules, configs. Non-zero exit on any problem.
    Check { dir: PathBuf },
    /// Show the combined rewards a purchase (or event) earns, as JSON.
    Eval {
        dir: PathBuf,
        /// Purchase JSON file, or `-` for standard input.
        #[arg(long, value_name = "FILE", conflicts_with = "event", required_unless_present = "event")]
        purchase: Option<PathBuf>,
        /// Activity event JSON file, or `-` for standard input.
        #[arg(long, value_name = "FILE")]
        event: Option<PathBuf>,
        /// Customer JSON file (tier, points, lifetime spend, state, ...); default: a new customer.
        #[arg(long, value_name = "FILE")]
        customer: Option<PathBuf>,
        /// The host clock for this evaluation (RFC 3339); default: now.
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },
    /// List the standard policies built into this binary; with a name, describe that one
    /// (its config's JSON Schema included) as JSON.
    Policies {
        /// A standard policy's name.
        name: Option<String>,
    },
    /// Serve the HTTP API for a campaign, with the ledger in an embedded SQLite database;
    /// reload the policy set when the manifest or a module file changes.
    Serve(ServeArgs),
    /// Replay a purchase history through a campaign and report what it would cost.
    Simulate(SimulateArgs),
    /// Build the campaign's policy crates, serve, and rebuild and reload on every change to
    /// the manifest, a module file or a policy crate's sources.
    Up(ServeArgs),
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("history").required(true).args(["cdnow", "csv", "jsonl"])))]
struct SimulateArgs {
    /// Campaign directory (holding perk.toml) or manifest file.
    dir: PathBuf,
    /// A file in the CDNOW format (examples/data/cdnow/CDNOW_master.txt).
    #[arg(long, value_name = "FILE")]
    cdnow: Option<PathBuf>,
    /// A CSV with a header row; give --map.
    #[arg(long, value_name = "FILE", requires = "map")]
    csv: Option<PathBuf>,
    /// CSV columns: customer=<col>,at=<col>,total=<col>[,id=<col>][,category=<col>].
    #[arg(long, value_name = "MAP")]
    map: Option<perk_host::simulate::read::ColumnMap>,
    /// JSON Lines, one API purchase body per line.
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Threads [default: the machine's cores]; campaigns with budgets use one.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Purchases of different customers evaluated together, one sandbox call per policy
    /// for all of them (1: one by one); campaigns with budgets use 1.
    #[arg(long, value_name = "N", default_value_t = perk_host::simulate::Options::default().batch as u16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    batch: u16,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Campaign directory (holding perk.toml) or manifest file.
    dir: PathBuf,
    /// Where the ledger lives (`<DIR>/ledger.sqlite`).
    #[arg(long, value_name = "DIR", default_value = ".perk")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    bind: std::net::SocketAddr,
    /// Key for the admin routes [env: PERK_API_KEY]; without one they are disabled.
    #[arg(long, value_name = "KEY", env = "PERK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// How often expired points lots are swept, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    expire_every: u64,
    /// Do not watch files; reload only on `POST /v1/reload`.
    #[arg(long)]
    no_watch: bool,
}

#[derive(Subcommand)]
enum New {
    /// Scaffold a policy crate that builds and tests out of the box.
    Policy {
        /// Directory to create; its name becomes the crate name.
        path: PathBuf,
        /// The perk-sdk crate to depend on [default: the SDK this binary was built from].
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server reports reloads and its lifecycle; one-shot commands only warnings.
    let default = if matches!(cli.command, Command::Serve(_) | Command::Up(_)) { "warn,perk_host=info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into()))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime(cli: &Cli) -> Result<Runtime> {
    let cache = if cli.no_cache {
        None
    } else {
        cli.cache_dir
            .clone()
            .or_else(|| std::env::var_os("PERK_CACHE_DIR").map(PathBuf::from))
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("perk")))
            .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/perk")))
    };
    Runtime::new(Limits::default(), cache).context("setting up the wasm runtime")
}

fn load(cli: &Cli, dir: &Path) -> Result<Campaign> {
    Campaign::load(dir, &runtime(cli)?, &BuildOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))
}

fn read_input(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading standard input")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::New { what: New::Policy { path, sdk } } => {
            let sdk = sdk.clone().unwrap_or_else(perk_host::sdk_path);
            let s = scaffold::new_policy(path, &sdk)?;
            println!("Created policy crate `{}` in {}", s.package, s.dir.display());
            println!("\nNext:\n  cd {} && cargo test      # native unit tests", s.dir.display());
            println!("  add it to a campaign's perk.toml (module path relative to the manifest):\n");
            println!("{}", s.manifest_snippet);
            println!("  perk build <campaign dir> && perk eval <campaign dir> --purchase <file>");
        }
        Command::Build { dir } => {
            let manifest = perk_host::manifest::load(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
            let runtime = runtime(&cli)?;
            let mut built = 0;
            for spec in &manifest.policies {
                let ModuleRef::Crate(crate_dir) = &spec.module else { continue };
                let b = registry::build_crate(crate_dir, &BuildOptions::default())
                    .map_err(|e| anyhow::anyhow!("{}: policy `{}`: {e}", spec.location, spec.id))?;
                let module = runtime.load(&b.component).map_err(|e| anyhow::anyhow!("{}: policy `{}`: {e}", spec.location, spec.id))?;
                println!("built `{}` → {} ({} bytes, {})", b.package, b.path.display(), b.component.len(), module.short_hash());
                built += 1;
            }
            if built == 0 {
                println!("{} references no SDK crates; nothing to build", manifest.path.display());
            }
        }
        Command::Check { dir } => {
            let campaign = load(&cli, dir)?;
            let m = &campaign.manifest;
            println!("ok: campaign `{}` ({}), {} policies", m.campaign.name, m.campaign.currency, campaign.policies.len());
            for p in &campaign.policies {
                let d = p.module.describe();
                println!(
                    "  {:<16} {:<40} {} {} {} ({} bytes)",
                    p.spec.id,
                    p.spec.module.to_string(),
                    d.name,
                    d.version,
                    p.module.short_hash(),
                    p.module.size()
                );
            }
        }
        Command::Eval { dir, purchase, event, customer, now } => {
            let campaign = load(&cli, dir)?;
            let now = match now {
                Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                    .with_context(|| format!("--now `{t}` is not an RFC 3339 time"))?,
                None => perk_host::now_ms(),
            };
            let (customer, states) = match customer {
                Some(path) => input::customer(&read_input(path)?).with_context(|| format!("customer {}", path.display()))?,
                None => (perk_sdk::Customer::default(), BTreeMap::new()),
            };
            let evaluation = match (purchase, event) {
                (Some(path), _) => {
                    let p = input::purchase(&read_input(path)?, &campaign.manifest.campaign.currency, now)
                        .with_context(|| format!("purchase {}", path.display()))?;
                    let customer = with_id(customer, &p.customer_id)?;
                    let sit = Situation::new(now, &customer, &states);
                    evaluate::purchase(&campaign, &p, sit)
                }
                (None, Some(path)) => {
                    let e = input::event(&read_input(path)?, now).with_context(|| format!("event {}", path.display()))?;
                    let customer = with_id(customer, &e.customer_id)?;
                    let sit = Situation::new(now, &customer, &states);
                    evaluate::event(&campaign, &e, sit)
                }
                (None, None) => bail!("give --purchase or --event"),
            };
            println!("{}", serde_json::to_string_pretty(&evaluation)?);
        }
        Command::Serve(args) => serve(&cli, args, false)?,
        Command::Up(args) => serve(&cli, args, true)?,
        Command::Simulate(args) => simulate(&cli, args)?,
        Command::Policies { name: Some(name) } => {
            let bytes = perk_host::stdlib::get(name).with_context(|| {
                format!("no standard policy `{name}`; known: {}", perk_host::stdlib::names().collect::<Vec<_>>().join(", "))
            })?;
            let module = runtime(&cli)?.load(bytes).with_context(|| format!("standard policy `{name}`"))?;
            println!("{}", serde_json::to_string_pretty(module.describe())?);
        }
        Command::Policies { name: None } => {
            let runtime = runtime(&cli)?;
            for name in perk_host::stdlib::names() {
                let module =
                    runtime.load(perk_host::stdlib::get(name).expect("listed")).with_context(|| format!("standard policy `{name}`"))?;
                let d = module.describe();
                println!(
                    "{name:<12} {} ({} bytes): {}",
                    module.short_hash(),
                    module.size(),
                    d.description.lines().next().unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The customer file describes the purchase's customer; without one, a new customer.
fn with_id(mut customer: perk_sdk::Customer, id: &str) -> Result<perk_sdk::Customer> {
    if customer.id.is_empty() {
        customer.id = id.to_string();
    } else if customer.id != id {
        bail!("the customer file is for `{}`, the input is from `{id}`", customer.id);
    }
    Ok(customer)
}

/// `perk serve` and, with `up`, `perk up`: the same server; `up` also watches crate sources
/// and reports every reload on the console.
fn serve(cli: &Cli, args: &ServeArgs, up: bool) -> Result<()> {
    use perk_host::service::{Engine, Source};
    use std::sync::Arc;
    let manifest = if args.dir.is_dir() { args.dir.join(perk_host::manifest::FILE_NAME) } else { args.dir.clone() };
    let runtime = runtime(cli)?;
    if up {
        eprintln!("perk up: building and checking {}", manifest.display());
    }
    let campaign = Campaign::load(&manifest, &runtime, &BuildOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = args.data.join("ledger.sqlite");
    let ledger = perk_host::ledger::SqliteLedger::open(&db).map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = Source { manifest, runtime, build: BuildOptions::default() };
    let engine = Arc::new(Engine::new(campaign, Arc::new(ledger)).with_api_key(args.api_key.clone()).with_source(source));
    let _watcher = if args.no_watch {
        None
    } else {
        let report = move |r: &std::result::Result<perk_host::service::Reloaded, String>| {
            if !up {
                return; // the server's log has it
            }
            match r {
                Ok(r) if r.changed => eprintln!("perk up: reloaded {} → {}", r.from, r.to),
                Ok(r) => eprintln!("perk up: {} unchanged", r.to),
                Err(e) => eprintln!("perk up: reload failed, still serving the last good set:\n{e}"),
            }
        };
        Some(perk_host::service::watch(engine.clone(), up, report).map_err(|e| anyhow::anyhow!(e))?)
    };
    let active = engine.active();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("cannot listen on {}", args.bind))?;
        let addr = listener.local_addr()?;
        eprintln!(
            "perk: serving `{}` ({} policies, {}) on http://{addr}, ledger {}",
            active.campaign.manifest.campaign.name,
            active.campaign.policies.len(),
            active.campaign.version,
            db.display()
        );
        drop(active);
        tokio::spawn(perk_host::service::expire_periodically(engine.clone(), std::time::Duration::from_secs(args.expire_every.max(1))));
        axum::serve(listener, perk_host::service::router(engine)).with_graceful_shutdown(perk_host::service::shutdown_signal()).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    eprintln!("perk: stopped");
    Ok(())
}

fn simulate(cli: &Cli, args: &SimulateArgs) -> Result<()> {
    use perk_host::simulate::{self, read};
    let manifest = perk_host::manifest::load(&args.dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let currency = manifest.campaign.currency.clone();
    if args.cdnow.is_some() && currency != "USD" {
        bail!("CDNOW purchases are in USD; the campaign `{}` runs in {currency}", manifest.campaign.name);
    }
    let runtime = runtime(cli)?;
    // The policies load while the history is read.
    let (campaign, history) = std::thread::scope(|s| {
        let loading = s.spawn(|| Campaign::from_manifest(manifest, &runtime, &BuildOptions::default()));
        let history = match (&args.cdnow, &args.csv, &args.jsonl) {
            (Some(f), _, _) => read::cdnow(f),
            (_, Some(f), _) => read::csv(f, args.map.as_ref().expect("clap requires --map"), &currency),
            (_, _, Some(f)) => read::jsonl(f, &currency),
            _ => unreachable!("clap requires one history"),
        };
        (loading.join().expect("loading the campaign panicked"), history)
    });
    let campaign = campaign.map_err(|e| anyhow::anyhow!("{e}"))?;
    let history = history.map_err(|e| anyhow::anyhow!("{e}"))?;
    let defaults = simulate::Options::default();
    let options = simulate::Options { threads: args.threads.unwrap_or(defaults.threads), batch: args.batch.into() };
    let bar = indicatif::ProgressBar::new(history.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} replaying {bar:40} {pos}/{len} purchases, {per_sec}, {eta} left")
            .expect("a valid template"),
    );
    let report = simulate::run(&campaign, &history, options, &|n| bar.inc(n));
    bar.finish_and_clear();
    if let Some(path) = &args.report {
        std::fs::write(path, simulate::report::html(&report)).with_context(|| format!("writing {}", path.display()))?;
        if !args.json {
            eprintln!("report written to {}", path.display());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", simulate::report::table(&report));
    }
    Ok(())
}
