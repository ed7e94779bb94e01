// Setting up the phone's runner (name, staff code, PIN) and signing in with the PIN.

import { errorSummary, field, formValues, h } from '../dom.js';
import { t } from '../i18n.js';
import { PIN_MAX, runnerProblems, saveRunner, signIn } from '../pin.js';
import * as session from '../session.js';

function words(problems) {
  return Object.fromEntries(Object.entries(problems).map(([name, [key, params]]) => [name, t(key, params)]));
}

export async function setup(ctx, values = {}, errors = {}) {
  if (ctx.runner) {
    ctx.go('#/signin');
    return [];
  }
  const suggested = `runner-${ctx.device.tag.toLowerCase()}`;
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': 'setup-form' },
    field({ name: 'name', label: t('setup.name'), errors, input: h('input', { type: 'text', value: values.name || '', autocomplete: 'name' }) }),
    field({
      name: 'code',
      label: t('setup.code'),
      hint: t('setup.code.hint'),
      errors,
      input: h('input', { type: 'text', value: values.code ?? suggested, autocomplete: 'off', autocapitalize: 'none' }),
    }),
    field({ name: 'pin', label: t('setup.pin'), hint: t('setup.pin.hint'), errors, input: h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: String(PIN_MAX) }) }),
    field({ name: 'pin2', label: t('setup.pin2'), errors, input: h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: String(PIN_MAX) }) }),
    h('button', { class: 'primary big', type: 'submit' }, t('setup.submit')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const got = formValues(form);
    const entered = { name: got.name || '', code: (got.code || '').trim(), pin: got.pin || '', pin2: got.pin2 || '' };
    const problems = runnerProblems(entered);
    if (Object.keys(problems).length) {
      ctx.show(await setup(ctx, entered, words(problems)));
      return;
    }
    form.querySelector('button').disabled = true;
    ctx.runner = await saveRunner(ctx.db, entered);
    session.signInNow(ctx.runner);
    ctx.go('#/today');
  });
  return [
    h('h1', {}, t('setup.title')),
    h('p', {}, t('setup.intro', { outlet: ctx.device.outlet.name })),
    errorSummary(t('form.errors'), errors),
    form,
  ];
}

export async function signin(ctx, errors = {}) {
  if (!ctx.runner) {
    ctx.go('#/setup');
    return [];
  }
  const pin = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'current-password', maxlength: String(PIN_MAX) });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': 'signin-form' },
    h('p', {}, t('signin.who', { name: ctx.runner.name, code: ctx.runner.code })),
    field({ name: 'pin', label: t('signin.pin'), errors, input: pin }),
    h('button', { class: 'primary big', type: 'submit' }, t('signin.submit')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pin.value) {
      ctx.show(await signin(ctx, { pin: t('signin.empty') }));
      return;
    }
    form.querySelector('button').disabled = true;
    const outcome = await signIn(ctx.db, pin.value);
    if (outcome.ok) {
      session.signInNow(ctx.runner);
      ctx.startSync();
      ctx.go('#/today');
      return;
    }
    const why =
      outcome.reason === 'locked'
        ? t('signin.locked', { minutes: Math.max(1, Math.ceil((outcome.until - Date.now()) / 60000)) })
        : t('signin.wrong', { left: outcome.left });
    ctx.show(await signin(ctx, { pin: why }));
  });
  setTimeout(() => pin.focus(), 0);
  return [
    h('h1', {}, t('signin.title')),
    form,
    // A forgotten PIN: enrol the phone again with a new code from the hub operator. The new
    // runner sets a new PIN; every unsent record stays and is sent under the new key.
    h('p', {}, h('a', { href: '#/reenrol', 'data-testid': 'forgot-pin' }, t('signin.forgot'))),
  ];
}
