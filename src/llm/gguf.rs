//! Reading a GGUF file: header, metadata and the architecture it declares.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use candle_core::quantized::gguf_file;
use serde::{Deserialize, Serialize};

use super::LlmError;

/// The model families the engine runs, named as in GGUF's `general.architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    Llama,
    Qwen2,
    Qwen3,
    Gemma3,
}

impl Architecture {
    pub const SUPPORTED: &'static str = "llama, qwen2, qwen3, gemma3";

    pub fn from_gguf_name(name: &str) -> Option<Self> {
        match name {
            "llama" => Some(Architecture::Llama),
            "qwen2" => Some(Architecture::Qwen2),
            "qwen3" => Some(Architecture::Qwen3),
            "gemma3" => Some(Architecture::Gemma3),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
            Architecture::Gemma3 => "gemma3",
        }
    }
}

/// An open GGUF file: its parsed header and a reader positioned anywhere (tensors are read by offset).
pub struct GgufFile {
    pub content: gguf_file::Content,
    pub reader: BufReader<File>,
    pub architecture: Architecture,
}

pub fn open(path: &Path) -> Result<GgufFile, LlmError> {
    let file = File::open(path).map_err(|source| LlmError::Io { path: path.to_owned(), source })?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let content =
        read_content(&mut reader).map_err(|e| LlmError::NotGguf { path: path.to_owned(), detail: e.to_string() })?;
    let name = get_str(&content, "general.architecture")?;
    let architecture =
        Architecture::from_gguf_name(name).ok_or_else(|| LlmError::UnsupportedArchitecture(name.into()))?;
    Ok(GgufFile { content, reader, architecture })
}

fn read_content<R: Read + Seek>(reader: &mut R) -> candle_core::Result<gguf_file::Content> {
    let mut magic = [0u8; 4];
    reader.read_exact(&mut magic)?;
    if &magic != b"GGUF" {
        candle_core::bail!("the file does not start with the GGUF magic bytes");
    }
    reader.rewind()?;
    gguf_file::Content::read(reader)
}

fn metadata<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value, LlmError> {
    ct.metadata.get(key).ok_or_else(|| LlmError::Metadata { key: key.into(), detail: "missing".into() })
}

fn bad_value(key: &str) -> impl FnOnce(candle_core::Error) -> LlmError + '_ {
    move |e| LlmError::Metadata { key: key.into(), detail: e.to_string() }
}

pub fn get_u32(ct: &gguf_file::Content, key: &str) -> Result<u32, LlmError> {
    metadata(ct, key)?.to_u32().map_err(bad_value(key))
}

pub fn get_f32(ct: &gguf_file::Content, key: &str) -> Result<f32, LlmError> {
    metadata(ct, key)?.to_f32().map_err(bad_value(key))
}

pub fn get_str<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a str, LlmError> {
    metadata(ct, key)?.to_string().map(String::as_str).map_err(bad_value(key))
}

pub fn missing_tensor(name: &str) -> LlmError {
    LlmError::Metadata { key: name.into(), detail: "tensor missing".into() }
}
