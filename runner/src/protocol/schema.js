// Strict decoding against the message schema exported from sync/ (msgspec's JSON Schema of
// the record and reply types), with the cross-field checks the Python types run after
// decoding. One pass both checks a value and fills its defaults, so a record built here
// has the same canonical bytes as the Python type encodes.
import { InvalidValue } from './errors.js';
import rules from './rules.js';

const DEFS = rules.schema;
const OMIT_DEFAULTS = new Set(rules.omit_defaults);
const patterns = new Map();
const regex = (source) => {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source, 'u')));
  return re;
};

/** Python's len(): code points, not UTF-16 units. */
export const textLength = (text) => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

const TYPE_NAMES = { string: 'str', integer: 'int', boolean: 'bool', array: 'array', object: 'object', null: 'null' };

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

function fail(message, path) {
  throw new InvalidValue(message, { field: path, reason: 'schema' });
}

function checkType(value, type, path) {
  const ok =
    (type === 'string' && typeof value === 'string') ||
    (type === 'integer' && Number.isInteger(value)) ||
    (type === 'boolean' && typeof value === 'boolean') ||
    (type === 'array' && Array.isArray(value)) ||
    (type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) ||
    (type === 'null' && value === null);
  if (!ok) fail(`Expected \`${TYPE_NAMES[type]}\`, got \`${typeOf(value)}\``, path);
}

const clone = (value) => (value === null || typeof value !== 'object' ? value : JSON.parse(JSON.stringify(value)));

function checkScalar(node, value, path) {
  if (typeof value === 'string') {
    const len = node.minLength !== undefined || node.maxLength !== undefined ? textLength(value) : 0;
    if (node.minLength !== undefined && len < node.minLength) fail(`Expected \`str\` of length >= ${node.minLength}`, path);
    if (node.maxLength !== undefined && len > node.maxLength) fail(`Expected \`str\` of length <= ${node.maxLength}`, path);
    if (node.pattern !== undefined && !regex(node.pattern).test(value)) {
      fail(`Expected \`str\` matching regex '${node.pattern}'`, path);
    }
  } else if (typeof value === 'number') {
    if (node.minimum !== undefined && value < node.minimum) fail(`Expected \`int\` >= ${node.minimum}`, path);
    if (node.maximum !== undefined && value > node.maximum) fail(`Expected \`int\` <= ${node.maximum}`, path);
  }
}

function walk(node, value, path) {
  if (node.$ref) return walkDef(node.$ref.slice('#/$defs/'.length), value, path);
  if (node.anyOf) return walkAny(node, value, path);
  if (node.enum) {
    if (!node.enum.includes(value)) fail(`Invalid enum value ${JSON.stringify(value)}`, path);
    return value;
  }
  if (node.type) checkType(value, node.type, path);
  if (node.type === 'array') return value.map((item, i) => walk(node.items ?? {}, item, `${path}[${i}]`));
  if (node.type === 'object') return walkObject(node, value, path);
  checkScalar(node, value, path);
  return value;
}

function walkAny(node, value, path) {
  const tag = node.discriminator?.propertyName;
  if (tag) {
    checkType(value, 'object', path);
    if (!(tag in value)) fail(`Object missing required field \`${tag}\``, path);
    const ref = node.discriminator.mapping[value[tag]];
    if (!ref) fail(`Invalid value ${JSON.stringify(value[tag])}`, `${path}.${tag}`);
    return walk({ $ref: ref }, value, path);
  }
  let error;
  for (const branch of node.anyOf) {
    if (branch.type === 'null') {
      if (value === null) return null;
      continue;
    }
    try {
      return walk(branch, value, path);
    } catch (err) {
      error = err;
    }
  }
  if (error) throw error;
  fail(`Expected \`null\`, got \`${typeOf(value)}\``, path);
}

function walkObject(node, value, path) {
  const out = {};
  if (node.properties) {
    for (const key of Object.keys(value)) {
      if (!(key in node.properties)) fail(`Object contains unknown field \`${key}\``, path);
    }
    for (const key of node.required ?? []) {
      if (!(key in value)) fail(`Object missing required field \`${key}\``, path);
    }
    for (const [key, sub] of Object.entries(node.properties)) {
      if (key in value) out[key] = walk(sub, value[key], `${path}.${key}`);
      else out[key] = clone(sub.default);
    }
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    if (node.propertyNames) checkScalar(node.propertyNames, key, `${path}...`);
    out[key] = node.additionalProperties ? walk(node.additionalProperties, item, `${path}.${key}`) : item;
  }
  return out;
}

function walkDef(name, value, path) {
  const def = DEFS[name];
  if (!def) throw new Error(`no schema definition ${name}`);
  const out = walk(def, value, path);
  POST_CHECKS[name]?.(out, path);
  if (OMIT_DEFAULTS.has(name)) {
    for (const [key, sub] of Object.entries(def.properties)) {
      if ('default' in sub && JSON.stringify(out[key]) === JSON.stringify(sub.default)) delete out[key];
    }
  }
  return out;
}

