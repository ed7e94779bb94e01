// This phone as a device of the hub: its settings, and enrolling it again with a new one-time
// code (a phone the hub revoked, or a runner who forgot the PIN), keeping all unsent work.

import { h } from '../dom.js';
import { reenrolPhone } from '../device.js';
import { t, when } from '../i18n.js';
import { backlog } from '../local.js';
import * as session from '../session.js';
import { codeForm } from './enrol.js';

export async function reenrol(ctx, values = {}, errors = {}, detail = '') {
  const signedIn = ctx.signedIn();
  const counts = await backlog(ctx.db);
  const form = codeForm({
    values,
    errors,
    detail,
    submitLabel: t('reenrol.submit'),
    testid: 'reenrol',
    redraw: async (v, e, d) => ctx.show(await reenrol(ctx, v, e, d)),
    onSubmit: async (entered) => {
      const device = await reenrolPhone(ctx.db, ctx.device, { ...entered, resetRunner: !signedIn });
      ctx.device = device;
      ctx.revoked = null;
      ctx.round = { running: false, outcome: null, described: null, at: null };
      ctx.flash('ok', t('reenrol.done', { outlet: device.outlet.name, tag: device.tag }));
      ctx.startSync();
      if (!signedIn) {
        session.signOut();
        ctx.runner = null;
        ctx.go('#/setup');
        return;
      }
      ctx.workQueued(); // what waited goes now, under the new key
      ctx.go('#/today');
    },
  });
  return [
    h('h1', {}, t('reenrol.title')),
    h('p', {}, t('reenrol.intro', { outlet: ctx.device.outlet.name })),
    h(
      'p',
      { class: 'notice', 'data-testid': 'reenrol-keeps' },
      t('reenrol.keeps', { count: counts.unsent + counts.inflight, photos: counts.photos }),
    ),
    signedIn ? null : h('p', { class: 'notice' }, t('reenrol.resets_runner')),
    form,
    signedIn ? h('p', {}, h('a', { href: '#/settings' }, t('reenrol.cancel'))) : h('p', {}, h('a', { href: '#/signin' }, t('reenrol.back_signin'))),
  ];
}

export async function settings(ctx) {
  const device = ctx.device;
  const pairs = [
    ['settings.outlet', `${device.outlet.name} (${device.outlet.code})`],
    ['settings.device', `${device.device_id} · ${device.tag}`],
    ['settings.enrolled', when(device.enrolled_at)],
    ['settings.runner', `${ctx.runner.name} (${ctx.runner.code})`],
    device.formers && device.formers.length ? ['settings.formers', device.formers.map((f) => `${f.device_id} (${f.tag})`).join('、')] : null,
  ].filter(Boolean);
  return [
    h('h1', {}, t('settings.title')),
    h('dl', { class: 'facts card', 'data-testid': 'device-facts' }, pairs.map(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)])),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('reenrol.title')),
      h('p', {}, t('settings.reenrol.why')),
      h('a', { class: 'button', href: '#/reenrol', 'data-testid': 'reenrol-link' }, t('reenrol.title')),
    ),
  ];
}
