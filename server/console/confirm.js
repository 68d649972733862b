// The confirmation dialog every action goes through: a required reason, a duration or a ground where it applies.
import { $, fill, h, errorText } from './dom.js';

/** A chat's grounds for closing: the report reasons, grounds of illegal content (HTTP 451) first. */
export const ILLEGAL_GROUNDS = [
  'child_abuse',
  'terrorism',
  'non_consensual_imagery',
  'illegal_goods',
  'scam',
  'copyright',
];
export const OTHER_GROUNDS = ['violence', 'sexual_content', 'hate', 'harassment', 'personal_data', 'spam', 'other'];

let pending = null;

export function initConfirm() {
  const dialog = $('confirm');
  const form = $('confirm-form');
  form.elements.category.append(
    h('option', { value: '' }, 'Choose a ground'),
    h(
      'optgroup',
      { label: 'Illegal content' },
      ILLEGAL_GROUNDS.map((g) => h('option', { value: g }, g)),
    ),
    h(
      'optgroup',
      { label: 'Other grounds' },
      OTHER_GROUNDS.map((g) => h('option', { value: g }, g)),
    ),
  );
  $('confirm-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => (pending = null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    const category = form.elements.category.value;
    if (pending.withCategory && !category) return fill($('confirm-error'), 'Choose the ground it is closed on.');
    const reason = form.elements.reason.value.trim();
    if (!reason) return fill($('confirm-error'), 'A reason is required.');
    const seconds = Number(form.elements.duration.value);
    const ok = $('confirm-ok');
    ok.disabled = true;
    try {
      await pending.perform({
        reason,
        durationSec: pending.withDuration && seconds > 0 ? seconds : undefined,
        category: pending.withCategory ? category : undefined,
      });
      dialog.close();
    } catch (error) {
      fill($('confirm-error'), errorText(error));
    } finally {
      ok.disabled = false;
    }
  });
}

/**
 * Opens the dialog; `perform` runs on confirmation and the dialog stays open, showing the refusal, if it fails.
 * `withCategory` asks for a chat's ground for closing, preselecting `category` when given.
 */
export function confirmAction({ title, text, withDuration, withCategory = false, category = '', perform }) {
  const form = $('confirm-form');
  pending = { perform, withDuration, withCategory };
  fill($('confirm-title'), title);
  fill($('confirm-text'), text);
  fill($('confirm-error'));
  form.elements.reason.value = '';
  form.elements.category.value = withCategory ? category : '';
  $('confirm-duration-label').hidden = !withDuration;
  $('confirm-category-label').hidden = !withCategory;
  form.elements.category.required = withCategory;
  $('confirm').showModal();
  (withCategory ? form.elements.category : form.elements.reason).focus();
}

/** True while any dialog of the console is open: page shortcuts wait until it is closed. */
export const confirmOpen = () => document.querySelector('dialog[open]') !== null;
