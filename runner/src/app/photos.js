// Photos of materials, from the phone's camera (<input type=file capture=environment>).
//
// A phone camera takes 3-8 MB pictures; on a village's weak link every byte counts, so a
// picture larger than a document needs is redrawn as a JPEG of at most MAX_SIDE pixels on
// its long side (still sharp enough to read an ID card or a form). A file the browser cannot
// draw is kept as it came. The bytes are sealed to the hub before they are stored
// (capture.js): the clear picture lives only in memory while the form is open.

export const MAX_SCAN_BYTES = 50 * 1024 * 1024; // the protocol's bound on one scan
const MAX_SIDE = 2000;
const SMALL_ENOUGH = 600 * 1024;
const QUALITY = 0.85;

function mediaType(file) {
  if (file.type === 'image/png') return 'image/png';
  if (file.type === 'application/pdf') return 'application/pdf';
  return 'image/jpeg';
}

async function redraw(file) {
  const bitmap = await createImageBitmap(file);
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
    if (!blob) throw new Error('the picture could not be encoded');
    return blob;
  } finally {
    bitmap.close();
  }
}

/** {bytes, mediaType, preview} of a chosen picture, made smaller when it is large. */
export async function readPhoto(file) {
  let blob = file;
  let type = mediaType(file);
  if (type !== 'application/pdf' && file.size > SMALL_ENOUGH) {
    try {
      blob = await redraw(file);
      type = 'image/jpeg';
    } catch (_) {
      blob = file; // not drawable here: sent as it is, the hub keeps the original
    }
  }
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (!bytes.length) throw new Error('empty file');
  if (bytes.length > MAX_SCAN_BYTES - 64) {
    const error = new Error('too large');
    error.code = 'form.photo.too_large';
    throw error;
  }
  return { bytes, mediaType: type, preview: URL.createObjectURL(blob) };
}
