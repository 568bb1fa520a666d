// Runs in the audio thread: hands each block of microphone samples (mono, at the context's
// rate) to the page, which keeps them until the recording stops. Nothing leaves the browser
// but the finished recording, sent to this server.
class PcmTap extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice());
    return true;
  }
}
registerProcessor('pcm-tap', PcmTap);
