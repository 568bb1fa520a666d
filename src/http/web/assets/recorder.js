// Records the microphone as 16-kHz mono PCM (an AudioWorklet taps the stream) and packs it as
// WAV for POST /api/transcribe. The browser's own speech recognition is never used: it sends
// the audio to the browser vendor's servers.

const RATE = 16000;

/** Why recording cannot start, in German, or null when it can. */
export function unavailable() {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    return 'Aufnahmen gehen nur über HTTPS oder direkt auf diesem Rechner (Adresse 127.0.0.1 oder localhost).';
  }
  if (!window.AudioWorkletNode) return 'Dieser Browser kann keine Aufnahmen verarbeiten – bitte tippen.';
  return null;
}

/** The German explanation of a failed getUserMedia. */
function explainDenied(error) {
  if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') {
    return 'Der Browser hat den Zugriff auf das Mikrofon verweigert. Bitte das Mikrofon für diese Seite erlauben (Schloss-Symbol neben der Adresse) und erneut versuchen.';
  }
  if (error?.name === 'NotFoundError' || error?.name === 'OverconstrainedError') {
    return 'Es ist kein Mikrofon angeschlossen oder freigegeben.';
  }
  if (error?.name === 'NotReadableError') return 'Das Mikrofon wird gerade von einem anderen Programm benutzt.';
  return `Die Aufnahme ließ sich nicht starten (${error?.message || error}).`;
}

/**
 * Starts recording. `onLevel(0..1)` hears the loudness about 20 times a second. Resolves to
 * { stop(): Promise<Blob>, discard(), seconds() }, or rejects with an Error whose message is
 * the German explanation.
 */
export async function startRecording(onLevel) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      // Whisper copes with room noise; the browser's suppression distorts speech more than it helps.
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: true },
    });
  } catch (e) {
    throw new Error(explainDenied(e));
  }
  const context = new AudioContext({ sampleRate: RATE });
  await context.audioWorklet.addModule('/assets/pcm-worklet.js');
  const source = context.createMediaStreamSource(stream);
  const tap = new AudioWorkletNode(context, 'pcm-tap');
  const chunks = [];
  let frames = 0;
  let peak = 0;
  tap.port.onmessage = (e) => {
    chunks.push(e.data);
    frames += e.data.length;
    for (const s of e.data) peak = Math.max(peak, Math.abs(s));
  };
  const meter = setInterval(() => { onLevel?.(Math.min(1, peak * 1.5)); peak = 0; }, 50);
  source.connect(tap);
  const close = async () => {
    clearInterval(meter);
    source.disconnect();
    tap.port.onmessage = null;
    for (const track of stream.getTracks()) track.stop();
    await context.close();
  };
  return {
    seconds: () => frames / context.sampleRate,
    discard: close,
    async stop() {
      await close();
      return wav(chunks, frames, context.sampleRate);
    },
  };
}

/** 16-bit PCM mono WAV of the recorded chunks. */
function wav(chunks, frames, rate) {
  const bytes = new DataView(new ArrayBuffer(44 + frames * 2));
  const text = (at, s) => { for (let i = 0; i < s.length; i++) bytes.setUint8(at + i, s.charCodeAt(i)); };
  text(0, 'RIFF'); bytes.setUint32(4, 36 + frames * 2, true); text(8, 'WAVE');
  text(12, 'fmt '); bytes.setUint32(16, 16, true); bytes.setUint16(20, 1, true); bytes.setUint16(22, 1, true);
  bytes.setUint32(24, rate, true); bytes.setUint32(28, rate * 2, true); bytes.setUint16(32, 2, true); bytes.setUint16(34, 16, true);
  text(36, 'data'); bytes.setUint32(40, frames * 2, true);
  let at = 44;
  for (const chunk of chunks) {
    for (const s of chunk) {
      bytes.setInt16(at, Math.max(-1, Math.min(1, s)) * 0x7fff, true);
      at += 2;
    }
  }
  return new Blob([bytes.buffer], { type: 'audio/wav' });
}
