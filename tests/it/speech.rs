//! Speech to text with the real Whisper base (fetched and converted on first use): German
//! dictations spoken by espeak-ng (tests/fixtures/speech, each with its reference text) come
//! back within a word error bound; what is not audio, or only silence, gets a clear error; the
//! converted model is verified and rebuilt when damaged.

use std::path::{Path, PathBuf};
use std::process::Command;

use ablauf::eval::transcribe::word_error_rate;

use crate::common::BIN;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/speech").join(name)
}

fn transcribe(file: &Path) -> (Option<i32>, serde_json::Value, String) {
    let out = Command::new(BIN).args(["transcribe", "--file"]).arg(file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_cli_transcribes_german_dictations_within_a_word_error_bound() {
    let mut rates = Vec::new();
    // espeak's robotic voice is hard for the base model (the reference engine, faster-whisper,
    // gets about half of such words wrong at normal speed): these are slow and short.
    // The second is sent at 8 kHz (telephone quality, resampled up), which costs words too.
    for (name, bound) in [("antrag-pruefen", 0.4), ("bescheid-8khz", 0.7)] {
        let reference = std::fs::read_to_string(fixture(&format!("{name}.txt"))).unwrap();
        let (code, json, stderr) = transcribe(&fixture(&format!("{name}.wav")));
        assert_eq!(code, Some(0), "{name}: {stderr}");
        let text = json["text"].as_str().unwrap();
        let rate = word_error_rate(&reference, text);
        eprintln!("{name}: WER {rate:.2}: {text}");
        assert!(rate <= bound, "{name}: WER {rate:.2}\n  reference:  {reference}  transcript: {text}");
        assert!(json["audio_seconds"].as_f64().unwrap() > 3.0);
        rates.push(rate);
    }
    let mean = rates.iter().sum::<f32>() / rates.len() as f32;
    assert!(mean <= 0.5, "mean WER {mean:.2}");
}

#[test]
fn what_is_not_speech_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let ogg = dir.path().join("diktat.ogg");
    std::fs::write(&ogg, b"OggS\0\x02\0\0\0\0\0\0\0\0").unwrap();
    for (file, expected) in
        [(ogg, "not a WAV file"), (fixture("stille.wav"), "no speech"), (dir.path().join("fehlt.wav"), "cannot read")]
    {
        let (code, _, stderr) = transcribe(&file);
        assert_eq!(code, Some(2), "{}: {stderr}", file.display());
        assert!(stderr.contains(expected), "{}: {stderr}", file.display());
    }
}

#[test]
fn the_converted_model_is_verified_and_rebuilt_when_damaged() {
    // The fetched CTranslate2 files, linked into a models folder of the test's own.
    let shared = ablauf::models::default_dir();
    ablauf::speech::model::ensure(&shared, "whisper-base").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = ablauf::models::spec("whisper-base").unwrap();
    let mut files = vec![spec.file.clone()];
    files.extend(spec.pypi.companions.iter().map(|c| c.file.clone()));
    for file in files {
        for name in [file.clone(), format!("{file}.sha256")] {
            std::fs::hard_link(shared.join(&name), dir.path().join(&name))
                .or_else(|_| std::fs::copy(shared.join(&name), dir.path().join(&name)).map(|_| ()))
                .unwrap();
        }
    }
    let converted = ablauf::speech::model::ensure(dir.path(), "whisper-base").unwrap();
    let weights = converted.join("model.safetensors");
    let first = std::fs::read(&weights).unwrap();
    for name in ["config.json", "tokenizer.json", "model.safetensors.sha256"] {
        assert!(converted.join(name).is_file(), "{name}");
    }
    assert!(!dir.path().join("whisper-base.partial").exists(), "nothing half-written is left");

    // Damaged weights (their record no longer matches) are converted again.
    std::fs::write(&weights, b"kaputt").unwrap();
    std::fs::write(converted.join("model.safetensors.sha256"), "0000\n").unwrap();
    let again = ablauf::speech::model::ensure(dir.path(), "whisper-base").unwrap();
    assert_eq!(std::fs::read(again.join("model.safetensors")).unwrap(), first);
}

/// `POST` of a body with a content type as the admin (a clerk's right).
fn post_audio(
    server: &crate::common::Server,
    path: &str,
    media: &str,
    body: Vec<u8>,
) -> ureq::http::Response<ureq::Body> {
    crate::common::agent()
        .post(&server.url(path))
        .header("authorization", crate::common::ADMIN)
        .header("content-type", media)
        .send(body)
        .unwrap()
}

/// A WAV of `seconds` of quiet noise at 16 kHz.
fn noise_wav(seconds: usize) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    for i in 0..seconds * 16_000 {
        writer.write_sample(((i * 7919) % 61) as i16 - 30).unwrap();
    }
    writer.finalize().unwrap();
    out.into_inner()
}

