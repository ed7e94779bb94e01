// Bounded zlib (RFC 1950) inflation with pako, the maintained port of zlib itself.
//
// Why not DecompressionStream: the frame rules (protocol section 3) need the output bound
// checked while inflating and a stream with trailing bytes refused; Node's
// DecompressionStream ignores trailing bytes while Chromium's refuses them. pako behaves
// the same everywhere, checks the Adler-32 trailer, and lets us stop at the bound.

import { Inflate } from 'pako';

import { MalformedMessage, TooLarge } from './errors.js';

/**
 * Inflate a complete zlib stream into at most `limit` bytes.
 * MalformedMessage for a bad, truncated or trailing-bytes stream; TooLarge past the limit.
 */
export function inflateZlib(input, limit) {
  // windowBits 15: a zlib header is required (no gzip autodetection, no raw deflate).
  const inflater = new Inflate({ windowBits: 15 });
  const chunks = [];
  let size = 0;
  inflater.onData = (chunk) => {
    size += chunk.length;
    if (size > limit) throw new TooLarge(`frame payload exceeds ${limit} bytes`);
    chunks.push(chunk);
  };
  inflater.push(input, true);
  if (inflater.err) {
    throw new MalformedMessage(`frame payload is not a deflate stream (${inflater.msg || inflater.err})`);
  }
  // pako stops at the stream's end: input left over is trailing bytes; no end is a cut.
  if (!inflater.ended || inflater.strm.avail_in > 0) {
    throw new MalformedMessage('frame payload is truncated or has trailing bytes');
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
