// The Daiban sync protocol for the runner's phone app: the device side of docs/protocol.md,
// mirroring sync/ and agent/client.py. Runs in a browser (and in Node 20 for the tests) on
// WebCrypto, CompressionStream and fetch alone.

/**
 * Errors, as sync/errors.py. Every protocol refusal is a ProtocolError with a stable `.code`,
 * an HTTP `.status`, a `.message` and, where one is to blame, a `.field`.
 * - ProtocolError: base (`protocol`). - InvalidValue: a refused value (`invalid`, `.reason`).
 * - MalformedMessage (`malformed`) and its kin UnsupportedVersion (`unsupported_version`),
 *   DigestMismatch (`digest_mismatch`), TooLarge (`too_large`, 413).
 * - BadSignature (`bad_signature`, 401), StaleSignature, ReplayedSignature, DeviceRevoked (403).
 * - SealError (`unseal_failed`). ERROR_CODES maps each code to its class.
 */
export {
  BadSignature,
  DeviceRevoked,
  DigestMismatch,
  ERROR_CODES,
  InvalidValue,
  MalformedMessage,
  ProtocolError,
  ReplayedSignature,
  SealError,
  StaleSignature,
  TooLarge,
  UnsupportedVersion,
} from './errors.js';

/**
 * Canonical JSON and frames (sections 2, 3).
 * - canonical(value) -> Uint8Array: RFC 8785 bytes.
 * - encodeFrame(payloadValue, {codec = 'deflate' | 'identity', version}) -> Promise<Uint8Array>:
 *   a value (or canonical bytes) in a frame.
 * - decodeFrame(bytes) -> Promise<value>: every check of section 3 in order, then the JSON and
 *   its `v`; typed errors with `.code`.
 * - decodeFrameBytes(bytes) -> Promise<{version, payload}>: the checks without parsing.
 * - frameDigest(bytes) -> hex the frame declares. digestHex(bytes) -> Promise<hex SHA-256>.
 * - checkVersion(v) -> v or UnsupportedVersion.
 * - Constants PROTOCOL_VERSION, SUPPORTED_VERSIONS, MAGIC, CODEC_IDENTITY, CODEC_DEFLATE,
 *   HEADER_LEN, MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES.
 */
export {
  canonical,
  checkVersion,
  CODEC_DEFLATE,
  CODEC_IDENTITY,
  decodeFrame,
  decodeFrameBytes,
  digestHex,
  encodeFrame,
  frameDigest,
  HEADER_LEN,
  MAGIC,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
} from './codec.js';

/**
 * Identifiers (sync/ids.py).
 * - uuid7(nowMs, rand?) -> string: a record, batch or event id.
 * - isUuid7(text) -> boolean. uuid7TimeMs(id) -> ms embedded in a UUIDv7.
 * - deviceTag(number) -> 4-character tag of the number-th device.
 * - receiptNumber(tag, seq) -> 'TTTT-NNNNNN-C'. receiptTag(receipt) -> its tag.
 * - checkReceipt(text) -> normalised receipt, or InvalidValue (reason format | checksum).
 * - TAG_ALPHABET, TAG_LENGTH.
 */
export { checkReceipt, deviceTag, isUuid7, receiptNumber, receiptTag, TAG_ALPHABET, TAG_LENGTH, uuid7, uuid7TimeMs } from './ids.js';

/**
 * Validators for typed values (sync/validators.py); each returns the normalised value or
 * throws InvalidValue with the Python `field`, `reason` and message.
 * - residentId(text, {today}) -> 18-character ID number; `today` a Date or 'YYYY-MM-DD'.
 * - inspectResidentId(text, {today}) -> {number, birth_date, sex, division, upgraded_from, warnings}.
 * - creditCode(text), mobile(text), trackingNumber(text), s10CheckDigit(serial).
 */
export { creditCode, inspectResidentId, mobile, residentId, s10CheckDigit, trackingNumber } from './validators.js';

/**
 * Masked display copies (sync/masking.py): maskName, maskIdNumber, maskPhone, maskAddress,
 * and maskApplicant({name, id_number, phone}) -> {name, id_number, phone} masked. MASK is '*'.
 */
