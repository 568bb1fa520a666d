//! Load test client for a running `ablauf serve` (see eval/load/run.sh, which starts the
//! server and calls this once per phase).
//!
//! `--threads` workers send a fixed mix of reads, searches, exports and writes for
//! `--seconds`; with `--drafts N`, N more workers keep the language model busy with
//! `POST /api/draft` at the same time. Prints one Markdown table row per endpoint
//! (requests, requests/s, p50, p99, max, errors) and the server's RSS, and exits 1 if any
//! request failed other than the intended refusals (`503`/`429` with `Retry-After` on drafts).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// An admin API token.
    #[arg(long, env = "ABLAUF_LOAD_TOKEN")]
    token: String,
    /// How long the phase runs.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Concurrent workers sending the read/write mix.
    #[arg(long, default_value_t = 8)]
    threads: usize,
    /// Concurrent workers sending dictations to the model.
    #[arg(long, default_value_t = 0)]
    drafts: usize,
    /// Processes to create before the phase (only when the store has fewer).
    #[arg(long, default_value_t = 200)]
    seed: usize,
    /// Server process id, for its resident memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Name of the phase in the output.
    #[arg(long, default_value = "mix")]
    label: String,
    /// Leave out creates and edits (their share goes to searches).
    #[arg(long)]
    read_only: bool,
}

const SEARCH_WORDS: &[&str] = &["antrag", "parken", "gewerbe", "hund", "bau", "melde", "steuer", "ausweis"];
const DICTATION: &str = "Bürger beantragt einen Bewohnerparkausweis online. Sachbearbeitung prüft die \
                         Meldeadresse. Wenn sie im Gebiet liegt, wird der Ausweis ausgestellt, sonst abgelehnt.";

/// Latencies and failures of one endpoint.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    refused: u64,
    errors: u64,
    first_error: Option<String>,
}

type Tallies = Arc<Mutex<BTreeMap<&'static str, Tally>>>;

struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

enum Outcome {
    Ok(Value),
    /// An intended refusal: the queue or the rate limit, with `Retry-After`.
    Refused,
    Failed(String),
}

