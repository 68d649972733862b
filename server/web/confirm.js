// One confirmation dialog for what cannot be undone (deleting a message, the account) and for an appeal's text.
import { $, fill } from './dom.js';
import { refusalText } from './words.js';

let pending = null;

export function initConfirm() {
  const dialog = $('confirm');
  const form = $('confirm-form');
  $('confirm-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => (pending = null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    const text = form.elements.input.value.trim();
    if (pending.input && !text) return fill($('confirm-error'), `${pending.input} is required.`);
    const ok = $('confirm-ok');
    ok.disabled = true;
    try {
      await pending.perform(text);
      dialog.close();
    } catch (error) {
      fill($('confirm-error'), refusalText(error));
    } finally {
      ok.disabled = false;
    }
  });
}

/** Asks first; `perform` runs on confirmation and the dialog stays open, showing the refusal, if it fails. */
export function confirmThen({ title, text, okLabel = 'Confirm', danger = true, input = null, perform }) {
  const form = $('confirm-form');
  pending = { perform, input };
  fill($('confirm-title'), title);
  fill($('confirm-text'), text);
  fill($('confirm-error'));
  fill($('confirm-ok'), okLabel);
  $('confirm-ok').classList.toggle('danger', danger);
  form.elements.input.value = '';
  $('confirm-input-label').hidden = !input;
  form.elements.input.required = Boolean(input);
  if (input) fill($('confirm-input-name'), input);
  $('confirm').showModal();
  (input ? form.elements.input : $('confirm-cancel')).focus();
}
