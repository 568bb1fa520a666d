//! faster-whisper's CTranslate2 model file, read and converted once into what candle's whisper
//! model loads: safetensors with candle's names, a `config.json` with its fields, and the
//! tokenizer. The registry packages ship Whisper only in this format.
//!
//! The file (binary version 6): `u32` version, string spec name, `u32` revision, `u32` count of
//! variables, each a string name, `u8` rank, `u32` per dimension, `u8` dtype, `u32` byte count
//! and the bytes; then `u32` count of aliases, each two strings. Strings are a `u16` length
//! (with the trailing NUL) and UTF-8. Nothing is aligned, so tensor data is copied.

use std::collections::HashMap;
use std::ops::Range;

use candle_core::{DType, Device, Tensor};

use super::SpeechError;

/// A variable of the file: its name, shape, dtype code and where its bytes are.
#[derive(Debug, Clone)]
struct Variable {
    dims: Vec<usize>,
    dtype: u8,
    data: Range<usize>,
}

const F32: u8 = 0;
const I8: u8 = 1;
const I16: u8 = 2;
const F16: u8 = 4;

/// A cursor that reports a truncated file instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SpeechError> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len()).ok_or_else(|| {
            SpeechError::Model(format!("the CTranslate2 file ends early (at byte {} of {})", self.at, self.bytes.len()))
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, SpeechError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, SpeechError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("two bytes")))
    }

    fn u32(&mut self) -> Result<u32, SpeechError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("four bytes")))
    }

    fn string(&mut self) -> Result<String, SpeechError> {
        let n = self.u16()? as usize;
        let raw = self.take(n)?;
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(raw.to_vec())
            .map_err(|_| SpeechError::Model("a name in the CTranslate2 file is not UTF-8".into()))
    }
}

/// The variables of a CTranslate2 Whisper file by name (aliases resolved).
fn read(bytes: &[u8]) -> Result<HashMap<String, Variable>, SpeechError> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.u32()?;
    if version != 6 {
        return Err(SpeechError::Model(format!("CTranslate2 binary version {version}; version 6 is supported")));
    }
    let spec = r.string()?;
    if spec != "WhisperSpec" {
        return Err(SpeechError::Model(format!("the CTranslate2 file holds a {spec}, not a Whisper model")));
    }
    let _revision = r.u32()?;
    let count = r.u32()?;
    let mut variables = HashMap::new();
    for _ in 0..count {
        let name = r.string()?;
        let rank = r.u8()?;
        let dims = (0..rank).map(|_| r.u32().map(|d| d as usize)).collect::<Result<Vec<_>, _>>()?;
        let dtype = r.u8()?;
        let n = r.u32()? as usize;
        let start = r.at;
        r.take(n)?;
        let item = match dtype {
            F32 => 4,
            I8 => 1,
            I16 | F16 => 2,
            other => return Err(SpeechError::Model(format!("{name}: dtype code {other} is not supported"))),
        };
        if dims.iter().product::<usize>() * item != n {
            return Err(SpeechError::Model(format!("{name}: {n} bytes do not fit the shape {dims:?}")));
        }
        variables.insert(name, Variable { dims, dtype, data: start..start + n });
    }
    let aliases = r.u32()?;
    for _ in 0..aliases {
        let (alias, target) = (r.string()?, r.string()?);
        if let Some(v) = variables.get(&target).cloned() {
            variables.insert(alias, v);
        }
    }
    if r.at != bytes.len() {
        return Err(SpeechError::Model(format!("{} bytes follow the CTranslate2 model", bytes.len() - r.at)));
    }
    Ok(variables)
}

/// The converted model: candle's tensors by name, and the dimensions for its `config.json`.
pub struct Converted {
    pub tensors: HashMap<String, Tensor>,
    pub config: serde_json::Value,
}