export { MASK, maskAddress, maskApplicant, maskIdNumber, maskName, maskPhone } from './masking.js';

/**
 * Device keys and signatures (section 6).
 * - generateDeviceKey() -> Promise<CryptoKeyPair>: Ed25519, private half non-extractable.
 * - publicKeyText(publicKey) -> Promise<string>: base64url of the raw key, as enrolment takes it.
 * - publicKeyFromText(text) -> Promise<CryptoKey>: an Ed25519 public key (the hub's signing key).
 * - privateKeyFromSeed(seed) -> Promise<CryptoKey>: from a 32-byte seed (test vectors).
 * - signRequest({method, target, body, key, keyId, created, nonce}) -> Promise<headers>.
 * - signResponse({...}) -> Promise<headers>: the hub's side, for tests and fakes.
 * - verifyRequest({method, target, headers, body, key, keyId?, now?, window?}) -> Promise<{keyId, created, nonce}>.
 * - verifyResponse({status, headers, body, key, keyId = 'hub', requestMethod, requestTarget, requestHeaders}).
 * - checkFresh(created, {now, window}); contentDigest(body) -> Promise<'sha-256=:…:'>; newNonce().
 * - successionMessage(newPublicKeyText) -> bytes an old key signs to name its successor.
 * - signSuccession(oldPrivateKey, newPublicKeyText) -> Promise<base64url>: `previous.signature`.
 * - verifySuccession(oldPublicKey, newPublicKeyText, signature) -> Promise<boolean>.
 * - LABEL, TAG, DEFAULT_WINDOW.
 */
export {
  checkFresh,
  contentDigest,
  DEFAULT_WINDOW,
  generateDeviceKey,
  LABEL,
  newNonce,
  privateKeyFromSeed,
  publicKeyFromText,
  publicKeyText,
  signRequest,
  signResponse,
  signSuccession,
  successionMessage,
  TAG,
  verifyRequest,
  verifyResponse,
  verifySuccession,
} from './signing.js';

/**
 * Sealing personal data to the hub (section 8). Every seal is bound to a record id.
 * - sealApplicant(hubSealKeyText, {name, id_type?, id_number, phone}, recordId)
 *   -> Promise<{id_type, sealed, masked}>: the record's `applicant`.
 * - sealAddress(hubSealKeyText, {recipient, phone, address, postcode?}, recordId)
 *   -> Promise<{method: 'mail', sealed, masked}>: the record's `delivery`.
 * - sealCollector(hubSealKeyText, {name, id_number}, recordId) -> Promise<{collector_sealed, collector_masked}>.
 * - sealBytes(hubSealKeyText, bytes, applicationId, purpose = 'scan') -> Promise<Uint8Array>:
 *   a scanned page as `enc || ciphertext || tag`; its SHA-256 is the scan's address.
 * - seal(hubSealKeyText, bytes, recordId, purpose) -> Promise<'s1.…'>. checkSealed(token): the
 *   shape only. SEAL_PREFIX ('s1.'), MAX_SEALED_CHARS (4096).
 * - sealContext(recordId, purpose) -> the HPKE info bytes.
 * - openSealed(hubPrivateKey, token, recordId, purpose), openSealedBytes(hubPrivateKey, blob,
 *   recordId, purpose) -> Promise<Uint8Array>: the hub's side, for tests only.
 */
export {
  checkSealed,
  MAX_SEALED_CHARS,
  openSealed,
  openSealedBytes,
  seal,
  sealAddress,
  sealApplicant,
  sealBytes,
  sealCollector,
  sealContext,
  SEAL_PREFIX,
} from './sealing.js';

