// The catalogue on the phone: the items this outlet may accept, and item search by name, code
// or pinyin initials. The initials come from the hub (/runner/initials.json, made by the same
// pypinyin the laptop uses) and are kept with the catalogue for offline search.

/** The catalogue's items this outlet's kind may accept, in code order. */
export function itemsHere(catalogue, outletKind) {
  if (!catalogue) return [];
  return catalogue.items
    .filter((item) => !outletKind || item.outlet_kinds.includes(outletKind))
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

export function findItem(catalogue, code) {
  return catalogue ? catalogue.items.find((item) => item.code === code) || null : null;
}

/** Whether `item` matches what the runner typed (the laptop's rule, agent/web/views.py). */
export function matches(item, query, initials = {}) {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return (
    item.name.toLowerCase().includes(q) ||
    item.code.toLowerCase().includes(q) ||
    (initials[item.code] || '').includes(q)
  );
}

/** The materials of `item` by code, for names on receipts and timelines. */
export function materialNames(item) {
  const names = {};
  for (const m of (item && item.materials) || []) names[m.code] = m.name;
  return names;
}
