// The runner app: checks the browser can keep and seal data, opens the store, registers the
// service worker, and draws the screen the address (#/...) names. Everything the runner does
// is kept in IndexedDB first; the sync rounds (autosync.js) take it to the hub when they can.

import { details, errorDetail, h, mount } from './dom.js';
import { StoreProblem, getMeta, openDb, putMeta } from './db.js';
import { lang, setLang, t, when } from './i18n.js';
import { attentionItems, backlog } from './local.js';
import * as session from './session.js';
import { AutoSync, outcomeWords } from './autosync.js';
import { missingFeatures, secureEnough } from './support.js';
import * as enrolScreen from './screens/enrol.js';
import * as runnerScreens from './screens/runner.js';
import * as listScreens from './screens/lists.js';
import * as newScreens from './screens/new.js';
import * as receiptScreen from './screens/receipt.js';
import * as applicationScreen from './screens/application.js';
import * as deviceScreens from './screens/device.js';

const ROUTES = [
  [/^#\/enrol$/, enrolScreen.enrol, 'open'],
  [/^#\/setup$/, runnerScreens.setup, 'enrolled'],
  [/^#\/signin$/, runnerScreens.signin, 'enrolled'],
  [/^#\/reenrol$/, deviceScreens.reenrol, 'enrolled'],
  [/^#\/settings$/, deviceScreens.settings, 'signed'],
  [/^#\/today$/, listScreens.today, 'signed'],
  [/^#\/all$/, listScreens.all, 'signed'],
  [/^#\/attention$/, listScreens.attention, 'signed'],
  [/^#\/new$/, newScreens.pick, 'signed'],
  [/^#\/new\/([^/]+)$/, newScreens.form, 'signed'],
  [/^#\/receipt\/([^/]+)$/, receiptScreen.receipt, 'signed'],
  [/^#\/app\/([^/]+)$/, applicationScreen.application, 'signed'],
];
const NAV = [
  ['#/today', 'nav.today'],
  ['#/new', 'nav.new'],
  ['#/attention', 'nav.attention'],
  ['#/all', 'nav.all'],
];

const root = document.getElementById('app');
const ctx = {
  db: null,
  device: null,
  runner: null,
  persisted: null, // true, false (the browser refused), or null (not known yet)
  flashes: [],
  round: { running: false, outcome: null, described: null, at: null },
  update: false,
};

// --- the frame around every screen --------------------------------------------------------

function top() {
  const switchLang = () => {
    const next = lang() === 'zh' ? 'en' : 'zh';
    setLang(next);
    putMeta(ctx.db, 'lang', next);
    route();
  };
  return h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'brand' },
      `${t('app.name')} · ${t('app.runner')}`,
      ctx.device ? h('span', { class: 'outlet', 'data-testid': 'outlet' }, ctx.device.outlet.name) : null,
    ),
    h(
      'div',
      { class: 'who' },
      h('button', { type: 'button', class: 'link', lang: lang() === 'zh' ? 'en' : 'zh-Hans', onclick: switchLang }, t('lang.other')),
      signedIn() ? h('a', { class: 'link', href: '#/settings', 'data-testid': 'settings' }, t('settings.title')) : null,
      signedIn()
        ? h('button', { type: 'button', class: 'link', 'data-testid': 'signout', onclick: () => {
            session.signOut();
            go('#/signin');
          } }, t('signout'))
        : null,
    ),
  );
}

async function statusBar() {
  const counts = await backlog(ctx.db);
  const attention = (await attentionItems(ctx.db)).length;
  const last = ctx.round;
  let state = 'never';
  if (last.running) state = 'syncing';
  else if (last.outcome === 'ok') state = 'online';
  else if (last.outcome === 'offline') state = 'offline';
  else if (last.outcome) state = 'problem';
  const lastSync = await getMeta(ctx.db, 'last_sync_at');
  const unsent = counts.unsent;
  return h(
    'section',
    { class: `statusbar state-${state}`, 'aria-label': t('status.label'), id: 'statusbar' },
    h('span', { class: 'pill', 'data-state': state, 'data-testid': 'connection' }, t(`status.${state}`)),
    h('span', {}, `${t('status.last')}: `, h('strong', { 'data-testid': 'last-sync' }, when(lastSync))),
    h(
      'span',
      {},
      `${t('status.unsent')}: `,
      h('strong', { 'data-testid': 'backlog' }, String(unsent)),
      counts.photos ? [` · ${t('status.photos')}: `, h('strong', { 'data-testid': 'photos' }, String(counts.photos))] : null,
    ),
    attention
      ? h('a', { href: '#/attention' }, `${t('status.attention')}: `, h('strong', { 'data-testid': 'attention-count' }, String(attention)))
      : null,
    h(
      'button',
      { type: 'button', class: 'small', 'data-testid': 'sync-now', disabled: last.running, onclick: () => syncNow() },
      t('sync.now'),
    ),
  );
}

function nav(here, attention) {
  return h(
    'nav',
    { class: 'nav', 'aria-label': t('nav.main') },
    NAV.map(([href, key]) =>
      h(
        'a',
        { href, 'aria-current': here === href || here.startsWith(`${href}/`) ? 'page' : false },
        t(key),
        key === 'nav.attention' && attention ? h('span', { class: 'count' }, ` ${attention}`) : null,
      ),
    ),
  );
}

function flashes() {
  const shown = ctx.flashes.splice(0);
  return shown.map(({ kind, text, detail }) =>
    h(
      'div',
      { class: `flash flash-${kind}`, role: kind === 'ok' ? 'status' : 'alert', 'data-testid': `flash-${kind}` },
      h('p', {}, text),
      details(detail),
    ),
  );
}

function notices() {
  const out = [];
  if (ctx.revoked && location.hash !== '#/reenrol') {
    // Until the phone is enrolled again: its unsent work stays, and goes under the new key.
    const said = ctx.revoked.described;
    out.push(
      h(
        'div',
        { class: 'notice bad', role: 'alert', 'data-testid': 'revoked' },
        h('p', {}, said ? outcomeWords(said) : t('sync.revoked.no_reason')),
        h('p', {}, t('revoked.what_now')),
        h('p', {}, h('a', { class: 'button primary', href: '#/reenrol', 'data-testid': 'reenrol-link' }, t('reenrol.title'))),
        details(said && said.detail),
      ),
    );
  }
  if (ctx.update) {
    out.push(
      h('p', { class: 'notice ok' }, t('update.ready'), ' ', h('button', { type: 'button', class: 'link', onclick: () => location.reload() }, t('update.reload'))),
    );
  }
  return out;
}

// --- routing --------------------------------------------------------------------------------

function signedIn() {
  return Boolean(ctx.runner) && session.check(ctx.runner) === 'ok';
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function guard(need) {
  if (need === 'open') return ctx.device ? '#/today' : null;
  if (!ctx.device) return '#/enrol';
  if (need === 'enrolled') return null;
  if (!ctx.runner) return '#/setup';
  const state = session.check(ctx.runner);
  if (state === 'ended') ctx.flashes.push({ kind: 'busy', text: t('signin.ended') });
  return state === 'ok' ? null : '#/signin';
}

let drawing = 0;

async function route() {
  const hash = location.hash || '#/today';
  const found = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!found) {
    location.replace('#/today');
    return;
  }
  const [pattern, screen, need] = found;
  const redirect = guard(need);
  if (redirect && redirect !== hash) {
    location.replace(redirect);
    return;
  }
  const turn = ++drawing;
  const inside = need === 'signed';
  let content;
  try {
    // Inside the try: an address typed or linked wrong (`#/app/%E0`) is a URIError here,
    // and gets the not-found screen rather than no screen at all.
    let params;
    try {
      params = hash.match(pattern).slice(1).map(decodeURIComponent);
    } catch (_) {
      params = null;
    }
    content = params ? await screen(ctx, ...params) : notFound();
  } catch (error) {
    console.warn('screen failed', error);
    content = [h('h1', {}, t('error.title')), h('p', {}, t('error.body')), details(errorDetail(error))];
  }
  if (turn !== drawing) return; // another screen was asked for meanwhile
  const attention = inside ? (await attentionItems(ctx.db)).length : 0;
  document.body.className = inside ? 'signed-in' : 'signed-out';
  mount(
    root,
    top(),
    inside ? await statusBar() : null,
    h('div', { id: 'notices' }, notices()),
    h('main', { id: 'main', tabindex: '-1' }, flashes(), content, inside ? h('p', { class: 'foot' }, t('footer')) : null),
    inside ? nav(hash, attention) : null,
  );
  document.title = `${t('app.name')} · ${t('app.runner')}`;
  const summary = document.getElementById('error-summary');
  if (summary) summary.focus();
  else window.scrollTo(0, 0);
}

function notFound() {
  return [
    h('h1', { 'data-testid': 'not-found' }, t('notfound.title')),
    h('p', {}, t('notfound.body')),
    h('p', {}, h('a', { href: '#/today' }, t('back.home'))),
  ];
}

/** Show `content` in place of the screen (a refused form drawn again with its errors). */
function show(content) {
  const main = document.getElementById('main');
  if (!main) return;
  const inside = document.body.className === 'signed-in';
  mount(main, flashes(), content, inside ? h('p', { class: 'foot' }, t('footer')) : null);
  const summary = document.getElementById('error-summary');
  if (summary) summary.focus();
}

/** Redraw only the status bar and the menu's count (a form being filled is left alone). */
async function refreshStatus() {
  const bar = document.getElementById('statusbar');
  if (bar) bar.replaceWith(await statusBar());
  const notes = document.getElementById('notices');
  if (notes) notes.replaceChildren(...notices());
  const count = document.querySelector('.nav a[href="#/attention"]');
  if (count) {
    const n = (await attentionItems(ctx.db)).length;
    count.replaceChildren(t('nav.attention'), ...(n ? [h('span', { class: 'count' }, ` ${n}`)] : []));
  }
}

// --- sync -------------------------------------------------------------------------------------

let auto = null;

async function syncNow() {
  if (!auto) return;
  const outcome = await auto.run('button');
  // A revoked phone says so in the notice at the top of every screen, not twice.
  if (outcome && outcome.outcome !== 'revoked') ctx.flashes.push({ kind: outcome.kind, text: outcomeWords(outcome), detail: outcome.detail });
  await route(); // the screen shows what the round changed
}

// --- start ----------------------------------------------------------------------------------

function refuse(title, body, detail = '') {
  mount(root, h('main', { id: 'main' }, h('h1', { 'data-testid': 'refused' }, title), h('p', {}, body), details(detail)));
}

async function askPersistence() {
  if (!navigator.storage || !navigator.storage.persist) return;
  try {
    ctx.persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  } catch (_) {
    ctx.persisted = false;
  }
  await putMeta(ctx.db, 'persisted', ctx.persisted);
}

function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!hadController) return; // the first install: this page is that version already
    ctx.update = true;
    refreshStatus();
  });
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch((error) => console.warn('service worker', error));
}

async function reload() {
  ctx.device = await getMeta(ctx.db, 'device');
  ctx.runner = await getMeta(ctx.db, 'runner');
  ctx.revoked = ctx.device ? await getMeta(ctx.db, 'revoked') : null;
}

async function start() {
  setLang('zh');
  if (!secureEnough()) {
    refuse(t('insecure.title'), t('insecure.body', { origin: location.origin }));
    return;
  }
  const missing = await missingFeatures();
  if (missing.length) {
    refuse(t('unsupported.title'), t('unsupported.body', { missing: missing.join(', ') }));
    return;
  }
  try {
    ctx.db = await openDb();
  } catch (error) {
    if (!(error instanceof StoreProblem)) throw error;
    refuse(t('storage.problem'), t(error.code), errorDetail(error));
    return;
  }
  setLang((await getMeta(ctx.db, 'lang')) || 'zh');
  await reload();
  const last = await getMeta(ctx.db, 'last_round');
  if (last) ctx.round = { running: false, outcome: last.outcome, described: last, at: last.at };
  ctx.go = go;
  ctx.signedIn = signedIn;
  ctx.route = route;
  ctx.reload = reload;
  ctx.refreshStatus = refreshStatus;
  ctx.flash = (kind, text, detail = '') => ctx.flashes.push({ kind, text, detail });
  ctx.show = show;
  ctx.workQueued = () => auto && auto.soon();
  ctx.startSync = () => {
    if (!auto) {
      auto = new AutoSync(ctx, refreshStatus);
      auto.start();
    }
  };
  registerWorker();
  await askPersistence();
  window.addEventListener('hashchange', () => route().catch((error) => console.error('route', error)));
  if (ctx.device) ctx.startSync();
  await route();
}

start().catch((error) => {
  console.error(error);
  refuse(t('error.title'), t('error.body'), errorDetail(error));
});
