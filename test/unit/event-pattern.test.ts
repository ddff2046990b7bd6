import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  InvalidEventPatternError,
  testEventPattern,
  validateEventPattern,
} from '#shared/event-pattern/index.ts';

/** The envelope every EventBridge event has; cases add their own fields. */
const envelope = {
  version: '0',
  id: '7f1c',
  source: 'shop',
  'detail-type': 'OrderPlaced',
  account: '123456789012',
  time: '2024-05-01T10:00:00Z',
  region: 'eu-west-1',
  resources: [] as unknown[],
};
const event = (fields: Record<string, unknown>): Record<string, unknown> => ({ ...envelope, ...fields });
const detail = (fields: Record<string, unknown>): Record<string, unknown> => event({ detail: fields });

interface MatchCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: unknown;
  readonly matches: boolean;
}

const matchCases: MatchCase[] = [
  // Exact values
  { name: 'exact string', pattern: { source: ['shop'] }, event: event({}), matches: true },
  { name: 'exact string is case-sensitive', pattern: { source: ['Shop'] }, event: event({}), matches: false },
  { name: 'any of several values', pattern: { source: ['crm', 'shop'] }, event: event({}), matches: true },
  {
    name: 'all fields must match',
    pattern: { source: ['shop'], region: ['us-east-1'] },
    event: event({}),
    matches: false,
  },
  { name: 'keys are case-sensitive', pattern: { SOURCE: ['shop'] }, event: event({}), matches: false },
  {
    name: 'number equals number',
    pattern: { detail: { n: [300] } },
    event: detail({ n: 300 }),
    matches: true,
  },
  {
    name: 'number compares by value (300 = 300.0 = 3.0e2)',
    pattern: { detail: { n: [300] } },
    event: JSON.parse('{"detail":{"n":3.0e2}}'),
    matches: true,
  },
  {
    name: 'number never equals a string',
    pattern: { detail: { n: [300] } },
    event: detail({ n: '300' }),
    matches: false,
  },
  {
    name: 'string never equals a number',
    pattern: { detail: { n: ['300'] } },
    event: detail({ n: 300 }),
    matches: false,
  },
  { name: 'boolean', pattern: { detail: { ok: [false] } }, event: detail({ ok: false }), matches: true },
  {
    name: 'boolean mismatch',
    pattern: { detail: { ok: [false] } },
    event: detail({ ok: true }),
    matches: false,
  },
  {
    name: 'null matches null',
    pattern: { detail: { r: [null] } },
    event: detail({ r: null }),
    matches: true,
  },
  {
    name: 'null is not the string "null"',
    pattern: { detail: { r: [null] } },
    event: detail({ r: 'null' }),
    matches: false,
  },
  {
    name: 'null does not match a missing field',
    pattern: { detail: { r: [null] } },
    event: detail({}),
    matches: false,
  },
  {
    name: 'empty string matches empty string',
    pattern: { detail: { v: [''] } },
    event: detail({ v: '' }),
    matches: true,
  },
  {
    name: 'empty string is not null',
    pattern: { detail: { v: [''] } },
    event: detail({ v: null }),
    matches: false,
  },
  {
    name: 'nested objects follow the event structure',
    pattern: { detail: { order: { status: ['paid'] } } },
    event: detail({ order: { status: 'paid' } }),
    matches: true,
  },
  {
    name: 'a JSON string is not parsed into an object',
    pattern: { detail: { order: { status: ['paid'] } } },
    event: detail({ order: '{"status":"paid"}' }),
    matches: false,
  },
  // Arrays in events
  {
    name: 'event array: any element may match',
    pattern: { resources: ['arn:b'] },
    event: event({ resources: ['arn:a', 'arn:b'] }),
    matches: true,
  },
  {
    name: 'event array: no element matches',
    pattern: { resources: ['arn:c'] },
    event: event({ resources: ['arn:a'] }),
    matches: false,
  },
  {
    name: 'empty event array has no value, not even null',
    pattern: { resources: [null] },
    event: event({}),
    matches: false,
  },
  {
    name: 'objects in an array: fields from the same element',
    pattern: { detail: { items: { sku: ['A'], qty: [2] } } },
    event: detail({
      items: [
        { sku: 'B', qty: 2 },
        { sku: 'A', qty: 2 },
      ],
    }),
    matches: true,
  },
  {
    name: 'objects in an array: fields from different elements do not combine',
    pattern: { detail: { items: { sku: ['A'], qty: [2] } } },
    event: detail({
      items: [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 2 },
      ],
    }),
    matches: false,
  },
  // prefix / suffix / equals-ignore-case
  { name: 'prefix', pattern: { time: [{ prefix: '2024-05' }] }, event: event({}), matches: true },
  { name: 'prefix mismatch', pattern: { time: [{ prefix: '2023' }] }, event: event({}), matches: false },
  {
    name: 'prefix only applies to strings',
    pattern: { detail: { n: [{ prefix: '1' }] } },
    event: detail({ n: 12 }),
    matches: false,
  },
  {
    name: 'empty prefix matches any string',
    pattern: { source: [{ prefix: '' }] },
    event: event({}),
    matches: true,
  },
  {
    name: 'prefix ignoring case',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    event: detail({ service: 'eventbridge' }),
    matches: true,
  },
  {
    name: 'suffix',
    pattern: { detail: { file: [{ suffix: '.png' }] } },
    event: detail({ file: 'a.png' }),
    matches: true,
  },
  {
    name: 'suffix is case-sensitive',
    pattern: { detail: { file: [{ suffix: '.PNG' }] } },
    event: detail({ file: 'a.png' }),
    matches: false,
  },
  {
    name: 'suffix ignoring case',
    pattern: { detail: { file: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    event: detail({ file: 'A.PNG' }),
    matches: true,
  },
  {
    name: 'equals-ignore-case',
    pattern: { source: [{ 'equals-ignore-case': 'SHOP' }] },
    event: event({}),
    matches: true,
  },
  {
    name: 'equals-ignore-case mismatch',
    pattern: { source: [{ 'equals-ignore-case': 'shops' }] },
    event: event({}),
    matches: false,
  },
  // anything-but
  {
    name: 'anything-but string',
    pattern: { detail: { s: [{ 'anything-but': 'init' }] } },
    event: detail({ s: 'run' }),
    matches: true,
  },
  {
    name: 'anything-but excludes the value',
    pattern: { detail: { s: [{ 'anything-but': 'init' }] } },
    event: detail({ s: 'init' }),
    matches: false,
  },
  {
    name: 'anything-but needs the field',
    pattern: { detail: { s: [{ 'anything-but': 'init' }] } },
    event: detail({}),
    matches: false,
  },
  {
    name: 'anything-but accepts null',
    pattern: { detail: { s: [{ 'anything-but': 'init' }] } },
    event: detail({ s: null }),
    matches: true,
  },
  {
    name: 'anything-but number list',
    pattern: { detail: { n: [{ 'anything-but': [100, 200] }] } },
    event: detail({ n: 200 }),
    matches: false,
  },
  {
    name: 'anything-but number does not exclude a string',
    pattern: { detail: { n: [{ 'anything-but': 123 }] } },
    event: detail({ n: '123' }),
    matches: true,
  },
  {
    name: 'anything-but prefix',
    pattern: { detail: { s: [{ 'anything-but': { prefix: 'init' } }] } },
    event: detail({ s: 'initial' }),
    matches: false,
  },
  {
    name: 'anything-but prefix accepts non-strings',
    pattern: { detail: { s: [{ 'anything-but': { prefix: 'init' } }] } },
    event: detail({ s: 12 }),
    matches: true,
  },
  {
    name: 'anything-but suffix list',
    pattern: { detail: { f: [{ 'anything-but': { suffix: ['.txt', '.jpg'] } }] } },
    event: detail({ f: 'a.txt.bak' }),
    matches: true,
  },
  {
    name: 'anything-but equals-ignore-case list',
    pattern: { detail: { s: [{ 'anything-but': { 'equals-ignore-case': ['stopped', 'init'] } }] } },
    event: detail({ s: 'Stopped' }),
    matches: false,
  },
  {
    name: 'anything-but wildcard',
    pattern: { detail: { p: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    event: detail({ p: '/usr/lib/x' }),
    matches: false,
  },
  {
    name: 'anything-but on an array: one other element suffices',
    pattern: { detail: { n: [{ 'anything-but': [100, 500] }] } },
    event: detail({ n: [100, 50] }),
    matches: true,
  },
  // numeric
  {
    name: 'numeric range',
    pattern: { detail: { c: [{ numeric: ['>', 0, '<=', 5] }] } },
    event: detail({ c: 5 }),
    matches: true,
  },
  {
    name: 'numeric open bound',
    pattern: { detail: { c: [{ numeric: ['>', 0, '<=', 5] }] } },
    event: detail({ c: 0 }),
    matches: false,
  },
  {
    name: 'numeric equals',
    pattern: { detail: { x: [{ numeric: ['=', 3.018e2] }] } },
    event: detail({ x: 301.8 }),
    matches: true,
  },
  {
    name: 'numeric less than',
    pattern: { detail: { d: [{ numeric: ['<', 10] }] } },
    event: detail({ d: 10 }),
    matches: false,
  },
  {
    name: 'numeric ignores numeric strings',
    pattern: { detail: { n: [{ numeric: ['>', 1] }] } },
    event: detail({ n: '50' }),
    matches: false,
  },
  {
    name: 'numeric ignores null',
    pattern: { detail: { n: [{ numeric: ['>', 1] }] } },
    event: detail({ n: null }),
    matches: false,
  },
  {
    name: 'numeric compares at most 6 decimals',
    pattern: { detail: { n: [{ numeric: ['>', 1] }] } },
    event: detail({ n: 1.0000001 }),
    matches: false,
  },
  // exists
  {
    name: 'exists true',
    pattern: { detail: { s: [{ exists: true }] } },
    event: detail({ s: 'x' }),
    matches: true,
  },
  {
    name: 'exists true counts null as present',
    pattern: { detail: { s: [{ exists: true }] } },
    event: detail({ s: null }),
    matches: true,
  },
  {
    name: 'exists true on a missing field',
    pattern: { detail: { s: [{ exists: true }] } },
    event: detail({}),
    matches: false,
  },
  {
    name: 'exists only sees leaves, not objects',
    pattern: { detail: { s: [{ exists: true }] } },
    event: detail({ s: { a: 1 } }),
    matches: false,
  },
  {
    name: 'exists true on an empty array',
    pattern: { resources: [{ exists: true }] },
    event: event({}),
    matches: false,
  },
  {
    name: 'exists false on a missing field',
    pattern: { detail: { s: [{ exists: false }] } },
    event: detail({}),
    matches: true,
  },
  {
    name: 'exists false on a present field',
    pattern: { detail: { s: [{ exists: false }] } },
    event: detail({ s: 1 }),
    matches: false,
  },
  {
    name: 'exists false when the parent is missing',
    pattern: { a: { b: [{ exists: false }] } },
    event: event({}),
    matches: true,
  },
  {
    name: 'exists false or a value',
    pattern: { detail: { s: [{ 'anything-but': ['roses'] }, { exists: false }] } },
    event: detail({ t: 1 }),
    matches: true,
  },
  // cidr
  {
    name: 'cidr IPv4',
    pattern: { detail: { ip: [{ cidr: '10.0.0.0/24' }] } },
    event: detail({ ip: '10.0.0.255' }),
    matches: true,
  },
  {
    name: 'cidr IPv4 outside',
    pattern: { detail: { ip: [{ cidr: '10.0.0.0/24' }] } },
    event: detail({ ip: '10.0.1.0' }),
    matches: false,
  },
  {
    name: 'cidr ignores strings that are not addresses',
    pattern: { detail: { ip: [{ cidr: '10.0.0.0/24' }] } },
    event: detail({ ip: '10.0.0.256' }),
    matches: false,
  },
  {
    name: 'cidr ignores numbers',
    pattern: { detail: { ip: [{ cidr: '10.0.0.0/24' }] } },
    event: detail({ ip: 167772160 }),
    matches: false,
  },
  {
    name: 'cidr IPv6',
    pattern: { detail: { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
    event: detail({ ip: '2001:0db8:1234:1a00:0000:0000:0000:0001' }),
    matches: true,
  },
  {
    name: 'cidr IPv6 outside',
    pattern: { detail: { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
    event: detail({ ip: '2001:db8:1234:1a01::' }),
    matches: false,
  },
  // wildcard
  {
    name: 'wildcard',
    pattern: { detail: { k: [{ wildcard: 'a/*/c.txt' }] } },
    event: detail({ k: 'a/b/b/c.txt' }),
    matches: true,
  },
  {
    name: 'wildcard mismatch',
    pattern: { detail: { k: [{ wildcard: 'a/*/c.txt' }] } },
    event: detail({ k: 'a/b/d.txt' }),
    matches: false,
  },
  {
    name: 'wildcard escaped star',
    pattern: { detail: { k: [{ wildcard: 'x\\*y*' }] } },
    event: detail({ k: 'x*yz' }),
    matches: true,
  },
  {
    name: 'empty wildcard matches only ""',
    pattern: { detail: { k: [{ wildcard: '' }] } },
    event: detail({ k: 'a' }),
    matches: false,
  },
  {
    name: 'wildcard only applies to strings',
    pattern: { detail: { k: [{ wildcard: '*' }] } },
    event: detail({ k: 1 }),
    matches: false,
  },
  // $or
  {
    name: '$or at the top',
    pattern: { source: ['shop'], $or: [{ 'detail-type': ['Refund'] }, { region: ['eu-west-1'] }] },
    event: event({}),
    matches: true,
  },
  {
    name: '$or inside an object',
    pattern: { detail: { $or: [{ c: [{ numeric: ['>', 5] }] }, { d: [{ numeric: ['<', 10] }] }] } },
    event: detail({ c: 0, d: 10 }),
    matches: false,
  },
  {
    name: '$or nested in $or',
    pattern: {
      $or: [{ source: ['crm'] }, { $or: [{ region: ['us-east-1'] }, { detail: { vip: [true] } }] }],
    },
    event: detail({ vip: true }),
    matches: true,
  },
  // dot-joined keys
  {
    name: 'a dotted key in the event is the nested field',
    pattern: { detail: { state: { status: ['running'] } } },
    event: detail({ 'state.status': 'running' }),
    matches: true,
  },
  {
    name: 'a dotted key in the pattern is the nested field',
    pattern: { detail: { 'state.status': ['running'] } },
    event: detail({ state: { status: 'running' } }),
    matches: true,
  },
  {
    name: 'dotted keys join into a different, longer name',
    pattern: { detail: { state: { status: ['running'] } } },
    event: detail({ 'state.status': { status: 'running' } }),
    matches: false,
  },
  // Prototype-pollution keys are ordinary field names, looked up as own properties only
  {
    name: '__proto__ in the pattern does not match an event without it',
    pattern: JSON.parse('{"__proto__":["x"]}'),
    event: event({}),
    matches: false,
  },
  {
    name: '__proto__ as an own event field',
    pattern: JSON.parse('{"detail":{"__proto__":["x"]}}'),
    event: JSON.parse('{"detail":{"__proto__":"x"}}'),
    matches: true,
  },
  {
    name: 'inherited constructor is not a field',
    pattern: { constructor: [{ exists: false }] },
    event: event({}),
    matches: true,
  },
  {
    name: 'inherited toString is not a field',
    pattern: { detail: { toString: [{ exists: true }] } },
    event: detail({}),
    matches: false,
  },
  {
    name: 'constructor in the event is an ordinary field',
    pattern: { detail: { constructor: ['x'] } },
    event: detail({ constructor: 'x' }),
    matches: true,
  },
];

describe('event pattern matching', () => {
  it.each(matchCases)('$name', ({ pattern, event, matches }) => {
    expect(compileEventPattern(pattern)(event)).toBe(matches);
  });

  it('takes the pattern and the event as JSON text, like TestEventPattern', () => {
    expect(testEventPattern('{"source":["shop"],"source":["crm"]}', '{"source":"crm"}')).toBe(true);
  });

  it('compiles once and matches many events', () => {
    const matches = compileEventPattern({ source: ['shop'], detail: { amount: [{ numeric: ['>=', 100] }] } });
    const amounts = [5, 100, 250, 99.5];
    expect(amounts.map((amount) => matches(detail({ amount })))).toEqual([false, true, true, false]);
  });

  it.each([null, 'shop', 42, [envelope]])('answers false for a non-object event (%j)', (notAnEvent) => {
    expect(compileEventPattern({ source: [{ exists: false }] })(notAnEvent)).toBe(false);
  });

  it('is not fooled by a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'x';
    try {
      expect(testEventPattern({ polluted: ['x'] }, event({}))).toBe(false);
      expect(testEventPattern({ polluted: [{ exists: false }] }, event({}))).toBe(true);
    } finally {
      delete proto.polluted;
    }
  });
});

interface InvalidCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly reason: string | RegExp;
}

const invalidCases: InvalidCase[] = [
  { name: 'not JSON', pattern: '{"source": [', reason: /not valid JSON/ },
  { name: 'not an object', pattern: ['shop'], reason: 'Filter is not an object, but an array' },
  { name: 'empty pattern', pattern: {}, reason: 'Empty objects are not allowed' },
  { name: 'empty nested object', pattern: { detail: {} }, reason: 'Empty objects are not allowed' },
  {
    name: 'leaf string without array',
    pattern: { source: 'shop' },
    reason: '"source" must be an object or an array, not a string',
  },
  {
    name: 'leaf number without array',
    pattern: { n: 42 },
    reason: '"n" must be an object or an array, not a number',
  },
  { name: 'empty array', pattern: { resources: [] }, reason: 'Empty arrays are not allowed' },
  {
    name: 'array in alternatives',
    pattern: { n: [[1]] },
    reason: /Match value must be String, number, true, false, or null/,
  },
  { name: 'non-finite number', pattern: { n: [Number.POSITIVE_INFINITY] }, reason: /finite number/ },
  {
    name: 'unknown operator',
    pattern: { n: [{ contains: 'x' }] },
    reason: 'Unrecognized match type contains',
  },
  {
    name: 'operator names are case-sensitive',
    pattern: { n: [{ EXISTS: true }] },
    reason: 'Unrecognized match type EXISTS',
  },
  { name: 'empty operator object', pattern: { n: [{}] }, reason: 'Match expression name not found' },
  {
    name: 'two operators in one object',
    pattern: { n: [{ prefix: 'a', suffix: 'b' }] },
    reason: 'Only one key allowed in match expression',
  },
  {
    name: 'prefix number',
    pattern: { n: [{ prefix: 1 }] },
    reason: '"prefix" match pattern must be a string, not a number',
  },
  {
    name: 'prefix list',
    pattern: { n: [{ prefix: ['a'] }] },
    reason: '"prefix" match pattern must be a string, not an array',
  },
  {
    name: 'suffix number',
    pattern: { n: [{ suffix: 1 }] },
    reason: '"suffix" match pattern must be a string, not a number',
  },
  {
    name: 'prefix with another operator',
    pattern: { n: [{ prefix: { suffix: 'a' } }] },
    reason: 'Unsupported prefix pattern: suffix',
  },
  {
    name: 'prefix ignore-case with a number',
    pattern: { n: [{ prefix: { 'equals-ignore-case': 1 } }] },
    reason: '"equals-ignore-case" match pattern must be a string, not a number',
  },
  {
    name: 'equals-ignore-case list',
    pattern: { n: [{ 'equals-ignore-case': ['a'] }] },
    reason: '"equals-ignore-case" match pattern must be a string, not an array',
  },
  {
    name: 'anything-but null',
    pattern: { n: [{ 'anything-but': null }] },
    reason: /only strings and numbers are supported, not null/,
  },
  { name: 'anything-but boolean', pattern: { n: [{ 'anything-but': [true] }] }, reason: /not a boolean/ },
  {
    name: 'anything-but mixed list',
    pattern: { n: [{ 'anything-but': ['a', 1] }] },
    reason: /either all values are numbers or all are strings/,
  },
  { name: 'anything-but empty list', pattern: { n: [{ 'anything-but': [] }] }, reason: /at least one value/ },
  {
    name: 'anything-but empty prefix',
    pattern: { n: [{ 'anything-but': { prefix: '' } }] },
    reason: 'Empty prefix not allowed in anything-but',
  },
  {
    name: 'anything-but prefix ignoring case',
    pattern: { n: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'a' } } }] },
    reason: /must be an array or a single string, not an object/,
  },
  {
    name: 'anything-but numeric',
    pattern: { n: [{ 'anything-but': { numeric: ['>', 1] } }] },
    reason: 'Unsupported anything-but pattern: numeric',
  },
  {
    name: 'numeric not an array',
    pattern: { n: [{ numeric: 10 }] },
    reason: 'Value of numeric must be an array, not a number',
  },
  {
    name: 'numeric unknown operator',
    pattern: { n: [{ numeric: ['=>', 1] }] },
    reason: 'Unrecognized numeric range operator: =>',
  },
  {
    name: 'numeric two lower bounds',
    pattern: { n: [{ numeric: ['>', 0, '>', 1] }] },
    reason: 'Bad numeric range operator: >',
  },
  {
    name: 'numeric missing operand',
    pattern: { n: [{ numeric: ['>', 0, '<'] }] },
    reason: 'Value of < is missing',
  },
  {
    name: 'numeric string operand',
    pattern: { n: [{ numeric: ['<', '5'] }] },
    reason: 'Value of < must be numeric, not a string',
  },
  {
    name: 'numeric after equals',
    pattern: { n: [{ numeric: ['=', 1, '<', 2] }] },
    reason: 'Too many elements in numeric expression',
  },
  {
    name: 'numeric too many terms',
    pattern: { n: [{ numeric: ['>', 0, '<', 2, 3] }] },
    reason: 'Too many terms in numeric range expression',
  },
  {
    name: 'numeric out of range',
    pattern: { n: [{ numeric: ['<', 6e9] }] },
    reason: /between -5.0E9 and 5.0E9/,
  },
  {
    name: 'numeric too precise',
    pattern: { n: [{ numeric: ['=', 0.1234567] }] },
    reason: /up to 6 decimals/,
  },
  {
    name: 'numeric empty range',
    pattern: { n: [{ numeric: ['>=', 5, '<', 5] }] },
    reason: 'Bottom must be less than top',
  },
  {
    name: 'exists not boolean',
    pattern: { n: [{ exists: 'true' }] },
    reason: /exists match pattern must be either true or false/,
  },
  {
    name: 'cidr without mask',
    pattern: { ip: [{ cidr: '10.0.0.1' }] },
    reason: "Malformed CIDR, one '/' required",
  },
  {
    name: 'cidr bad address',
    pattern: { ip: [{ cidr: 'xx.11.xx/8' }] },
    reason: 'Invalid IP address: xx.11.xx',
  },
  {
    name: 'cidr bad mask',
    pattern: { ip: [{ cidr: '10.0.0.0/x' }] },
    reason: 'Malformed CIDR, mask bits must be an integer',
  },
  {
    name: 'cidr mask too wide',
    pattern: { ip: [{ cidr: '10.0.0.0/33' }] },
    reason: 'IPv4 mask bits must be < 32',
  },
  {
    name: 'cidr list',
    pattern: { ip: [{ cidr: ['10.0.0.0/8'] }] },
    reason: '"cidr" match pattern must be a string, not an array',
  },
  {
    name: 'wildcard consecutive stars',
    pattern: { k: [{ wildcard: 'a**b' }] },
    reason: 'Consecutive wildcard characters at pos 2',
  },
  {
    name: 'wildcard bad escape',
    pattern: { k: [{ wildcard: 'a\\b' }] },
    reason: 'Invalid escape character at pos 2',
  },
  {
    name: 'wildcard list',
    pattern: { k: [{ wildcard: ['a*'] }] },
    reason: '"wildcard" match pattern must be a string, not an array',
  },
  {
    name: 'wildcard too complex',
    pattern: { k: [{ wildcard: '*:*:*:*:*:bus/*' }] },
    reason: /^Rule is too complex/,
  },
  {
    name: '$or not an array',
    pattern: { $or: { a: [1] } },
    reason: '$or must be an array of objects, not an object',
  },
  { name: '$or with one object', pattern: { $or: [{ a: [1] }] }, reason: '$or needs at least 2 objects' },
  {
    name: '$or with a non-object',
    pattern: { $or: [{ a: [1] }, ['b']] },
    reason: /Only JSON objects are allowed in a \$or array/,
  },
  {
    name: 'reserved field name inside $or',
    pattern: { $or: [{ numeric: [1] }, { a: [1] }] },
    reason: /"numeric" is a reserved word/,
  },
];

describe('invalid event patterns', () => {
  it.each(invalidCases)('$name', ({ pattern, reason }) => {
    let error: unknown;
    try {
      validateEventPattern(pattern);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    const { reason: actual } = error as InvalidEventPatternError;
    if (typeof reason === 'string') expect(actual).toBe(reason);
    else expect(actual).toMatch(reason);
    expect(() => compileEventPattern(pattern)).toThrow(InvalidEventPatternError);
  });

  it('reports like EventBridge: reason and where in the pattern', () => {
    const attempt = () => validateEventPattern({ detail: { state: [{ prefix: 5 }] } });
    expect(attempt).toThrow(
      'Event pattern is not valid. Reason: "prefix" match pattern must be a string, not a number at $.detail.state[0].prefix',
    );
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('InvalidEventPatternError');
    }
  });
});
