//! BPMN export and import throughput for a 20-step and a 200-step process.
//! `cargo bench --bench bpmn`; criterion reports processes per second as elem/s.

use std::hint::black_box;

use ablauf::bpmn::{export_bpmn, import_bpmn};
use ablauf::process::{Flow, Process, Role, Step, StepType};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A process of `n` steps in four roles: a main line with a decision every fifth step whose
/// "nein" branch loops back for rework, and documents on every third task.
fn process(n: usize) -> Process {
    let roles: Vec<Role> =
        (0..4).map(|r| Role { id: format!("r{r}"), name: format!("Rolle {r}"), unit: None }).collect();
    let id = |i: usize| format!("s{i}");
    let mut steps = Vec::with_capacity(n);
    for i in 0..n {
        let (kind, next) = match i {
            0 => (StepType::Start, vec![Flow { to: id(1), condition: None }]),
            i if i == n - 1 => (StepType::End, vec![]),
            i if i % 5 == 4 => (
                StepType::Decision,
                vec![
                    Flow { to: id(i + 1), condition: Some("ja".into()) },
                    Flow { to: id(i - 2), condition: Some("nein, nacharbeiten".into()) },
                ],
            ),
            i => (StepType::Task, vec![Flow { to: id(i + 1), condition: None }]),
        };
        let docs = if kind == StepType::Task && i % 3 == 0 { vec![format!("Dokument {i}")] } else { vec![] };
        steps.push(Step {
            id: id(i),
            kind,
            name: format!("Schritt {i} bearbeiten"),
            role: Some(format!("r{}", (i / 3) % 4)),
            next,
            outputs: docs,
            ..Step::default()
        });
    }
    Process { title: format!("Prozess mit {n} Schritten"), roles, steps, ..Process::default() }
}

fn bench(c: &mut Criterion) {
    for n in [20, 200] {
        let p = process(n);
        let xml = export_bpmn(&p).expect("the bench process is exportable");
        let mut group = c.benchmark_group(format!("bpmn_{n}_steps"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("export", |b| b.iter(|| export_bpmn(black_box(&p))));
        group.bench_function("import", |b| b.iter(|| import_bpmn(black_box(xml.as_bytes()))));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
