// Enrolling the phone: the hub's address (this page's own), the one-time code typed or read
// from the hub's enrolment QR code (`daiban://enroll?hub=...&code=...`) with the camera.
// Enrolling again (a revoked phone, a forgotten PIN) uses the same code form: screens/device.js.

import * as protocol from '../../protocol/index.js';
import { details, errorDetail, errorSummary, field, h } from '../dom.js';
import { enrolPhone, hubOrigin } from '../device.js';
import { known, t } from '../i18n.js';
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

// The browser's names for why the camera did not open, as the runner's words.
const CAMERA_PROBLEMS = {
  NotAllowedError: 'enrol.scan.denied',
  SecurityError: 'enrol.scan.denied',
  NotFoundError: 'enrol.scan.none',
  OverconstrainedError: 'enrol.scan.none',
  NotReadableError: 'enrol.scan.busy',
  AbortError: 'enrol.scan.busy',
};

/** Why the camera could not be used, in words: [words, technical detail]. */
export function cameraProblem(error) {
  const key = CAMERA_PROBLEMS[error && error.name] || (navigator.mediaDevices ? 'enrol.scan.no_camera' : 'enrol.scan.unsupported');
  return [t(key), errorDetail(error)];
}

/** The hub's refusal of an enrolment, in words: [words, technical detail]. */
export function enrolmentRefusal(error) {
  if (error instanceof protocol.HubRefused) {
    const key = `enroll.${error.code}`;
    const why = error.code === 'enroll.previous' && error.body?.reason === 'outlet' ? 'enroll.previous.outlet' : key;
    return [known(why) ? t(why) : t('enroll.refused'), errorDetail(error)];
  }
  if (error && error.code === 'enroll.outlet_change') return [t('enroll.outlet_change', error.params), errorDetail(error)];
  return [t('enroll.offline', { reason: refusalWords(error) }), errorDetail(error)];
}

/**
 * The code form: hub address, code (typed or scanned), phone name. `submit(entered, redraw)`
 * runs with the checked values `{hub, code, label}`; `redraw(values, errors, detail)` draws
 * the form again with problems.
 */
export function codeForm({ values = {}, errors = {}, detail = '', submitLabel, testid, onSubmit, redraw }) {
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
  const statusDetail = h('div');
  const video = h('video', { 'aria-label': t('enrol.scan.hint'), muted: true, playsinline: true });
  const scanner = h('div', { class: 'scanner', hidden: true }, video, h('div', { class: 'frame' }));
  let stop = null;
  const say = (words, technical = '') => {
    status.textContent = words;
    statusDetail.replaceChildren(...[details(technical)].filter(Boolean));
  };
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
      say(t('enrol.scan.hint'));
      scanner.hidden = false;
      scanButton.textContent = t('enrol.scan.stop');
      try {
        stop = await scanCamera(video, (text) => {
          const found = parseEnrolment(text);
          if (!found) {
            say(t('enrol.scan.not_enrol'));
            return false;
          }
          code.value = found.code;
          if (found.hub) hub.value = found.hub;
          say(t('enrol.scan.read'));
          stop = null;
          scanner.hidden = true;
          scanButton.textContent = t('enrol.scan');
          return true;
        });
      } catch (error) {
        stopScan();
        say(...cameraProblem(error));
      }
    },
  }, t('enrol.scan'));
  const submit = h('button', { class: 'primary big', type: 'submit', 'data-testid': testid }, submitLabel);
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': `${testid}-form` },
    field({ name: 'hub', label: t('enrol.hub'), errors, input: hub }),
    field({ name: 'code', label: t('enrol.code'), hint: t('enrol.code.hint'), errors, input: code }),
    details(detail),
    h('div', { class: 'actions' }, scanButton),
    scanner,
    status,
    statusDetail,
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
      await redraw(entered, problems, '');
      return;
    }
    submit.disabled = true;
    submit.textContent = t('enrol.working');
    try {
      await onSubmit(entered);
    } catch (error) {
      const [words, technical] = enrolmentRefusal(error);
      await redraw(entered, { code: words }, technical);
    }
  });
  return form;
}

export async function enrol(ctx, values = {}, errors = {}, detail = '') {
  const form = codeForm({
    values,
    errors,
    detail,
    submitLabel: t('enrol.submit'),
    testid: 'enrol',
    redraw: async (v, e, d) => ctx.show(await enrol(ctx, v, e, d)),
    onSubmit: async (entered) => {
      ctx.device = await enrolPhone(ctx.db, entered);
      ctx.flash('ok', t('enrol.done', { outlet: ctx.device.outlet.name, tag: ctx.device.tag }));
      ctx.startSync();
      ctx.go('#/setup');
    },
  });
  return [h('h1', {}, t('enrol.title')), h('p', {}, t('enrol.intro')), errorSummary(t('form.errors'), errors), form];
}
