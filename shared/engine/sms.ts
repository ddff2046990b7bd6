/**
 * SMS encoding and segment counting. An SMS is billed per part, and one character outside the GSM-7
 * alphabet (a curly apostrophe, an `ë`, an emoji) switches the whole message to UCS-2 and more than
 * halves what fits in a part. Templates are checked with this at load time and every rendered SMS
 * reports its parts, so marketers see the cost of their words before the bill does.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  readonly encoding: SmsEncoding;
  /** Parts the carrier bills; 0 for an empty text. */
  readonly segments: number;
  /** GSM-7 septets (an extension character counts 2) or UCS-2 UTF-16 code units (an emoji counts 2). */
  readonly length: number;
}

/** Characters per part: a single SMS, and each part of a concatenated one (the rest holds the UDH). */
export const SMS_LIMITS = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
} as const satisfies Record<SmsEncoding, { single: number; multi: number }>;

/** GSM 03.38 basic character set (the escape code 0x1B is left out: it only introduces the extension table). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** GSM 03.38 extension table: each of these is sent as escape + character, two septets. */
const GSM_EXTENSION = '\f^{}\\[~]|€';

/**
 * Septets per UTF-16 code unit: 0 = not in GSM-7, 1 = basic set, 2 = extension table. A lookup table
 * rather than a Set, because every rendered SMS is measured on the hot path. All GSM-7 characters
 * are in the Basic Multilingual Plane, so one code unit is one character here.
 */
const GSM_SEPTETS = new Uint8Array(0x10000);
for (const ch of GSM_BASIC) GSM_SEPTETS[ch.charCodeAt(0)] = 1;
for (const ch of GSM_EXTENSION) GSM_SEPTETS[ch.charCodeAt(0)] = 2;

const septetsOf = (text: string, i: number): number => GSM_SEPTETS[text.charCodeAt(i)] ?? 0;

/** True when every character of `text` is in the GSM-7 basic set or its extension table. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (septetsOf(text, i) === 0) return false;
  return true;
}

/** The distinct characters that force UCS-2, in order of appearance (for a marketer-facing hint). */
export function nonGsm7Characters(text: string): string[] {
  const found = new Set<string>();
  for (const ch of text) if (ch.length > 1 || septetsOf(ch, 0) === 0) found.add(ch);
  return [...found];
}

const isSurrogatePair = (text: string, i: number): boolean => {
  const unit = text.charCodeAt(i);
  return unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length;
};

/**
 * The encoding, the number of billed parts and the length of an SMS text: GSM-7 160 characters
 * single or 153 per part, UCS-2 70 code units single or 67 per part. Like carriers, it never splits
 * a 2-wide unit (a GSM-7 escape pair, a UTF-16 surrogate pair) across two parts, so such a unit may
 * move to the next part whole.
 */
export function smsSegments(text: string): SmsSegments {
  const encoding: SmsEncoding = isGsm7(text) ? 'GSM-7' : 'UCS-2';
  const gsm = encoding === 'GSM-7';
  const { single, multi } = SMS_LIMITS[encoding];
  let length = 0;
  if (gsm) for (let i = 0; i < text.length; i++) length += septetsOf(text, i);
  else length = text.length;
  if (length <= single) return { encoding, segments: length === 0 ? 0 : 1, length };
  let parts = 1;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    let width = 1;
    if (gsm) width = septetsOf(text, i);
    else if (isSurrogatePair(text, i)) {
      width = 2;
      i += 1;
    }
    if (used + width > multi) {
      parts += 1;
      used = 0;
    }
    used += width;
  }
  return { encoding, segments: parts, length };
}