#[test]
fn the_server_transcribes_recordings_and_streams_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::common::Server::start(dir.path());
    let wav = std::fs::read(fixture("antrag-pruefen.wav")).unwrap();
    let reference = std::fs::read_to_string(fixture("antrag-pruefen.txt")).unwrap();

    let (status, body) = crate::common::json(post_audio(&server, "/api/transcribe", "audio/wav", wav.clone()));
    assert_eq!(status, 200, "{body}");
    let text = body["text"].as_str().unwrap();
    assert!(word_error_rate(&reference, text) <= 0.4, "{text}");
    assert!(body["audio_seconds"].as_f64().unwrap() > 3.0 && body["compute_seconds"].as_f64().unwrap() > 0.0);

    // The stream sends the window's text, then the whole answer.
    let mut response = post_audio(&server, "/api/transcribe/stream", "audio/wav; codecs=1", wav);
    assert_eq!(response.status(), 200);
    let events = response.body_mut().read_to_string().unwrap();
    let partial = events.find("event: partial").expect(&events);
    let done = events.find("event: done").expect(&events);
    assert!(partial < done, "{events}");
    assert!(events.contains(&format!("\"text\":{}", serde_json::json!(text))), "the same transcript: {events}");

    // Wrong format, silence, too long, too big: each with its status and a German message.
    let cases: [(&str, Vec<u8>, u16, &str); 4] = [
        ("audio/ogg", b"OggS\0\x02".to_vec(), 415, "WAV"),
        ("audio/wav", b"RIFF\x10\0\0\0WAVEfmt ".to_vec(), 415, "nicht lesen"),
        ("audio/wav", std::fs::read(fixture("stille.wav")).unwrap(), 422, "keine Sprache"),
        ("audio/wav", noise_wav(301), 413, "zu lang"),
    ];
    for (media, body, expected, message) in cases {
        let (status, answer) = crate::common::json(post_audio(&server, "/api/transcribe", media, body));
        assert_eq!(status, expected, "{media}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(message), "{media}: {answer}");
    }
    // Too big by one byte: the server reads up to its limit, then answers. A much larger body
    // raced the server's close into a broken pipe (five tries in a row failed under load), as
    // in the JSON and BPMN limit tests.
    let (status, answer) = crate::common::json(post_audio(
        &server,
        "/api/transcribe",
        "audio/wav",
        vec![0u8; ablauf::http::MAX_AUDIO_BYTES + 1],
    ));
    assert_eq!((status, answer["error_type"].as_str()), (413, Some("payload_too_large")), "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("zu groß"), "{answer}");

    // A reader may not transcribe (it belongs to drafting).
    let reader = crate::common::add_user(&server, "leser", "reader");
    let refused = crate::common::agent()
        .post(&server.url("/api/transcribe"))
        .header("authorization", &reader)
        .header("content-type", "audio/wav")
        .send(noise_wav(1))
        .unwrap();
    assert_eq!(refused.status(), 403);
}

/// `ablauf eval transcribe` scores the fixtures with the real model, and scores another
/// engine's transcripts the same way.
#[test]
fn the_eval_reports_word_errors_per_group_and_scores_given_transcripts() {
    let run = |extra: &[&str]| -> serde_json::Value {
        let out =
            Command::new(BIN).args(["eval", "transcribe", "--dir"]).arg(fixture("")).args(extra).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["transcribe"].clone()
    };
    let ours = run(&[]);
    assert_eq!(ours["recordings"], 2, "every NAME.txt with its NAME.wav: {ours}");
    let rate = ours["word_error_rate"].as_f64().unwrap();
    assert!(rate > 0.0 && rate <= 0.5, "{ours}");
    assert!(ours["compute_per_audio_second"].as_f64().unwrap() > 0.0);

    // The reference text itself as another engine's transcript scores 0; a missing one scores 1.
    let dir = tempfile::tempdir().unwrap();
    let hypotheses = dir.path().join("peer.jsonl");
    let reference = std::fs::read_to_string(fixture("antrag-pruefen.txt")).unwrap();
    let line = serde_json::json!({"file": "antrag-pruefen.wav", "text": reference, "audio_seconds": 7.2, "compute_seconds": 1.0});
    std::fs::write(&hypotheses, format!("{line}\n")).unwrap();
    let given = run(&["--hypotheses", hypotheses.to_str().unwrap()]);
    let results = given["results"].as_array().unwrap();
    let rate_of = |name: &str| results.iter().find(|r| r["name"] == name).unwrap()["word_error_rate"].as_f64().unwrap();
    assert_eq!((rate_of("antrag-pruefen"), rate_of("bescheid-8khz")), (0.0, 1.0), "{given}");
}