/** Check `value` against a schema node (for envelopes read in parts); see conform. */
export function conformNode(node, value, path = '$') {
  return walk(node, value, path);
}

/** The exported schema definition `name`. */
export const schemaDef = (name) => DEFS[name];

/**
 * Check `value` against the schema definition `name` (e.g. `ApplicationCreate`,
 * `UplinkRecord`, `Ack`) and return a copy with every default filled in, as the Python
 * type would encode it. InvalidValue (reason `schema`) names the JSON path to blame.
 */
export function conform(name, value, path = '$') {
  return walkDef(name, value, path);
}

// --- the checks the Python types run after decoding (their __post_init__) -----------------
// A message `field: words` blames `path.field`, as sync/codec.field_from_error reads it.

const MASK = rules.masking.mask;

function refuse(path, message) {
  const named = /^([a-z_][a-z0-9_.]*): /.exec(message);
  let field = path;
  // As in sync/codec.field_from_error: a struct's own checks name fields relative to it.
  if (named) field = `${path}.${named[1]}`;
  throw new InvalidValue(message, { field, reason: 'schema' });
}

function masked(path, value, field) {
  if (value && !value.includes(MASK)) refuse(path, `${field}: must be a masked copy (with '*'), never the clear value`);
}

function materials(path, provided, promised) {
  const codes = provided.map((m) => m.code);
  if (new Set(codes).size !== codes.length) refuse(path, 'materials: a material code is listed twice');
  if (new Set(promised).size !== promised.length) refuse(path, 'promised: a material code is listed twice');
  const both = codes.filter((c) => promised.includes(c)).sort();
  if (both.length) refuse(path, `promised: materials both provided and promised: ${both.join(', ')}`);
}

const hooks = { receipt: null, tracking: null };

/** Late-bound checks that live in other modules (ids.js, validators.js), to avoid a cycle. */
export function bindChecks({ receipt, tracking }) {
  hooks.receipt = receipt;
  hooks.tracking = tracking;
}

const isCode = (text) => /^[0-9]{6}$/.test(text);

const POST_CHECKS = {
  MaskedApplicant(v, path) {
    masked(path, v.name, 'name');
    masked(path, v.id_number, 'id_number');
    masked(path, v.phone, 'phone');
  },
  Scan(v, path) {
    if (!(v.size > 0 && v.size <= 50 * 1024 * 1024)) refuse(path, 'size: a scan is between 1 byte and 50 MiB');
  },
  Mail(v, path) {
    masked(path, v.masked, 'masked');
  },
  ApplicationCreate(v, path) {
    materials(path, v.materials, v.promised);
    try {
      hooks.receipt(v.receipt);
    } catch (err) {
      refuse(path, `receipt: ${err.message}`);
    }
  },
  ApplicationAmend(v, path) {
    materials(path, v.materials, []);
    if (v.reason === 'supplement' && !v.materials.length) refuse(path, 'materials: a supplement must carry at least one material');
    if (!(v.materials.length || v.applicant || v.delivery || v.note)) refuse(path, 'materials: an amendment must change something');
  },
  PickupConfirm(v, path) {
    if (!v.id_checked) refuse(path, "id_checked: the collector's ID must be checked before hand-over");
    if (v.collector === 'proxy' && v.collector_sealed === null) refuse(path, 'collector_sealed: a proxy collector must be recorded');
    masked(path, v.collector_masked, 'collector_masked');
  },
  SupplementRequested(v, path) {
    if (!v.materials.length && !v.message.trim()) {
      refuse(path, 'materials: a supplement request names materials or says what is needed');
    }
  },
  ShipmentEvent(v, path) {
    let normalised;
    try {
      normalised = hooks.tracking(v.tracking);
    } catch (err) {
      refuse(path, `tracking: ${err.message}`);
    }
    if (normalised !== v.tracking) refuse(path, 'tracking: must be sent normalised (upper case, no spaces)');
  },
  CatalogueItem(v, path) {
    const codes = v.materials.map((m) => m.code);
    if (new Set(codes).size !== codes.length) refuse(path, `item ${v.code}: material codes repeat`);
    if (v.promised_days > v.legal_days) refuse(path, `item ${v.code}: promised_days exceeds legal_days`);
    if (!v.outlet_kinds.length) refuse(path, `item ${v.code}: no outlet kind may accept it`);
    for (const region of Object.keys(v.unit_by_region)) {
      if (region !== '*' && !isCode(region)) refuse(path, `item ${v.code}: region ${JSON.stringify(region)} is not a division code`);
    }
  },
  CatalogueUpdated(v, path) {
    const codes = v.items.map((i) => i.code);
    if (new Set(codes).size !== codes.length) refuse(path, 'items: an item code appears twice in the catalogue');
  },
  RecordRejected(v, path) {
    if (!v.reasons.length) refuse(path, 'reasons: a rejection gives at least one reason');
  },
  FeedSlice(v, path) {
    if (v.cursor < v.after) refuse(path, 'cursor is behind after');
  },
  FeedPage(v, path) {
    if (v.next_cursor < v.cursor) refuse(path, 'next_cursor is behind cursor');
  },
};