impl Client {
    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Outcome {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .header("content-type", "application/json");
        let result = match body {
            Some(b) => self.agent.run(request.body(b.to_string()).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        };
        let mut response = match result {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("{method} {path}: {e}")),
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let retry = response.headers().contains_key("retry-after");
        match status {
            200..=299 => Outcome::Ok(serde_json::from_str(&text).unwrap_or(Value::Null)),
            429 | 503 if retry => Outcome::Refused,
            _ => Outcome::Failed(format!("{method} {path}: {status} {}", &text[..text.len().min(200)])),
        }
    }
}

fn record(tallies: &Tallies, endpoint: &'static str, started: Instant, outcome: &Outcome) {
    let mut tallies = tallies.lock().unwrap();
    let tally = tallies.entry(endpoint).or_default();
    match outcome {
        Outcome::Ok(_) => tally.latencies.push(started.elapsed()),
        Outcome::Refused => tally.refused += 1,
        Outcome::Failed(e) => {
            tally.errors += 1;
            tally.first_error.get_or_insert_with(|| e.clone());
        }
    }
}

fn fixture(n: usize) -> Value {
    let mut p: Value = serde_json::from_str(include_str!("../../tests/fixtures/anwohnerparkausweis.json")).unwrap();
    let topic = SEARCH_WORDS[n % SEARCH_WORDS.len()];
    p["title"] = json!(format!("Lastprobe {n}: {topic}-Verfahren"));
    p["summary"] = json!(format!("Verfahren Nummer {n} zum Thema {topic}, angelegt vom Lasttest."));
    p
}

/// A small deterministic generator, so every run sends the same mix.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

/// One worker of the read/write mix: searches, reads, exports, stats, creates and edits of
/// its own processes (so optimistic-concurrency conflicts cannot occur).
fn mix_worker(client: &Client, ids: &[String], worker: usize, read_only: bool, stop: &AtomicBool, tallies: &Tallies) {
    let mut rng = Lcg(worker as u64 + 1);
    let mut own: Vec<(String, u64)> = Vec::new();
    let mut created = 0;
    while !stop.load(Ordering::Relaxed) {
        let id = &ids[rng.next(ids.len())];
        let started = Instant::now();
        let roll = rng.next(100);
        let (endpoint, outcome) = match if read_only && roll >= 80 { roll - 80 } else { roll } {
            0..30 => {
                let word = SEARCH_WORDS[rng.next(SEARCH_WORDS.len())];
                ("GET /api/processes?q=", client.send("GET", &format!("/api/processes?q={word}"), None))
            }
            30..50 => ("GET /api/processes/{id}", client.send("GET", &format!("/api/processes/{id}"), None)),
            50..65 => ("GET /api/processes/{id}/bpmn", client.send("GET", &format!("/api/processes/{id}/bpmn"), None)),
            65..75 => (
                "GET /api/processes/{id}/page",
                client.send("GET", &format!("/api/processes/{id}/page?format=html"), None),
            ),
            75..80 => ("GET /api/stats", client.send("GET", "/api/stats", None)),
            80..90 => {
                created += 1;
                let body = fixture(100_000 * (worker + 1) + created);
                let outcome = client.send("POST", "/api/processes?reason=Lasttest", Some(&body));
                if let Outcome::Ok(v) = &outcome {
                    own.push((v["id"].as_str().unwrap_or_default().to_owned(), v["version"].as_u64().unwrap_or(1)));
                }
                ("POST /api/processes", outcome)
            }
            _ => {
                let Some(slot) = (!own.is_empty()).then(|| rng.next(own.len())) else { continue };
                let (id, version) = own[slot].clone();
                let mut process = fixture(slot);
                process["summary"] = json!(format!("Geändert in Version {}", version + 1));
                let body = json!({"expected_version": version, "process": process, "reason": "Lasttest"});
                let outcome = client.send("PUT", &format!("/api/processes/{id}"), Some(&body));
                if let Outcome::Ok(v) = &outcome {
                    own[slot].1 = v["version"].as_u64().unwrap_or(version + 1);
                }
                ("PUT /api/processes/{id}", outcome)
            }
        };
        record(tallies, endpoint, started, &outcome);
    }
}

fn draft_worker(client: &Client, stop: &AtomicBool, tallies: &Tallies) {
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let outcome = client.send("POST", "/api/draft", Some(&json!({"text": DICTATION, "save": false})));
        let refused = matches!(outcome, Outcome::Refused);
        record(tallies, "POST /api/draft", started, &outcome);
        if refused {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// `VmRSS` and `VmHWM` of the server in MB.
fn rss_mb(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn main() {
    let args = Args::parse();
    let client = Arc::new(Client {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into(),
        base: args.url.trim_end_matches('/').to_owned(),
        auth: format!("Bearer {}", args.token),
    });

    let Outcome::Ok(page) = client.send("GET", "/api/processes?limit=1", None) else {
        panic!("the server at {} does not answer GET /api/processes", args.url)
    };
    let present = page["total"].as_u64().unwrap_or(0) as usize;
    for n in present..args.seed {
        if let Outcome::Failed(e) = client.send("POST", "/api/processes?reason=Lasttest", Some(&fixture(n))) {
            panic!("seeding failed: {e}");
        }
    }
    let mut ids = Vec::new();
    for offset in (0..args.seed).step_by(100) {
        let Outcome::Ok(page) = client.send("GET", &format!("/api/processes?limit=100&offset={offset}"), None) else {
            panic!("cannot list the seeded processes")
        };
        ids.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let tallies: Tallies = Arc::default();
    let ids = Arc::new(ids);
    let mut workers = Vec::new();
    for worker in 0..args.threads {
        let (client, ids, stop, tallies) = (client.clone(), ids.clone(), stop.clone(), tallies.clone());
        let read_only = args.read_only;
        workers.push(std::thread::spawn(move || mix_worker(&client, &ids, worker, read_only, &stop, &tallies)));
    }
    for _ in 0..args.drafts {
        let (client, stop, tallies) = (client.clone(), stop.clone(), tallies.clone());
        workers.push(std::thread::spawn(move || draft_worker(&client, &stop, &tallies)));
    }
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(args.seconds));
    stop.store(true, Ordering::Relaxed);
    let rss_under_load = args.pid.and_then(rss_mb);
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();

    let tallies = tallies.lock().unwrap();
    let mut failed = 0;
    let mut total = 0;
    for (endpoint, tally) in tallies.iter() {
        let mut sorted = tally.latencies.clone();
        sorted.sort();
        total += sorted.len();
        failed += tally.errors;
        println!(
            "| {} | {endpoint} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
            args.label,
            sorted.len(),
            sorted.len() as f64 / elapsed,
            percentile(&sorted, 0.50),
            percentile(&sorted, 0.99),
            percentile(&sorted, 1.0),
            tally.refused,
            tally.errors,
        );
        if let Some(e) = &tally.first_error {
            eprintln!("{endpoint}: first error: {e}");
        }
    }
    let rss = rss_under_load.map_or("?".to_owned(), |(now, peak)| format!("{now:.0} MB (peak {peak:.0} MB)"));
    println!(
        "| {} | all | {total} | {:.1} | | | | | {failed} |\n\nserver RSS at the end of {}: {rss}",
        args.label,
        total as f64 / elapsed,
        args.label
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
