// Lists: today's work (with what waits to be sent and the last round's result), every
// application (find one by receipt number), and what needs the runner's attention.

import { getMeta } from '../db.js';
import { details, h } from '../dom.js';
import { chinaDay, t, when } from '../i18n.js';
import { attentionItems, backlog, findByReceipt, listApplications } from '../local.js';
import { outcomeWords } from '../autosync.js';
import { sendAgain, uploadAgain } from '../syncer.js';

/** The hub's reasons, each in the runner's words with its technical line behind 详情. */
export function reasonList(reasons) {
  if (!reasons.length) return null;
  return h('ul', { class: 'reasons' }, reasons.map((r) => h('li', {}, r.text, details(r.detail))));
}

function stateOf(app) {
  return app.hub_status ? t(`hub.${app.hub_status}`) : t(`sync_state.${app.sync_state}`);
}

export function appList(apps, empty) {
  if (!apps.length) return h('p', { class: 'empty' }, empty);
  return h(
    'ul',
    { class: 'apps', 'data-testid': 'apps' },
    apps.map((app) =>
      h(
        'li',
        { 'data-state': app.sync_state },
        h(
          'a',
          { href: `#/app/${app.id}` },
          h('span', { class: `state ${app.sync_state}`, 'data-testid': 'sync-state', 'data-state': app.sync_state }, stateOf(app)),
          h('span', { class: 'receipt-no' }, app.receipt),
          h('small', {}, `${app.item_name} · ${app.applicant.name} · ${when(app.captured_at)}`),
        ),
      ),
    ),
  );
}

function storageWarning(ctx) {
  if (ctx.persisted !== false) return null;
  return h('p', { class: 'notice', 'data-testid': 'storage-refused' }, t('storage.refused'));
}

export async function today(ctx) {
  const apps = await listApplications(ctx.db);
  const day = chinaDay(Date.now());
  const todays = apps.filter((a) => chinaDay(a.captured_at) === day);
  const counts = await backlog(ctx.db);
  const last = await getMeta(ctx.db, 'last_round');
  // The last round in words, unless a flash says it already or the revoked notice does.
  const showLast = last && !ctx.flashes.length && last.outcome !== 'revoked';
  return [
    storageWarning(ctx),
    h('h1', {}, t('today.title')),
    h('div', { class: 'actions' }, h('a', { class: 'button primary big', href: '#/new', 'data-testid': 'new' }, t('nav.new'))),
    counts.unsent ? h('p', { class: 'notice', 'data-testid': 'unsent' }, t('today.unsent', { count: counts.unsent })) : null,
    showLast
      ? h(
          'div',
          { class: `flash flash-${last.kind}`, 'data-testid': 'last-result', 'data-outcome': last.outcome },
          h('p', {}, `${when(last.at)} · ${outcomeWords(last)}`),
          details(last.detail),
        )
      : null,
    h('p', {}, t('today.count', { count: todays.length })),
    appList(todays, t('today.none')),
  ];
}

export async function all(ctx) {
  const query = new URLSearchParams(location.hash.split('?')[1] || '').get('q') || '';
  const input = h('input', { type: 'search', id: 'f-q', name: 'q', value: query, autocomplete: 'off', autocapitalize: 'characters' });
  const form = h(
    'form',
    { class: 'card', role: 'search' },
    h('label', { for: 'f-q' }, t('all.search')),
    input,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('all.search'))),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const app = await findByReceipt(ctx.db, input.value);
    if (app) ctx.go(`#/app/${app.id}`);
    else {
      ctx.flash('error', t('all.not_found'));
      ctx.show(await all(ctx));
    }
  });
  return [h('h1', {}, t('all.title')), form, appList(await listApplications(ctx.db), t('all.none'))];
}

/** A button's work on the attention list: the flash says what it did, or that the phone's
 * storage failed (nothing changed), and the list is drawn again either way. */
async function act(ctx, event, work) {
  event.target.disabled = true;
  try {
    ctx.flash('ok', await work());
    ctx.workQueued();
  } catch (error) {
    console.warn('the attention item could not be handled', error);
    ctx.flash('error', t('storage.failed'));
  }
  ctx.route();
}

export async function attention(ctx) {
  const items = await attentionItems(ctx.db);
  const catalogue = await getMeta(ctx.db, 'catalogue');
  const nameOf = (item, code) => {
    const spec = catalogue?.items.find((i) => i.code === item)?.materials.find((m) => m.code === code);
    return spec ? spec.name : code;
  };
  return [
    h('h1', {}, t('attention.title')),
    items.length
      ? h(
          'ul',
          { class: 'cards', 'data-testid': 'attention' },
          items.map((item) =>
            h(
              'li',
              { class: `card kind-${item.kind}`, 'data-kind': item.kind },
              h('h2', {}, t(`attention.${item.kind}`), ' ', item.app ? h('small', {}, item.app.receipt) : null),
              item.app
                ? h('p', {}, `${item.app.item_name} · ${item.app.applicant.name}`)
                : h('p', {}, item.kind === 'photo' ? t('attention.photo.unknown_app', { sha: item.record_id.slice(0, 12) }) : item.record_id),
              reasonList(item.reasons),
              item.materials.length
                ? h('p', {}, t('attention.materials.list', { materials: item.materials.map((c) => nameOf(item.app?.item, c)).join('、') }))
                : null,
              item.kind === 'rejected' || item.kind === 'dept_rejected' ? h('p', { class: 'hint' }, t('attention.fix')) : null,
              item.kind === 'held' ? h('p', { class: 'hint' }, t('attention.held.fix')) : null,
              item.kind === 'held'
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'primary',
                      'data-testid': 'send-again',
                      onclick: (event) =>
                        act(ctx, event, async () => t('attention.held.queued', { count: await sendAgain(ctx.db, [item.n]) })),
                    },
                    t('attention.held.again'),
                  )
                : null,
              item.kind === 'photo' ? h('p', { class: 'hint' }, t('attention.photo.fix')) : null,
              item.kind === 'photo'
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'primary',
                      'data-testid': 'upload-again',
                      onclick: (event) =>
                        act(ctx, event, async () => {
                          const queued = await uploadAgain(ctx.db, [item.n]);
                          return queued ? t('attention.photo.queued', { count: queued }) : t('attention.photo.nothing');
                        }),
                    },
                    t('attention.photo.again'),
                  )
                : null,
              item.app ? h('a', { class: 'button', href: `#/app/${item.app.id}` }, t('attention.open')) : null,
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('attention.none')),
  ];
}
