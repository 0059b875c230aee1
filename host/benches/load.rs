//! Load test: the coffee-shop campaign served over loopback HTTP with the SQLite ledger on
//! disk, driven by keep-alive clients for a bounded time. Reports purchases per second and
//! latency percentiles.
//!
//! `cargo bench -p perk-host --bench load` (options: `-- --seconds 10 --clients 16
//! --customers 5000`). The server and the clients share the machine's cores, as they would
//! with `oha` on the same box.

use perk_host::ledger::SqliteLedger;
use perk_host::service::{router, Engine};
use perk_host::{BuildOptions, Campaign, Limits, Runtime};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The allocator the `perk` binary runs with, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Options {
    seconds: u64,
    clients: usize,
    customers: u64,
}

fn options() -> Options {
    let mut o = Options { seconds: 10, clients: 16, customers: 5000 };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| panic!("{} needs a number", args[i]));
        match args[i].as_str() {
            "--seconds" => o.seconds = value(),
            "--clients" => o.clients = value() as usize,
            "--customers" => o.customers = value(),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    o
}

/// One keep-alive HTTP/1.1 connection; `post` returns the status code.
struct Client {
    stream: BufReader<TcpStream>,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connects");
        stream.set_nodelay(true).unwrap();
        Client { stream: BufReader::new(stream), buf: Vec::with_capacity(4096) }
    }

    async fn post(&mut self, path: &str, body: &str) -> u16 {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).await.expect("writes");
        // Headers, then exactly Content-Length bytes of body.
        self.buf.clear();
        loop {
            let b = self.stream.read_u8().await.expect("reads");
            self.buf.push(b);
            if self.buf.ends_with(b"\r\n\r\n") {
                break;
            }
        }
        let head = std::str::from_utf8(&self.buf).expect("ascii headers");
        let status = head[9..12].parse().expect("status code");
        let length: usize = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
            .expect("content-length");
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("reads body");
        status
    }
}

fn purchase(n: u64, customers: u64) -> String {
    // A spread of customers, a coffee on most orders, a pastry on some.
    let customer = (n.wrapping_mul(2_654_435_761)) % customers;
    let pastry = if n.is_multiple_of(3) { r#",{"sku":"croissant","category":"pastry","quantity":1,"unit_price":18000}"# } else { "" };
    format!(
        r#"{{"id":"load-{n}","customer_id":"c-{customer}","at":"2026-03-02T12:30:00Z","channel":"store","items":[{{"sku":"latte","category":"coffee","quantity":{q},"unit_price":25000}}{pastry}]}}"#,
        q = 1 + n % 2
    )
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let o = options();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let runtime = Runtime::new(Limits::default(), None).unwrap();
    let campaign = Campaign::load(&root.join("examples/coffee-shop"), &runtime, &BuildOptions::default()).expect("coffee-shop loads");
    let dir = tempfile::tempdir().unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let engine = Arc::new(Engine::new(campaign, Arc::new(ledger)));

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(engine)).await.unwrap() });

        let next = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(o.seconds);
        let start = Instant::now();
        let tasks: Vec<_> = (0..o.clients)
            .map(|_| {
                let (next, errors) = (next.clone(), errors.clone());
                tokio::spawn(async move {
                    let mut client = Client::connect(addr).await;
                    let mut latencies = Vec::new();
                    while Instant::now() < deadline {
                        let body = purchase(next.fetch_add(1, Ordering::Relaxed), o.customers);
                        let t = Instant::now();
                        let status = client.post("/v1/purchases", &body).await;
                        latencies.push(t.elapsed().as_micros() as u64);
                        if status != 200 {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    latencies
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let elapsed = start.elapsed().as_secs_f64();
        all.sort_unstable();
        let errors = errors.load(Ordering::Relaxed);
        println!(
            "load: coffee-shop campaign, SQLite ledger on disk, {} clients, {:.1} s: {} purchases, {:.0} purchases/s, \
             latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} errors",
            o.clients,
            elapsed,
            all.len(),
            all.len() as f64 / elapsed,
            percentile(&all, 0.50),
            percentile(&all, 0.90),
            percentile(&all, 0.99),
            percentile(&all, 1.0),
            errors
        );
        assert_eq!(errors, 0, "every purchase must succeed");
    });
}
