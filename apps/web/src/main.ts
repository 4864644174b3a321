/**
 * The arctalk web page: the setup form (relay, room, name, passphrase, mode, a link
 * to copy), then the conversation: the SAS words with "they match" / "they differ",
 * the verification state, two panes, line or live input. Everything about the
 * protocol is in conversation.ts; this file only reads and writes the DOM (text is
 * always set as text, never as HTML).
 *
 * @module
 */
import { Conversation, type ConversationUpdate, relayUrl, type Verification } from './conversation';
import { appendToPane, linkFor, readFragment } from './view';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element as T;
};

const setup = $<HTMLFormElement>('setup');
const relayInput = $<HTMLInputElement>('relay');
const roomInput = $<HTMLInputElement>('room');
const nameInput = $<HTMLInputElement>('name');
const passphraseInput = $<HTMLInputElement>('passphrase');
const linkSecret = $<HTMLInputElement>('link-secret');
const linkOutput = $<HTMLInputElement>('link');
const talk = $('talk');
const status = $('status');
const sasBox = $('sas-box');
const sasWords = $('sas');
const mine = $('mine');
const theirs = $('theirs');
const input = $<HTMLTextAreaElement>('input');
const sendButton = $<HTMLButtonElement>('send');
const notice = $('notice');

let conversation: Conversation | undefined;
let live = false;
let peerName = 'peer';
const panes = { mine: '', theirs: '' };

function setStatus(text: string, tone: 'idle' | 'busy' | 'warn' | 'good' | 'bad'): void {
  status.textContent = text;
  status.dataset.tone = tone;
  document.body.dataset.state = tone;
}

function say(text: string, tone: 'info' | 'bad' = 'info'): void {
  notice.textContent = text;
  notice.dataset.tone = tone;
}

function show(pane: 'mine' | 'theirs', text: string): void {
  panes[pane] = appendToPane(panes[pane], text);
  const element = pane === 'mine' ? mine : theirs;
  const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
  element.textContent = panes[pane];
  if (atBottom) element.scrollTop = element.scrollHeight;
}

function verificationStatus(verification: Verification): void {
  switch (verification) {
    case 'unverified':
      setStatus(`unverified: compare the words with ${peerName}`, 'warn');
      return;
    case 'passphrase':
      setStatus(`verified: ${peerName} knows the passphrase`, 'good');
      sasDone(`${peerName} proved it knows the passphrase. The words, if you want to compare them too:`);
      return;
    case 'sas':
      setStatus(`verified: you compared the words with ${peerName}`, 'good');
      sasDone(`You and ${peerName} compared these words:`);
      return;
    case 'mismatch':
      setStatus('the words differ: someone may be in the middle', 'bad');
      return;
  }
}

/** The words stay on screen, smaller, without the buttons: there is nothing left to decide. */
function sasDone(prompt: string): void {
  sasBox.dataset.done = 'true';
  $('sas-prompt').textContent = prompt;
  $('sas-actions').hidden = true;
}

function enableInput(enabled: boolean): void {
  input.disabled = !enabled;
  sendButton.disabled = !enabled || live;
  input.placeholder = enabled
    ? live
      ? 'live mode: every key goes to your peer as you type'
      : 'type, Enter sends (Shift+Enter: a new line)'
    : 'nothing can be sent';
  if (enabled) input.focus();
}

function onUpdate(update: ConversationUpdate): void {
  switch (update.type) {
    case 'connecting':
      setStatus('connecting to the relay…', 'busy');
      return;
    case 'waiting':
      setStatus(`waiting for someone to join room "${roomInput.value || 'lobby'}"`, 'busy');
      return;
    case 'paired':
      peerName = update.peerName;
      $('their-title').textContent = peerName;
      document.querySelectorAll('.peer-name').forEach((element) => {
        element.textContent = peerName;
      });
      setStatus(`paired with ${peerName}: agreeing on keys…`, 'busy');
      return;
    case 'secured':
      sasWords.textContent = update.sasWords.join(' ');
      sasBox.hidden = false;
      verificationStatus(update.verification);
      enableInput(true);
      return;
    case 'verification':
      verificationStatus(update.verification);
      return;
    case 'text':
      show('theirs', update.text);
      return;
    case 'peer-ended':
      say(`${peerName} has finished sending.`);
      return;
    case 'peer-left':
      say(update.ended ? `${peerName} ended the conversation.` : `${peerName} left.`);
      return;
    case 'closed':
      enableInput(false);
      if (conversation?.verification !== 'mismatch') {
        setStatus(update.clean ? 'ended' : 'disconnected', update.clean ? 'idle' : 'bad');
      }
      if (!update.clean || notice.textContent === '') say(update.message, update.clean ? 'info' : 'bad');
      $<HTMLButtonElement>('leave').textContent = 'New conversation';
      return;
  }
}

