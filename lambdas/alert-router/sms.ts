/**
 * SMS bodies that fit ONE segment, counted the way carriers bill them (3GPP TS 23.038):
 * - GSM-7 when the text can be written in it: 160 septets, characters of the extension table
 *   (^ { } \ [ ~ ] | € and form feed) count 2 (escape + character);
 * - UCS-2 otherwise: 70 UTF-16 code units (an emoji outside the BMP counts 2).
 * A single character outside GSM-7 switches the whole message to UCS-2, so our own punctuation is
 * transliterated (… → ..., — → -, “ ” → ") and accents outside the alphabet are dropped (ï → i).
 * Only when the alarm's own text holds something with no GSM-7 spelling (emoji, Cyrillic, CJK, …)
 * is the message sent as UCS-2, untransliterated. Cuts end with "..." on a grapheme boundary.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** One segment: 160 GSM-7 septets or 70 UCS-2 code units. */
export const SMS_LIMITS: Readonly<Record<SmsEncoding, number>> = { 'GSM-7': 160, 'UCS-2': 70 };
export const SMS_ELLIPSIS = '...';

/** The GSM 03.38 default alphabet (escape excluded), one character each. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: each costs two septets. */
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

/** Spellings for common characters outside GSM-7 (typography our own templates and users write). */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  '…': '...',
  '—': '-',
  '–': '-',
  '‐': '-',
  '‑': '-',
  '−': '-',
  '·': '-',
  '•': '-',
  '“': '"',
  '”': '"',
  '„': '"',
  '«': '"',
  '»': '"',
  '‘': "'",
  '’': "'",
  '‚': "'",
  '`': "'",
  '´': "'",
  '→': '->',
  '←': '<-',
  '⇒': '=>',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '×': 'x',
  '\u00a0': ' ',
  '\u202f': ' ',
  '\t': ' ',
};

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

function septetsOf(char: string): number | undefined {
  if (GSM_BASIC.has(char)) return 1;
  if (GSM_EXTENSION.has(char)) return 2;
  return undefined;
}

/** GSM-7 spelling of one character, or undefined when it has none. */
function gsmSpelling(char: string): string | undefined {
  if (septetsOf(char) !== undefined) return char;
  const mapped = TRANSLITERATIONS[char];
  if (mapped !== undefined) return mapped;
  // drop accents the alphabet lacks (ï → i, ł stays unknown): decompose and keep the base letters
  const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
  if (base && base !== char && [...base].every((c) => septetsOf(c) !== undefined)) return base;
  return undefined;
}

/** `text` written in GSM-7, or undefined when some character has no GSM-7 spelling. */
export function toGsm7(text: string): string | undefined {
  let out = '';
  for (const char of text) {
    const spelled = gsmSpelling(char);
    if (spelled === undefined) return undefined;
    out += spelled;
  }
  return out;
}

/** Septets `text` takes in GSM-7 (extension characters 2); undefined when it is not GSM-7. */
export function gsm7Length(text: string): number | undefined {
  let total = 0;
  for (const char of text) {
    const size = septetsOf(char);
    if (size === undefined) return undefined;
    total += size;
  }
  return total;
}

/** UTF-16 code units, which is what UCS-2 (in practice UTF-16) bills. */
export function ucs2Length(text: string): number {
  return text.length;
}

/** The encoding a finished SMS body goes out in. */
export function smsEncodingOf(text: string): SmsEncoding {
  return gsm7Length(text) === undefined ? 'UCS-2' : 'GSM-7';
}

export function smsLength(text: string, encoding: SmsEncoding): number {
  return encoding === 'GSM-7' ? (gsm7Length(text) ?? Number.POSITIVE_INFINITY) : ucs2Length(text);
}

export interface FittedSms {
  readonly text: string;
  readonly encoding: SmsEncoding;
  /** Septets (GSM-7) or code units (UCS-2) used, at most SMS_LIMITS[encoding]. */
  readonly length: number;
  readonly limit: number;
}

/**
 * The SMS for `text`: GSM-7 if the text can be written in it (after transliteration), else UCS-2;
 * cut to one segment with "..." on a grapheme boundary when longer.
 */
export function fitSms(text: string): FittedSms {
  const gsm = toGsm7(text);
  const encoding: SmsEncoding = gsm === undefined ? 'UCS-2' : 'GSM-7';
  const body = gsm ?? text;
  const limit = SMS_LIMITS[encoding];
  const measure = (value: string) => smsLength(value, encoding);
  if (measure(body) <= limit) return { text: body, encoding, length: measure(body), limit };
  const room = limit - measure(SMS_ELLIPSIS);
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(body)) {
    const size = measure(segment);
    if (used + size > room) break;
    out += segment;
    used += size;
  }
  const cut = `${out.trimEnd()}${SMS_ELLIPSIS}`;
  return { text: cut, encoding, length: measure(cut), limit };
}

/** `text` in GSM-7 whatever it holds: a character with no GSM-7 spelling becomes "?". */
export function toGsm7Lossy(text: string): string {
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    out += toGsm7(segment) ?? '?';
  }
  return out;
}

/** Cuts GSM-7 text to `room` septets with "..." on a character boundary. */
function cutGsm7(text: string, room: number): string {
  if ((gsm7Length(text) ?? 0) <= room) return text;
  const budget = room - SMS_ELLIPSIS.length;
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = septetsOf(char) ?? 1;
    if (used + size > budget) break;
    out += char;
    used += size;
  }
  return `${out.trimEnd()}${SMS_ELLIPSIS}`;
}

/**
 * A page with a link in ONE GSM-7 segment (160 septets): the link whole at the end, the text before it
 * cut to what is left. The link decides the encoding: a UCS-2 segment (70) would leave no room, so
 * characters of the text with no GSM-7 spelling become "?".
 */
export function fitSmsWithLink(text: string, link: string): FittedSms {
  const linkLength = gsm7Length(link);
  const limit = SMS_LIMITS['GSM-7'];
  if (linkLength === undefined || linkLength > limit - 20) {
    throw new Error(`the acknowledge link "${link}" is too long for one SMS with its text`);
  }
  const body = `${cutGsm7(toGsm7Lossy(text), limit - 1 - linkLength)} ${link}`;
  return { text: body, encoding: 'GSM-7', length: gsm7Length(body) ?? limit, limit };
}
