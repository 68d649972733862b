// Reporting in three clicks: Report, a reason, Send report. The dialog then says what happens next.
import { $, fill, h } from './dom.js';
import { call } from './session.js';
import { ILLEGAL_REASONS, RULE_REASONS, refusalText } from './words.js';

let target = null;

export function initReport() {
  const dialog = $('report');
  const form = $('report-form');
  const radio = ([value, label]) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'reason', value }), ` ${label}`);
  $('report-illegal').append(...ILLEGAL_REASONS.map(radio));
  $('report-rules').append(...RULE_REASONS.map(radio));
  $('report-cancel').addEventListener('click', () => dialog.close());
  $('report-close').addEventListener('click', () => dialog.close());
  $('report-mine').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => (target = null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!target) return;
    const reason = form.elements.reason.value;
    if (!reason) return fill($('report-error'), 'Choose what is wrong with it.');
    const input = { targetType: target.type, targetId: target.id, reason };
    const comment = form.elements.comment.value.trim();
    if (comment) input.comment = comment;
    const send = $('report-send');
    send.disabled = true;
    try {
      await call('report:create', input);
      showDone();
    } catch (error) {
      if (error.code === 'conflict') showDone('You had already reported this; your first report stands.');
      else fill($('report-error'), refusalText(error));
    } finally {
      send.disabled = false;
    }
  });
}

function showDone(note) {
  $('report-choose').hidden = true;
  $('report-done').hidden = false;
  if (note) $('report-done').querySelector('.done').append(h('br'), note);
  $('report-close').focus();
}

/**
 * Opens the report dialog for a message, a person or a chat; `subject` says what, in words
 * (a quote of the message, the person's name, the chat's title).
 */
export function openReport(type, id, subject) {
  target = { type, id };
  const form = $('report-form');
  form.reset();
  fill($('report-title'), { message: 'Report a message', user: 'Report a person', chat: 'Report a chat' }[type]);
  fill($('report-subject'), subject);
  fill($('report-error'));
  $('report-choose').hidden = false;
  $('report-done').hidden = true;
  fill($('report-done').querySelector('.done'), h('strong', {}, 'Report sent'));
  $('report').showModal();
  form.querySelector('input[name=reason]').focus();
}

/** A button named "Report" that opens the dialog for this target. */
export function reportButton(type, id, subject) {
  return h(
    'button',
    { type: 'button', class: 'report-button', 'data-report': type, onclick: () => openReport(type, id, subject()) },
    'Report',
  );
}
