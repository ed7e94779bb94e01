// The receipt on screen: the receipt number and a standard QR code holding it, for the
// citizen to photograph, with the item, the promised time limit and what was handed in.

import { getMeta } from '../db.js';
import { h } from '../dom.js';
import { t, when } from '../i18n.js';
import { findItem, materialNames } from '../catalogue.js';
import { getApplication } from '../local.js';
import { qrImage } from '../qr.js';

export async function receipt(ctx, id) {
  const app = await getApplication(ctx.db, id);
  if (!app) return [h('h1', {}, t('notfound.title')), h('p', {}, t('notfound.body'))];
  const item = findItem(await getMeta(ctx.db, 'catalogue'), app.item);
  const names = materialNames(item);
  const handed = app.materials.map((c) => names[c] || c);
  const promised = app.promised.map((c) => names[c] || c);
  return [
    h(
      'article',
      { class: 'receipt card' },
      h('h1', {}, t('receipt.title')),
      h('p', { class: 'receipt-no' }, t('receipt.number'), h('strong', { 'data-testid': 'receipt' }, app.receipt)),
      h(
        'figure',
        { class: 'qr' },
        h('img', { src: await qrImage(app.receipt), alt: t('receipt.qr'), 'data-testid': 'receipt-qr', width: '192', height: '192' }),
        h('figcaption', {}, app.receipt),
      ),
      h(
        'dl',
        {},
        h('dt', {}, t('receipt.item')),
        h('dd', {}, app.item_name),
        h('dt', {}, t('receipt.applicant')),
        h('dd', {}, `${app.applicant.name} · ${app.applicant.id_number}`),
        h('dt', {}, t('receipt.recorded')),
        h('dd', {}, `${when(app.captured_at)} · ${ctx.device.outlet.name}`),
        h('dt', {}, t('receipt.limit')),
        h(
          'dd',
          {},
          item ? t('receipt.days', { days: item.promised_days }) : '-',
          app.due_date ? ` · ${t('receipt.due', { date: app.due_date })}` : '',
        ),
        h('dt', {}, t('receipt.result')),
        h('dd', {}, app.delivery === 'mail' ? t('receipt.mailed_to', { address: app.address_masked }) : t('form.delivery.pickup')),
        handed.length ? [h('dt', {}, t('receipt.materials')), h('dd', {}, handed.join('、'))] : null,
        promised.length ? [h('dt', {}, t('receipt.promised')), h('dd', { 'data-testid': 'promised' }, promised.join('、'))] : null,
      ),
      promised.length ? h('p', {}, t('receipt.promise_note')) : null,
      h('p', {}, t('receipt.keep')),
    ),
    h(
      'div',
      { class: 'actions noprint' },
      h('a', { class: 'button primary big', href: '#/new', 'data-testid': 'next' }, t('receipt.next')),
      h('a', { class: 'button', href: `#/app/${app.id}` }, t('receipt.open')),
    ),
  ];
}
