import { isIPv6 } from 'node:net';
import { invalid, type PatternLocation } from './errors.ts';

/**
 * IP addresses as EventBridge reads them: a string is an address only when it looks like one
 * (four dotted decimals, or hex digits and colons) and parses; IPv4-mapped IPv6 addresses count as
 * IPv4, as they do for the JVM that EventBridge runs on. Host names are never resolved.
 */

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** True for strings that EventBridge treats as an IP address literal in an exact-match value. */
export function looksLikeIp(text: string): boolean {
  return IPV4_SHAPE.test(text) || IPV6_SHAPE.test(text);
}

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (part === undefined || part.length === 0 || part.length > 3) return undefined;
    const value = Number(part);
    if (!(value <= 255)) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIPv6(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): string[] =>
    half === undefined || half === '' ? [] : half.split(':');
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  // ::ffff:a.b.c.d written in hex is an IPv4 address to the JVM.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12);
  }
  return bytes;
}

/** The address's bytes (4 or 16), or undefined when `text` is not an IP address literal. */
export function parseIp(text: string): Uint8Array | undefined {
  if (IPV4_SHAPE.test(text)) return parseIPv4(text);
  if (IPV6_SHAPE.test(text)) return parseIPv6(text);
  return undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** An inclusive range of addresses of one family. */
export interface IpRange {
  readonly bottom: Uint8Array;
  readonly top: Uint8Array;
}

/** True when the address is of the range's family and within it. */
export function ipInRange(address: Uint8Array, range: IpRange): boolean {
  return (
    address.length === range.bottom.length &&
    compareBytes(address, range.bottom) >= 0 &&
    compareBytes(address, range.top) <= 0
  );
}

/** True when both are the same address (IPv6 written differently still compares equal). */
export function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

const MASK_BITS = /^[+-]?[0-9]{1,10}$/;

/**
 * Parses a `cidr` operand. Like EventBridge: exactly one `/`; the range runs from the address as
 * written (host bits are not cleared) to the address with all host bits set; the mask must be
 * below 32 (IPv4) or 128 (IPv6).
 */
export function parseCidr(text: string, location: PatternLocation): IpRange {
  const slashed = text.split('/');
  const [address, mask] = slashed;
  if (slashed.length !== 2 || address === undefined || mask === undefined) {
    return invalid("Malformed CIDR, one '/' required", location);
  }
  const bits = MASK_BITS.test(mask) ? Number(mask) : Number.NaN;
  if (!Number.isInteger(bits) || bits > 2 ** 31 - 1) {
    return invalid('Malformed CIDR, mask bits must be an integer', location);
  }
  if (bits < 0) return invalid('Malformed CIDR, mask bits must not be negative', location);
  const bottom = parseIp(address);
  if (!bottom) return invalid(`Invalid IP address: ${address}`, location);
  const width = bottom.length * 8;
  if (bits >= width) {
    return invalid(`IPv${bottom.length === 4 ? 4 : 6} mask bits must be < ${width}`, location);
  }
  const top = bottom.slice();
  let hostBits = width - bits;
  for (let i = top.length - 1; i >= 0 && hostBits > 0; i--, hostBits -= 8) {
    top[i] = (top[i] ?? 0) | (hostBits >= 8 ? 0xff : (1 << hostBits) - 1);
  }
  return { bottom, top };
}
