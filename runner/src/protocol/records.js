// Builders for the uplink records (sync/records.py). Each returns the plain object the Python
// type encodes, every default filled in (null for an absent optional), so its canonical bytes
// are the ones the hub computes; each checks what the hub's strict decoding checks.
import { checkReceipt } from './ids.js';
import rules from './rules.js';
import { bindChecks, conform } from './schema.js';
import { trackingNumber } from './validators.js';

bindChecks({ receipt: checkReceipt, tracking: trackingNumber });

const C = rules.codes;
export const UPLINK_KINDS = Object.freeze([...C.uplink_kinds]);
export const DOWNLINK_KINDS = Object.freeze([...C.downlink_kinds]);
export const STATUSES = Object.freeze([...C.statuses]);
export const RATING_LEVELS = Object.freeze([...C.rating_levels]);
export const RATING_LABELS = Object.freeze({ ...C.rating_labels });
export const BAD_RATINGS = Object.freeze([...C.bad_ratings]);
export const OUTLET_KINDS = Object.freeze([...C.outlet_kinds]);
export const ID_TYPES = Object.freeze([...rules.sealing.id_types]);

// Only the options given: an absent one takes the type's default.
function given(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** A scanned page: `{sha256, size, media_type}` (bytes travel apart as a blob). */
export const scan = ({ sha256, size, mediaType }) => conform('Scan', given({ sha256, size, media_type: mediaType }));

/** A material handed over: seen on paper (no scans) or photographed. */
export const material = (code, scans = []) => conform('MaterialProvided', { code, scans });

/** Delivery `{method: 'pickup'}`: the citizen collects at the outlet. */
export const pickupDelivery = () => conform('Pickup', { method: 'pickup' });

/** Delivery by mail: the sealed address and its masked copy (sealAddress gives both). */
export const mailDelivery = ({ sealed, masked }) => conform('Mail', { method: 'mail', sealed, masked });

/**
 * `application.create`. `applicant` is what sealApplicant returns (sealed for this `id`),
 * `delivery` pickupDelivery() or sealAddress(...).
 */
export function applicationCreate({ id, receipt, outlet, staff, item, region, capturedAt, applicant, materials, promised, delivery, note }) {
  return conform(
    'ApplicationCreate',
    given({ kind: 'application.create', id, receipt, outlet, staff, item, region, captured_at: capturedAt, applicant, materials, promised, delivery, note }),
  );
}

/** `application.amend`: a supplement or correction of the application at hub `baseVersion`. */
export function applicationAmend({ id, application, baseVersion, reason, staff, capturedAt, materials, applicant, delivery, note }) {
  return conform(
    'ApplicationAmend',
    given({ kind: 'application.amend', id, application, base_version: baseVersion, reason, staff, captured_at: capturedAt, materials, applicant, delivery, note }),
  );
}

/** `pickup.confirm`: a result handed over; a proxy's details come from sealCollector. */
export function pickupConfirm({ id, application, staff, at, collector, idChecked, collectorMasked, collectorSealed }) {
  return conform(
    'PickupConfirm',
    given({ kind: 'pickup.confirm', id, application, staff, at, collector, id_checked: idChecked, collector_masked: collectorMasked, collector_sealed: collectorSealed }),
  );
}

/** `rating.create`: the citizen's rating (好差评), `level` one of RATING_LEVELS. */
export function ratingCreate({ id, application, staff, at, level, comment }) {
  return conform('RatingCreate', given({ kind: 'rating.create', id, application, staff, at, level, comment }));
}

/** Check any uplink record as the hub decodes it; the record with defaults filled. */
export const checkUplink = (record, path = '$') => conform('UplinkRecord', record, path);

/** Check any downlink record as the agent decodes it. */
export const checkDownlink = (record, path = '$') => conform('DownlinkRecord', record, path);
