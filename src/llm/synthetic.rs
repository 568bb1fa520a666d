//! Models with random weights of a real model's architecture, tensor shapes and quantization
//! types. Speed does not depend on the weight values, so these give honest speed figures on
//! machines the real weights cannot reach (a GPU host); the shape description is a small JSON
//! file taken from the real GGUF header.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{Device, Result, Tensor};
use serde::{Deserialize, Serialize};

use super::LlmError;
use super::gguf;
use super::transformer::{Hyperparams, TensorSource, Transformer};

/// Architecture, hyperparameters and every tensor's shape and type of a model; no weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyntheticSpec {
    /// The file the description was taken from.
    pub source: String,
    pub params: Hyperparams,
    pub tensors: Vec<TensorSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    /// candle order: rows first.
    pub shape: Vec<usize>,
    /// GGML type name, e.g. `q4k`.
    pub dtype: String,
}

impl SyntheticSpec {
    /// Reads the description from a GGUF file's header (the weights are not read).
    pub fn from_gguf(path: &Path) -> std::result::Result<Self, LlmError> {
        let file = gguf::open(path)?;
        let params = Hyperparams::from_metadata(file.architecture, &file.content)?;
        let mut tensors: Vec<TensorSpec> = file
            .content
            .tensor_infos
            .iter()
            .map(|(name, info)| TensorSpec {
                name: name.clone(),
                shape: info.shape.dims().to_vec(),
                dtype: dtype_name(info.ggml_dtype).to_owned(),
            })
            .collect();
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        let source = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(SyntheticSpec { source, params, tensors })
    }

    /// Builds the model with random weights on `device`.
    pub fn build(&self, device: &Device) -> std::result::Result<Transformer, LlmError> {
        let mut source = RandomTensors {
            specs: self.tensors.iter().map(|t| (t.name.clone(), t)).collect(),
            patterns: HashMap::new(),
        };
        Ok(Transformer::load(self.params.clone(), &mut source, device)?)
    }
}

const DTYPES: &[(GgmlDType, &str)] = &[
    (GgmlDType::F32, "f32"),
    (GgmlDType::F16, "f16"),
    (GgmlDType::BF16, "bf16"),
    (GgmlDType::Q4_0, "q4_0"),
    (GgmlDType::Q4_1, "q4_1"),
    (GgmlDType::Q5_0, "q5_0"),
    (GgmlDType::Q5_1, "q5_1"),
    (GgmlDType::Q8_0, "q8_0"),
    (GgmlDType::Q8_1, "q8_1"),
    (GgmlDType::Q2K, "q2k"),
    (GgmlDType::Q3K, "q3k"),
    (GgmlDType::Q4K, "q4k"),
    (GgmlDType::Q5K, "q5k"),
    (GgmlDType::Q6K, "q6k"),
    (GgmlDType::Q8K, "q8k"),
];

fn dtype_name(dtype: GgmlDType) -> &'static str {
    DTYPES.iter().find(|(d, _)| *d == dtype).map_or("unknown", |(_, n)| n)
}

fn dtype_of(name: &str) -> Result<GgmlDType> {
    DTYPES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(d, _)| *d)
        .ok_or_else(|| candle_core::Error::Msg(format!("unknown GGML type {name}")))
}

/// Elements quantized once per type; larger tensors repeat these blocks.
const PATTERN_ELEMENTS: usize = 1 << 16;

struct RandomTensors<'a> {
    specs: HashMap<String, &'a TensorSpec>,
    /// Quantized random blocks per type, reused so building a 1.5B model takes seconds, not minutes.
    patterns: HashMap<(GgmlDType, bool), Vec<u8>>,
}

impl TensorSource for RandomTensors<'_> {
    fn has(&self, name: &str) -> bool {
        self.specs.contains_key(name)
    }

    fn tensor(&mut self, name: &str, device: &Device) -> Result<QTensor> {
        let spec = self.specs.get(name).ok_or_else(|| candle_core::Error::Msg(format!("tensor {name} missing")))?;
        let dtype = dtype_of(&spec.dtype)?;
        // Norm weights near 1 keep activations in range through many random layers.
        let is_norm = name.ends_with("norm.weight");
        let elements: usize = spec.shape.iter().product();
        let pattern = match self.patterns.get(&(dtype, is_norm)) {
            Some(p) => p,
            None => {
                let random = Tensor::randn(0f32, 0.02, PATTERN_ELEMENTS, &Device::Cpu)?;
                let random = if is_norm { (random + 1.0)? } else { random };
                let bytes = QTensor::quantize(&random, dtype)?.data()?.into_owned();
                self.patterns.entry((dtype, is_norm)).or_insert(bytes)
            }
        };
        let bytes_needed = elements / dtype.block_size() * dtype.type_size();
        let data: Vec<u8> = pattern.iter().copied().cycle().take(bytes_needed).collect();
        QTensor::new(QStorage::from_data(Cow::Owned(data), device, dtype)?, spec.shape.as_slice())
    }
}