/// Renames (and splits the fused attention projections of) a CTranslate2 Whisper model into
/// candle's names; `suppress_tokens` come from the package's `config.json`.
pub fn convert(bytes: &[u8], suppress_tokens: &[u32]) -> Result<Converted, SpeechError> {
    let vars = read(bytes)?;
    let get = |name: &str| vars.get(name).ok_or_else(|| SpeechError::Model(format!("the model has no {name}")));
    let tensor = |name: &str| -> Result<Tensor, SpeechError> {
        let v = get(name)?;
        if v.dtype != F16 && v.dtype != F32 {
            return Err(SpeechError::Model(format!("{name} is not a float tensor")));
        }
        let dtype = if v.dtype == F16 { DType::F16 } else { DType::F32 };
        Ok(Tensor::from_raw_buffer(&bytes[v.data.clone()], dtype, &v.dims, &Device::Cpu)?)
    };
    let scalar = |name: &str| -> Result<usize, SpeechError> {
        let v = get(name)?;
        let raw = &bytes[v.data.clone()];
        match (v.dtype, raw) {
            (I8, [b]) => Ok(*b as usize),
            (I16, [a, b]) => Ok(i16::from_le_bytes([*a, *b]).max(0) as usize),
            _ => Err(SpeechError::Model(format!("{name} is not a small integer"))),
        }
    };
    let layers =
        |side: &str| (0..).take_while(|i| vars.contains_key(&format!("{side}/layer_{i}/ffn/linear_0/weight"))).count();

    let mut out: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: String, t: Tensor| {
        out.insert(name, t);
    };
    // weight + bias of a linear layer, layer norms' gamma/beta as weight/bias.
    let linear = |put: &mut dyn FnMut(String, Tensor), from: &str, to: &str| -> Result<(), SpeechError> {
        put(format!("{to}.weight"), tensor(&format!("{from}/weight"))?);
        put(format!("{to}.bias"), tensor(&format!("{from}/bias"))?);
        Ok(())
    };
    let norm = |put: &mut dyn FnMut(String, Tensor), from: &str, to: &str| -> Result<(), SpeechError> {
        put(format!("{to}.weight"), tensor(&format!("{from}/gamma"))?);
        put(format!("{to}.bias"), tensor(&format!("{from}/beta"))?);
        Ok(())
    };
    // A fused projection splits by rows into `parts`; Whisper's key projections have no bias
    // (CTranslate2 stores zeros there).
    let split = |put: &mut dyn FnMut(String, Tensor), from: &str, parts: &[&str]| -> Result<(), SpeechError> {
        let (weight, bias) = (tensor(&format!("{from}/weight"))?, tensor(&format!("{from}/bias"))?);
        let rows = weight.dim(0)? / parts.len();
        for (i, to) in parts.iter().enumerate() {
            put(format!("{to}.weight"), weight.narrow(0, i * rows, rows)?.contiguous()?);
            if !to.ends_with("k_proj") {
                put(format!("{to}.bias"), bias.narrow(0, i * rows, rows)?.contiguous()?);
            }
        }
        Ok(())
    };
    let (encoder_layers, decoder_layers) = (layers("encoder"), layers("decoder"));
    for conv in ["conv1", "conv2"] {
        linear(&mut put, &format!("encoder/{conv}"), &format!("model.encoder.{conv}"))?;
    }
    norm(&mut put, "encoder/layer_norm", "model.encoder.layer_norm")?;
    norm(&mut put, "decoder/layer_norm", "model.decoder.layer_norm")?;
    put("model.decoder.embed_tokens.weight".into(), tensor("decoder/embeddings/weight")?);
    put("model.decoder.embed_positions.weight".into(), tensor("decoder/position_encodings/encodings")?);
    for (side, count) in [("encoder", encoder_layers), ("decoder", decoder_layers)] {
        for i in 0..count {
            let (from, to) = (format!("{side}/layer_{i}"), format!("model.{side}.layers.{i}"));
            let attn = |p: &str| format!("{to}.self_attn.{p}");
            split(
                &mut put,
                &format!("{from}/self_attention/linear_0"),
                &[&attn("q_proj"), &attn("k_proj"), &attn("v_proj")],
            )?;
            linear(&mut put, &format!("{from}/self_attention/linear_1"), &attn("out_proj"))?;
            norm(&mut put, &format!("{from}/self_attention/layer_norm"), &format!("{to}.self_attn_layer_norm"))?;
            linear(&mut put, &format!("{from}/ffn/linear_0"), &format!("{to}.fc1"))?;
            linear(&mut put, &format!("{from}/ffn/linear_1"), &format!("{to}.fc2"))?;
            norm(&mut put, &format!("{from}/ffn/layer_norm"), &format!("{to}.final_layer_norm"))?;
            if side == "decoder" {
                let cross = |p: &str| format!("{to}.encoder_attn.{p}");
                linear(&mut put, &format!("{from}/attention/linear_0"), &cross("q_proj"))?;
                split(&mut put, &format!("{from}/attention/linear_1"), &[&cross("k_proj"), &cross("v_proj")])?;
                linear(&mut put, &format!("{from}/attention/linear_2"), &cross("out_proj"))?;
                norm(&mut put, &format!("{from}/attention/layer_norm"), &format!("{to}.encoder_attn_layer_norm"))?;
            }
        }
    }

    let embeddings = &get("decoder/embeddings/weight")?.dims;
    let config = serde_json::json!({
        "num_mel_bins": get("encoder/conv1/weight")?.dims[1],
        "max_source_positions": get("encoder/position_encodings/encodings")?.dims[0],
        "d_model": embeddings[1],
        "encoder_attention_heads": scalar("encoder/num_heads")?,
        "encoder_layers": encoder_layers,
        "vocab_size": embeddings[0],
        "max_target_positions": get("decoder/position_encodings/encodings")?.dims[0],
        "decoder_attention_heads": scalar("decoder/num_heads")?,
        "decoder_layers": decoder_layers,
        "suppress_tokens": suppress_tokens,
    });
    Ok(Converted { tensors: out, config })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u16 + 1).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    /// A file of one f32 variable, written as CTranslate2 writes it.
    fn tiny(version: u32, spec: &str) -> Vec<u8> {
        let mut out = version.to_le_bytes().to_vec();
        string(&mut out, spec);
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        string(&mut out, "encoder/conv1/bias");
        out.push(1);
        out.extend_from_slice(&2u32.to_le_bytes());
        out.push(F32);
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&1.5f32.to_le_bytes());
        out.extend_from_slice(&(-2.0f32).to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        string(&mut out, "alias/bias");
        string(&mut out, "encoder/conv1/bias");
        out
    }

    #[test]
    fn the_layout_is_read_to_the_last_byte() {
        let bytes = tiny(6, "WhisperSpec");
        let vars = read(&bytes).unwrap();
        let v = &vars["alias/bias"];
        assert_eq!((v.dims.clone(), v.dtype), (vec![2], F32));
        assert_eq!(&bytes[v.data.clone()][..4], 1.5f32.to_le_bytes());
    }

    #[test]
    fn other_files_and_damage_are_named() {
        let message = |bytes: &[u8]| read(bytes).unwrap_err().to_string();
        assert!(message(&tiny(5, "WhisperSpec")).contains("version 5"));
        assert!(message(&tiny(6, "TransformerSpec")).contains("TransformerSpec"));
        let whole = tiny(6, "WhisperSpec");
        for cut in [3, 20, whole.len() - 1] {
            assert!(message(&whole[..cut]).contains("ends early"), "cut at {cut}");
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert!(message(&longer).contains("follow"));
    }
}