function sendText(text: string): void {
  if (!conversation?.canSend || text === '') return;
  conversation.send(text);
  show('mine', text);
}

setup.addEventListener('submit', (event) => {
  event.preventDefault();
  live = (new FormData(setup).get('mode') ?? 'line') === 'live';
  try {
    conversation = new Conversation({
      relay: relayInput.value,
      room: roomInput.value.normalize('NFC'),
      name: nameInput.value.normalize('NFC'),
      passphrase: passphraseInput.value.normalize('NFC'),
      onUpdate,
    });
  } catch (error) {
    say((error as Error).message, 'bad');
    return;
  }
  passphraseInput.value = '';
  $('my-title').textContent = `you (${nameInput.value})`;
  setup.hidden = true;
  talk.hidden = false;
  say('');
});

$('copy-link').addEventListener('click', () => {
  let relay: string;
  try {
    relay = relayUrl(relayInput.value);
  } catch (error) {
    say((error as Error).message, 'bad');
    return;
  }
  const base = location.href.split('#')[0]!;
  const link = linkFor(base, {
    relay,
    room: roomInput.value,
    passphrase: linkSecret.checked ? passphraseInput.value : '',
  });
  linkOutput.hidden = false;
  linkOutput.value = link;
  linkOutput.select();
  navigator.clipboard?.writeText(link).then(
    () => say('Link copied.'),
    () => say('Copy the link above (the clipboard is not available here).'),
  );
});

$('sas-match').addEventListener('click', () => conversation?.confirmSas(true));
$('sas-differ').addEventListener('click', () => conversation?.confirmSas(false));
$('leave').addEventListener('click', () => {
  if (conversation?.canSend) {
    conversation.leave();
    return;
  }
  location.reload();
});

$('compose').addEventListener('submit', (event) => {
  event.preventDefault();
  if (live) return;
  const text = input.value;
  if (text === '') return;
  input.value = '';
  sendText(`${text}\n`);
});

input.addEventListener('keydown', (event) => {
  if (!live) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $<HTMLFormElement>('compose').requestSubmit();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  let text: string | undefined;
  if (event.key === 'Enter') text = '\n';
  else if (event.key === 'Backspace') text = '\x7f';
  else if (event.key === 'Tab') text = '\t';
  else if ([...event.key].length === 1) text = event.key;
  if (text === undefined) return;
  event.preventDefault();
  sendText(text);
});

input.addEventListener('paste', (event) => {
  if (!live) return; // line mode: the paste lands in the box and goes with Enter
  event.preventDefault();
  sendText(event.clipboardData?.getData('text/plain') ?? '');
});

// Fill the form from the link's #fragment (relay, room, passphrase), then take the
// passphrase out of the address bar and the history.
const fragment = readFragment(location.hash);
const here = location.protocol === 'https:' || location.protocol === 'http:';
relayInput.value =
  fragment.relay ?? (here ? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/` : '');
roomInput.value = fragment.room ?? '';
nameInput.value = fragment.name ?? '';
if (fragment.passphrase) {
  passphraseInput.value = fragment.passphrase;
  history.replaceState(null, '', linkFor(location.href.split('#')[0]!, { ...fragment, passphrase: '' }));
}
if (fragment.mode === 'live') setup.querySelector<HTMLInputElement>('input[value="live"]')!.checked = true;
setStatus('not connected', 'idle');
(relayInput.value === '' ? relayInput : nameInput.value === '' ? nameInput : $('connect')).focus();
