// QR codes: the receipt's, drawn for the citizen to photograph (the `qrcode` package), and the
// hub's enrolment code, read from the camera (the browser's BarcodeDetector where it has one,
// else `jsqr` on video frames).
//
// Both packages are loaded when first used (import(): chunks of their own, precached by the
// service worker like every file of the app): the QR reader is needed once, to enrol, and is
// the largest part of the app.

/** An <img> source (SVG data URL) of a standard QR code holding `text`. */
export async function qrImage(text) {
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** {hub, code} from an enrolment QR code (`daiban://enroll?hub=...&code=...`), or null. */
export function parseEnrolment(text) {
  const value = String(text || '').trim();
  if (!value.toLowerCase().startsWith('daiban://enroll?')) return null;
  const params = new URLSearchParams(value.slice(value.indexOf('?') + 1));
  const code = params.get('code');
  if (!code) return null;
  return { hub: params.get('hub') || '', code };
}

/** A function reading the QR codes of a frame: `(source, canvas, context) -> Promise<text|null>`. */
async function qrReader() {
  if (typeof BarcodeDetector === 'function') {
    try {
      if ((await BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        const detector = new BarcodeDetector({ formats: ['qr_code'] });
        return async (video) => {
          const [found] = await detector.detect(video);
          return found ? found.rawValue : null;
        };
      }
    } catch (_) {
      // no usable detector: jsQR below
    }
  }
  const { default: jsQR } = await import('jsqr');
  return async (video, canvas, context) => {
    // A small frame is enough to read a code held up to the camera, and fast on a cheap phone.
    const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
    return found && found.data ? found.data : null;
  };
}

/**
 * Read QR codes from the rear camera into `video` until `onText` returns true or `stop()` is
 * called. Resolves with the stop function; rejects when the camera cannot be opened.
 */
export async function scanCamera(video, onText) {
  const read = await qrReader();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw Object.assign(new Error('getUserMedia is not available'), { name: 'NotSupportedError' });
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: 'environment' },
    audio: false,
  });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let running = true;
  const stop = () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const frame = async () => {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth) {
      let text = null;
      try {
        text = await read(video, canvas, context);
      } catch (_) {
        text = null; // a frame that could not be read: the next one may
      }
      if (!running) return;
      if (text && onText(text)) {
        stop();
        return;
      }
    }
    setTimeout(frame, 150);
  };
  frame();
  return stop;
}
