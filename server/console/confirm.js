// The confirmation dialog every action goes through: a required reason, a duration where it applies.
import { $, fill, errorText } from './dom.js';

let pending = null;

export function initConfirm() {
  const dialog = $('confirm');
  const form = $('confirm-form');
  $('confirm-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => (pending = null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    const reason = form.elements.reason.value.trim();
    if (!reason) return fill($('confirm-error'), 'A reason is required.');
    const seconds = Number(form.elements.duration.value);
    const ok = $('confirm-ok');
    ok.disabled = true;
    try {
      await pending.perform({ reason, durationSec: pending.withDuration && seconds > 0 ? seconds : undefined });
      dialog.close();
    } catch (error) {
      fill($('confirm-error'), errorText(error));
    } finally {
      ok.disabled = false;
    }
  });
}

/** Opens the dialog; `perform` runs on confirmation and the dialog stays open, showing the refusal, if it fails. */
export function confirmAction({ title, text, withDuration, perform }) {
  const form = $('confirm-form');
  pending = { perform, withDuration };
  fill($('confirm-title'), title);
  fill($('confirm-text'), text);
  fill($('confirm-error'));
  form.elements.reason.value = '';
  $('confirm-duration-label').hidden = !withDuration;
  $('confirm').showModal();
  form.elements.reason.focus();
}

export const confirmOpen = () => $('confirm').open;
