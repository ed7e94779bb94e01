// QR codes: the receipt's, drawn for the citizen to photograph (the `qrcode` package), and the
// hub's enrolment code, read from the camera (`jsqr` on video frames).

import QRCode from 'qrcode';
import jsQR from 'jsqr';

/** An <img> source (SVG data URL) of a standard QR code holding `text`. */
export async function qrImage(text) {
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

/**
 * Read QR codes from the rear camera into `video` until `onText` returns true or `stop()` is
 * called. Resolves with the stop function; rejects when the camera cannot be opened.
 */
export async function scanCamera(video, onText) {
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
  const frame = () => {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth) {
      // A small frame is enough to read a code held up to the camera, and fast on a cheap phone.
      const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      if (found && found.data && onText(found.data)) {
        stop();
        return;
      }
    }
    setTimeout(frame, 150);
  };
  frame();
  return stop;
}