/**
 * Uplink record builders (sync/records.py): options in camelCase, records as the Python types
 * encode them (every default present, null for an absent optional); each checks what the
 * hub's strict decoding checks (InvalidValue, reason `schema`, `field` a JSON path).
 * - applicationCreate({id, receipt, outlet, staff, item, region, capturedAt, applicant,
 *   materials?, promised?, delivery, note?})
 * - applicationAmend({id, application, baseVersion, reason, staff, capturedAt, materials?,
 *   applicant?, delivery?, note?})
 * - pickupConfirm({id, application, staff, at, collector, idChecked, collectorMasked?, collectorSealed?})
 * - ratingCreate({id, application, staff, at, level, comment?})
 * - material(code, scans?), scan({sha256, size, mediaType}), pickupDelivery(), mailDelivery({sealed, masked})
 * - checkUplink(record), checkDownlink(record): strict decoding of any record kind.
 * - Code lists: UPLINK_KINDS, DOWNLINK_KINDS, STATUSES, RATING_LEVELS, RATING_LABELS,
 *   BAD_RATINGS, OUTLET_KINDS, ID_TYPES.
 */
export {
  applicationAmend,
  applicationCreate,
  BAD_RATINGS,
  checkDownlink,
  checkUplink,
  DOWNLINK_KINDS,
  ID_TYPES,
  mailDelivery,
  material,
  OUTLET_KINDS,
  pickupConfirm,
  pickupDelivery,
  RATING_LABELS,
  RATING_LEVELS,
  ratingCreate,
  scan,
  STATUSES,
  UPLINK_KINDS,
} from './records.js';

/**
 * Batches (section 5, sync/batch.py).
 * - newBatch({device, batchId, seq, sentAt, records}) -> envelope.
 * - encodeBatch(batch) -> Promise<Uint8Array> frame. decodeBatch(bytes) -> Promise<{version,
 *   device, batch, seq, sent_at, digest, entries}> as the hub reads it.
 * - planBatches(records, {maxRecords, maxBytes}) -> groups. recordDigest(record) -> Promise<hex>.
 * - MAX_RECORDS, MAX_RECORD_BYTES, TARGET_BATCH_BYTES.
 */
export { decodeBatch, encodeBatch, MAX_RECORD_BYTES, MAX_RECORDS, newBatch, planBatches, recordDigest, TARGET_BATCH_BYTES } from './batch.js';

/**
 * Replies (section 7, sync/replies.py).
 * - decodeAck(bytes) -> Promise<Ack>; decodePage(bytes) -> Promise<FeedPage>; MalformedMessage
 *   (or kin) when they do not decode.
 * - encodeAck(ack), encodePage(page) -> Promise<Uint8Array>: the hub's side, for tests and fakes.
 * - stateDigest(pairs of [applicationId, version]) -> Promise<hex>.
 * - SETTLED (statuses that let the device forget an outbox entry), isSettled(status), RECORD_STATUSES.
 */
export { decodeAck, decodePage, encodeAck, encodePage, isSettled, RECORD_STATUSES, SETTLED, stateDigest } from './replies.js';

/**
 * The hub client (agent/client.py).
 * - new HubClient({url, deviceId, privateKey, hubVerifyKeyText, clockOffsetMs, fetch, now,
 *   heartbeat?, timeoutMs?, attempts?, backoffMs?}): push(batchBytes, {feed, after}) -> Ack,
 *   pull(cursor, {state, limit}) -> FeedPage, missingScans(digests) -> {sha256: offset},
 *   uploadChunk(sha256, offset, bytes, total?) -> offset. `.clockOffsetMs` is what it learnt
 *   from the hub's time (keep it), `.ordersPushes` whether the hub orders pushes by `after`.
 * - enroll(url, code, publicKeyText, {label, agentVersion, previous?, fetch}) -> Promise<answer>.
 * - HubUnavailable(message): network, timeout, 5xx, unsigned or unreadable answer.
 * - HubRefused(status, code, message, body): a signed refusal (e.g. device_revoked).
 * - FRAME_TYPE: the frame media type.
 */
export { enroll, FRAME_TYPE, HubClient, HubRefused, HubUnavailable } from './client.js';

/**
 * What this browser offers the protocol: `{ed25519, x25519, compression}` booleans. Ed25519
 * and X25519 in WebCrypto arrived in Chromium 137 and 133; without them the device cannot
 * hold a non-extractable key or seal.
 */
export { cryptoSupport } from './support.js';
