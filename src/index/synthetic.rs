//! Clustered synthetic unit vectors for benchmarks and tests of the index. Uniform random
//! vectors are useless for judging recall (every HNSW does badly on them); real embeddings
//! are clustered at two levels (topics, and services within a topic, whose processes are
//! variants of each other), which this imitates.

/// Spread of service centres around their topic centre, and of points around their
/// service centre (the centres have length 1).
const SERVICE_SPREAD: f32 = 0.8;
const POINT_SPREAD: f32 = 0.5;
/// Services per topic.
const SERVICES_PER_TOPIC: usize = 10;

/// `n` unit vectors of `dim` dimensions around `clusters` service centres (grouped into
/// topics), deterministic in `seed`.
pub fn clustered_vectors(n: usize, dim: usize, clusters: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = XorShift(seed.max(1));
    let mut noise =
        |spread: f32| -> Vec<f32> { (0..dim).map(|_| spread * rng.normal() / (dim as f32).sqrt()).collect() };
    let topics: Vec<Vec<f32>> =
        (0..clusters.div_ceil(SERVICES_PER_TOPIC).max(1)).map(|_| unit(noise((dim as f32).sqrt()))).collect();
    let services: Vec<Vec<f32>> =
        (0..clusters.max(1)).map(|c| unit(add(&topics[c / SERVICES_PER_TOPIC], &noise(SERVICE_SPREAD)))).collect();
    (0..n).map(|i| unit(add(&services[i % services.len()], &noise(POINT_SPREAD)))).collect()
}

fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Approximately standard normal (sum of uniforms).
    fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.next()).sum::<f32>() * 3f32.sqrt() - 2.0 * 3f32.sqrt()
    }
}
