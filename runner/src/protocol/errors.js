// The protocol's errors, as sync/errors.py: one base, stable codes, a field where one is to
// blame. Subclasses keep the Python hierarchy so `instanceof MalformedMessage` catches
// TooLarge too, as `except MalformedMessage` does.

export class ProtocolError extends Error {
  constructor(message, { field = null } = {}) {
    super(message);
    this.name = new.target.name;
    this.message = message;
    this.field = field;
  }

  get code() {
    return this.constructor.code;
  }

  get status() {
    return this.constructor.status;
  }

  /** The JSON error shape the hub answers with. */
  toDict() {
    const body = { ok: false, code: this.code, error: this.message };
    if (this.field !== null) body.field = this.field;
    body.status = this.status;
    return body;
  }
}
ProtocolError.code = 'protocol';
ProtocolError.status = 400;

export class InvalidValue extends ProtocolError {
  constructor(message, { field = null, reason = 'invalid' } = {}) {
    super(message, { field });
    this.reason = reason;
  }

  toDict() {
    return { ...super.toDict(), reason: this.reason };
  }
}
InvalidValue.code = 'invalid';

export class MalformedMessage extends ProtocolError {}
MalformedMessage.code = 'malformed';

export class UnsupportedVersion extends MalformedMessage {}
UnsupportedVersion.code = 'unsupported_version';

export class DigestMismatch extends MalformedMessage {}
DigestMismatch.code = 'digest_mismatch';

export class TooLarge extends MalformedMessage {}
TooLarge.code = 'too_large';
TooLarge.status = 413;

export class BadSignature extends ProtocolError {}
BadSignature.code = 'bad_signature';
BadSignature.status = 401;

export class StaleSignature extends BadSignature {}
StaleSignature.code = 'stale_signature';

export class ReplayedSignature extends BadSignature {}
ReplayedSignature.code = 'replayed_signature';

export class DeviceRevoked extends BadSignature {}
DeviceRevoked.code = 'device_revoked';
DeviceRevoked.status = 403;

export class SealError extends ProtocolError {}
SealError.code = 'unseal_failed';

export const ERROR_CODES = Object.freeze(
  Object.fromEntries(
    [
      ProtocolError,
      InvalidValue,
      MalformedMessage,
      UnsupportedVersion,
      DigestMismatch,
      TooLarge,
      BadSignature,
      StaleSignature,
      ReplayedSignature,
      DeviceRevoked,
      SealError,
    ].map((cls) => [cls.code, cls]),
  ),
);

/** Python's repr() of a string, so messages read as sync/ writes them. */
export function repr(value) {
  if (typeof value !== 'string') return value === null || value === undefined ? 'None' : String(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0);
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}
