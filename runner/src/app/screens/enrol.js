// Enrolling the phone: the hub's address (this page's own), the one-time code typed or read
// from the hub's enrolment QR code (`daiban://enroll?hub=...&code=...`) with the camera.

import * as protocol from '../../protocol/index.js';
import { errorSummary, field, h } from '../dom.js';
import { enrolPhone, hubOrigin } from '../device.js';
import { t } from '../i18n.js';
import { parseEnrolment, scanCamera } from '../qr.js';
import { refusalWords } from '../words.js';

/** Why the typed hub address cannot be used here, or null. */
function hubProblem(address) {
  let origin;
  try {
    origin = new URL(address).origin;
  } catch (_) {
    return t('enrol.hub.bad');
  }
  return origin === hubOrigin() ? null : t('enrol.hub.other', { hub: origin });
}

export async function enrol(ctx, values = {}, errors = {}) {
  const hub = h('input', { type: 'url', value: values.hub ?? hubOrigin(), autocomplete: 'off', inputmode: 'url' });
  const code = h('input', {
    type: 'text',
    value: values.code || '',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
  });
  const label = h('input', { type: 'text', value: values.label || '', autocomplete: 'off' });
  const status = h('p', { class: 'hint', role: 'status', 'data-testid': 'scan-status' });
  const video = h('video', { 'aria-label': t('enrol.scan.hint'), muted: true, playsinline: true });
  const scanner = h('div', { class: 'scanner', hidden: true }, video, h('div', { class: 'frame' }));
  let stop = null;
  const stopScan = () => {
    if (stop) stop();
    stop = null;
    scanner.hidden = true;
    scanButton.textContent = t('enrol.scan');
  };
  const scanButton = h('button', {
    type: 'button',
    'data-testid': 'scan',
    onclick: async () => {
      if (stop) {
        stopScan();
        return;
      }
      status.textContent = t('enrol.scan.hint');
      scanner.hidden = false;
      scanButton.textContent = t('enrol.scan.stop');
      try {
        stop = await scanCamera(video, (text) => {
          const found = parseEnrolment(text);
          if (!found) {
            status.textContent = t('enrol.scan.not_enrol');
            return false;
          }
          code.value = found.code;
          if (found.hub) hub.value = found.hub;
          status.textContent = t('enrol.scan.read');
          stop = null;
          scanner.hidden = true;
          scanButton.textContent = t('enrol.scan');
          return true;
        });
      } catch (error) {
        stopScan();
        status.textContent = t('enrol.scan.no_camera', { reason: error.name || error.message });
      }
    },
  }, t('enrol.scan'));
  const submit = h('button', { class: 'primary big', type: 'submit', 'data-testid': 'enrol' }, t('enrol.submit'));
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': 'enrol-form' },
    field({ name: 'hub', label: t('enrol.hub'), errors, input: hub }),
    field({ name: 'code', label: t('enrol.code'), hint: t('enrol.code.hint'), errors, input: code }),
    h('div', { class: 'actions' }, scanButton),
    scanner,
    status,
    field({ name: 'label', label: t('enrol.label'), hint: t('enrol.label.hint'), errors, input: label }),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    stopScan();
    const entered = { hub: hub.value.trim(), code: code.value.trim(), label: label.value.trim() };
    const problems = {};
    const hubWrong = hubProblem(entered.hub);
    if (hubWrong) problems.hub = hubWrong;
    if (!entered.code) problems.code = t('enrol.code.empty');
    if (Object.keys(problems).length) {
      ctx.show(await enrol(ctx, entered, problems));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('enrol.working');
    try {
      ctx.device = await enrolPhone(ctx.db, entered);
    } catch (error) {
      const reason =
        error instanceof protocol.HubRefused
          ? t(`enroll.${error.code}`, {}, error.message)
          : t('enroll.offline', { reason: refusalWords(error) });
      ctx.show(await enrol(ctx, entered, { code: reason }));
      return;
    }
    ctx.flash('ok', t('enrol.done', { outlet: ctx.device.outlet.name, tag: ctx.device.tag }));
    ctx.startSync();
    ctx.go('#/setup');
  });
  return [h('h1', {}, t('enrol.title')), h('p', {}, t('enrol.intro')), errorSummary(t('form.errors'), errors), form];
}
