//! `npm run fuzz`: a million mutated recordings per parser (the EBML reader, the header
//! scan, the MP4 index, makeSeekable's container index), with the checks and the
//! engine of tests/fuzz/mod.rs and a counting global allocator. Prints per parser the
//! inputs, time, peak memory and failures, and writes the same table to
//! bench/results/fuzz.md.
//!
//! ```text
//! cargo run --release --example fuzz -- [--inputs N] [--seed S] [--threads T] [--only ebml,mp4]
//! cargo run --release --example fuzz -- --replay <parser> <case seed>
//! ```

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: fuzz::Counting = fuzz::Counting;

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(e) = runner::main() {
        eprintln!("fuzz: {e}");
        std::process::exit(2);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod runner {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use crate::fuzz::{self, Failure, Parser, Summary, PARSERS};

    /// The default run seed (the host test's, tests/core_fuzz.rs).
    const RUN: u64 = 0x5EED_F022;

    fn number(s: &str) -> Result<u64, String> {
        let s = s.replace('_', "");
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => s.parse(),
        }
        .map_err(|e| format!("{s}: {e}"))
    }

    fn describe(f: &Failure) -> String {
        match f {
            Failure::Panic(m) => format!("panic: {m}"),
            Failure::Invariant(m) => format!("invariant: {m}"),
            Failure::Memory { peak, len } => format!(
                "memory: {peak} B held for a {len} B input (bound {})",
                fuzz::memory_bound(*len)
            ),
        }
    }

    pub fn main() -> Result<(), String> {
        let mut inputs = 1_000_000u64;
        let mut run = RUN;
        let mut threads = 2usize;
        let mut only: Vec<Parser> = PARSERS.to_vec();
        let mut out = Some("bench/results/fuzz.md".to_string());
        let mut args = std::env::args().skip(1);
        let value = |name: &str, v: Option<String>| v.ok_or(format!("{name} needs a value"));
        while let Some(a) = args.next() {
            match a.as_str() {
                "--inputs" => inputs = number(&value(&a, args.next())?)?,
                "--seed" => run = number(&value(&a, args.next())?)?,
                "--threads" => threads = number(&value(&a, args.next())?)?.max(1) as usize,
                "--only" => {
                    only = value(&a, args.next())?
                        .split(',')
                        .map(|n| Parser::from_name(n).ok_or(format!("no parser {n}")))
                        .collect::<Result<_, _>>()?
                }
                "--no-write" => out = None,
                "--replay" => {
                    let name = value(&a, args.next())?;
                    let parser = Parser::from_name(&name).ok_or(format!("no parser {name}"))?;
                    let seed = number(&value(&a, args.next())?)?;
                    return replay(parser, seed);
                }
                other => return Err(format!("unknown argument {other}")),
            }
        }
        // Panics are caught and reported with their seeds; the hook would only repeat them.
        std::panic::set_hook(Box::new(|_| {}));
        println!(
            "fuzz: {inputs} inputs per parser, run seed {run:#x}, {threads} threads, bound 8 × len + 64 KiB"
        );
        let queue = Arc::new(Mutex::new(only.clone()));
        let results = Arc::new(Mutex::new(Vec::<(Parser, Summary)>::new()));
        let workers: Vec<_> = (0..threads.min(only.len()))
            .map(|_| {
                let (queue, results) = (queue.clone(), results.clone());
                std::thread::spawn(move || {
                    // The guard is dropped inside `next`, not held while a parser runs.
                    let next = || queue.lock().ok().and_then(|mut q| q.pop());
                    while let Some(parser) = next() {
                    let s = fuzz::run(parser, run, inputs, |seed, f| {
                        eprintln!(
                            "FAIL {} seed {seed:#x}: {} (replay: cargo run --release --example fuzz -- --replay {} {seed:#x})",
                            parser.name(),
                            describe(f),
                            parser.name()
                        );
                    });
                    println!("{}", row(parser, &s));
                    if let Ok(mut r) = results.lock() {
                        r.push((parser, s));
                    }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "a worker died".to_string())?;
        }
        let mut results = results.lock().map_err(|e| e.to_string())?.clone();
        results.sort_by_key(|(p, _)| PARSERS.iter().position(|x| x == p));
        let failures: usize = results.iter().map(|(_, s)| s.failures.len()).sum();
        let mut md = String::new();
        let _ = writeln!(md, "# Fuzzing at scale (issue 24)\n");
        let _ = writeln!(
            md,
            "Written by `npm run fuzz` (`cargo run --release --example fuzz -- --inputs {inputs}`, run seed `{run:#x}`, {threads} threads; {} cores). \
             Peak memory: the most bytes live on the parser's thread while it read one input, above the input itself; \
             the bound checked on every input is 8 × its length + 64 KiB.\n",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        let _ = writeln!(md, "{}", header());
        for (p, s) in &results {
            let _ = writeln!(md, "{}", row(*p, s));
        }
        let _ = writeln!(md);
        for (p, s) in &results {
            for (seed, f) in s.failures.iter().take(20) {
                let _ = writeln!(md, "- {} `{seed:#x}`: {}", p.name(), describe(f));
            }
        }
        if let Some(path) = out {
            if let Some(dir) = std::path::Path::new(&path).parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, &md).map_err(|e| format!("{path}: {e}"))?;
            println!("wrote {path}");
        }
        print!("{md}");
        if failures > 0 {
            return Err(format!("{failures} failures"));
        }
        Ok(())
    }

    fn header() -> String {
        "| parser | inputs | input bytes | time | inputs/s | peak memory (its input) | max peak / input (≥ 4 KiB) | max peak (input < 4 KiB) | largest allocation | slowest input | failures |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            .to_string()
    }

    fn row(p: Parser, s: &Summary) -> String {
        format!(
            "| {} | {} | {:.1} MB | {:.1} s | {:.0} | {} B ({} B) | {:.2} | {} B | {} B | {:.1} ms (`{:#x}`) | {} |",
            p.name(),
            s.inputs,
            s.bytes as f64 / 1e6,
            s.seconds,
            s.inputs as f64 / s.seconds.max(1e-9),
            s.max_peak.peak,
            s.max_peak.len,
            s.max_ratio,
            s.max_small_peak,
            s.largest,
            s.slowest.1 * 1e3,
            s.slowest.0,
            s.failures.len()
        )
    }

    /// One case again, with the panic hook's message and backtrace.
    fn replay(parser: Parser, seed: u64) -> Result<(), String> {
        let (bytes, _) = fuzz::input(parser, seed);
        println!("{} seed {seed:#x}: {} bytes", parser.name(), bytes.len());
        if let Ok(path) = std::env::var("FUZZ_DUMP") {
            std::fs::write(&path, &bytes).map_err(|e| e.to_string())?;
            println!("input written to {path}");
        }
        let (m, result) = fuzz::run_case(parser, seed);
        println!(
            "peak {} B, largest allocation {} B, bound {} B",
            m.peak,
            m.largest,
            fuzz::memory_bound(m.len)
        );
        match result {
            Ok(()) => {
                println!("ok");
                Ok(())
            }
            Err(f) => Err(describe(&f)),
        }
    }
}
