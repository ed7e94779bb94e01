// A few lines of DOM building, so screens read as the markup they make. Text is always set
// as text (never parsed as HTML): names and reasons from the hub cannot inject markup.

import { t } from './i18n.js';

/** An element: `h('p', {class: 'hint'}, 'text', child, [more])`. Attributes starting with
 * `on` are listeners; `false`/`null`/`undefined` attributes and children are left out. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (name === 'value' && 'value' in node) {
      node.value = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      node[name] = Boolean(value);
      if (value) node.setAttribute(name, '');
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything in `root` with `children`. */
export function mount(root, ...children) {
  root.replaceChildren();
  append(root, children);
}

/** A labelled form field with its hint and error, marked for assistive technology. */
export function field({ name, label, errors = {}, hint = '', input }) {
  const id = `f-${name}`;
  input.id = input.id || id;
  if (!input.name) input.name = name;
  const error = errors[name];
  const described = [];
  if (hint) described.push(`hint-${name}`);
  if (error) {
    described.push(`err-${name}`);
    input.setAttribute('aria-invalid', 'true');
  }
  if (described.length) input.setAttribute('aria-describedby', described.join(' '));
  return h(
    'div',
    { class: error ? 'field has-error' : 'field' },
    h('label', { for: input.id }, label),
    hint ? h('p', { class: 'hint', id: `hint-${name}` }, hint) : null,
    input,
    error ? h('p', { class: 'error', id: `err-${name}`, role: 'alert' }, error) : null,
  );
}

/** The error summary at the top of a refused form, linking to each marked field. */
export function errorSummary(title, errors) {
  const entries = Object.entries(errors).filter(([name]) => !name.startsWith('_')); // _detail: technical
  if (!entries.length) return null;
  return h(
    'div',
    { class: 'error-summary', role: 'alert', tabindex: '-1', id: 'error-summary' },
    h('h2', {}, title),
    h(
      'ul',
      {},
      entries.map(([name, reason]) =>
        h('li', {}, h('a', { href: `#f-${name}`, onclick: (e) => focusField(e, name) }, reason)),
      ),
    ),
  );
}

function focusField(event, name) {
  event.preventDefault(); // the hash is the app's route, not an anchor
  const target = document.getElementById(`f-${name}`);
  if (target) {
    target.scrollIntoView({ block: 'center' });
    target.focus({ preventScroll: true });
  }
}

/** The values of a form's named controls (the last checked radio wins, unchecked boxes are
 * left out). */
export function formValues(form) {
  const values = {};
  for (const control of form.elements) {
    if (!control.name || control.disabled) continue;
    if ((control.type === 'radio' || control.type === 'checkbox') && !control.checked) continue;
    if (control.type === 'file') continue;
    values[control.name] = control.value;
  }
  return values;
}

/** The technical detail of a problem (an error's name, the hub's own English message, a
 * code), folded away behind 详情 / Details: the runner reads the plain words above it, and
 * can still show the hub operator exactly what happened. Null when there is nothing. */
export function details(detail, label = t('details')) {
  const text = String(detail ?? '').trim();
  if (!text) return null;
  return h(
    'details',
    { class: 'technical', 'data-testid': 'details' },
    h('summary', {}, label),
    h('p', {}, h('code', {}, text)),
  );
}

/** The technical detail of an error: its name, code and message, as one line. */
export function errorDetail(error) {
  if (!error) return '';
  if (typeof error !== 'object') return String(error);
  const parts = [error.name && error.name !== 'Error' ? error.name : '', error.code ? `[${error.code}]` : '', error.message || ''];
  if (error.status) parts.push(`HTTP ${error.status}`);
  return parts.filter(Boolean).join(' ');
}
