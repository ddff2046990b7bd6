import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import {
  busTarget,
  csvRow,
  customerEvents,
  importSummary,
  parseCsv,
  parseJsonLines,
  parsePinpointExport,
  putEvents,
  readCustomersFile,
  readPinpointFile,
  runImport,
} from '#local/import.ts';

const NOW = Date.parse('2026-03-02T09:00:00Z');

function file(name: string, text: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'import-')), name);
  writeFileSync(path, text);
  return path;
}

/** The reasons, joined: none of them may contain the personal data of the rows. */
const reasons = (problems: readonly { reason: string }[]) => problems.map((p) => p.reason).join(' | ');

describe('CSV', () => {
  it('reads quoted fields, doubled quotes, line breaks in quotes, CRLF and a byte-order mark', () => {
    const { header, records } = parseCsv(
      '\ufeffcustomerId,city,note\r\nc1,"Den Haag, centrum","zei ""ja"""\r\nc2,Gent,"twee\nregels"\r\n\r\nc3,Utrecht,\r\n',
    );
    expect(header).toEqual(['customerId', 'city', 'note']);
    expect(records).toEqual([
      { line: 2, cells: ['c1', 'Den Haag, centrum', 'zei "ja"'] },
      { line: 3, cells: ['c2', 'Gent', 'twee\nregels'] },
      { line: 6, cells: ['c3', 'Utrecht', ''] },
    ]);
  });

  it('detects the semicolon that Excel writes with Dutch and Belgian settings', () => {
    expect(parseCsv('customerId;email\nc1;a@example.nl\n').records).toEqual([
      { line: 2, cells: ['c1', 'a@example.nl'] },
    ]);
  });

  it('maps columns to profile fields, consent, push and typed attributes', () => {
    const header = [
      'customerId',
      'email',
      'phone',
      'preferredChannel',
      'consent.marketing.email',
      'consent:service:all',
      'consent.marketing.sms',
      'consentSource',
      'consentDate',
      'pushPlatform',
      'pushToken',
      'country',
      'lifetimeValue:number',
      'vip:boolean',
      'attributes.city',
    ];
    const row = csvRow(header, [
      'c1',
      'anna@example.nl',
      '06 1234 5678',
      'email',
      'ja',
      'granted',
      '',
      'winkel',
      '2025-12-01',
      'fcm',
      'token-12345678',
      'NL',
      '149,50',
      'nee',
      'Utrecht',
    ]);
    expect(row).toEqual({
      customerId: 'c1',
      email: 'anna@example.nl',
      phone: '06 1234 5678',
      preferredChannel: 'email',
      pushEndpoints: [{ platform: 'fcm', token: 'token-12345678' }],
      attributes: { country: 'NL', lifetimeValue: 149.5, vip: false, city: 'Utrecht' },
      consent: [
        {
          purpose: 'marketing',
          channel: 'email',
          granted: true,
          source: 'winkel',
          occurredAt: '2025-12-01T00:00:00Z',
        },
        {
          purpose: 'service',
          channel: 'all',
          granted: true,
          source: 'winkel',
          occurredAt: '2025-12-01T00:00:00Z',
        },
      ],
    });
  });

  it('reports invalid rows by line with a reason and no personal data, and keeps the valid ones', () => {
    const path = file(
      'customers.csv',
      [
        'customerId,email,phone,timezone,country,consent.marketing.email',
        'c1,anna@example.nl,06 1234 5678,Europe/Amsterdam,NL,granted',
        'c2,geen-email,,,,',
        'c3,,0612,,NL,',
        'c4,,,Mars/Olympus,,',
        'klant 5,,,,,granted',
        'c6,,,,,misschien',
        'c7,bram@example.be,0470 12 34 56,Europe/Brussels,BE,withdrawn',
      ].join('\n'),
    );
    const plan = readCustomersFile(path, NOW);
    expect(plan.rows).toBe(7);
    expect(plan.valid.map((r) => [r.line, r.customerId, r.events.map((e) => e.detailType)])).toEqual([
      [2, 'c1', ['CustomerProfileUpdated', 'ConsentGranted']],
      [8, 'c7', ['CustomerProfileUpdated', 'ConsentWithdrawn']],
    ]);
    expect(plan.invalid).toEqual([
      { line: 3, reason: 'email is not a valid email address' },
      { line: 4, reason: 'phone is not a valid phone number' },
      { line: 5, reason: expect.stringMatching(/^timezone the value is not an IANA time zone/) },
      { line: 6, reason: 'customerId is not a valid customer id' },
      { line: 7, reason: 'consent.marketing.email is not granted or withdrawn' },
    ]);
    expect(reasons(plan.invalid)).not.toMatch(/geen-email|0612|Mars|klant 5|misschien/);
  });

  it('refuses a file without a customerId column', () => {
    expect(readCustomersFile(file('x.csv', 'id,email\n1,a@example.nl\n'), NOW).invalid).toEqual([
      { line: 1, reason: 'the header has no customerId column' },
    ]);
  });
});

describe('JSON lines', () => {
  it('turns a row into its public events: the profile first, then each consent statement', () => {
    const events = customerEvents(
      {
        customerId: 'c1',
        email: 'anna@example.nl',
        attributes: { country: 'NL' },
        consent: [
          { purpose: 'marketing', channel: 'email' },
          {
            purpose: 'marketing',
            channel: 'sms',
            granted: false,
            source: 'app',
            occurredAt: '2026-01-05T10:00:00Z',
          },
        ],
      },
      NOW,
    );
    expect(events).toEqual([
      {
        source: 'contact.profiles',
        detailType: 'CustomerProfileUpdated',
        detail: { customerId: 'c1', email: 'anna@example.nl', attributes: { country: 'NL' } },
      },
      {
        source: 'contact.consent',
        detailType: 'ConsentGranted',
        detail: {
          customerId: 'c1',
          purpose: 'marketing',
          channel: 'email',
          source: 'import',
          occurredAt: '2026-03-02T09:00:00.000Z',
        },
      },
      {
        source: 'contact.consent',
        detailType: 'ConsentWithdrawn',
        detail: {
          customerId: 'c1',
          purpose: 'marketing',
          channel: 'sms',
          source: 'app',
          occurredAt: '2026-01-05T10:00:00Z',
        },
      },
    ]);
  });

  it('reports unreadable and invalid lines by number; the valid rows still load', () => {
    const path = file(
      'customers.jsonl',
      [
        '{"customerId":"c1","email":"anna@example.nl"}',
        '{"customerId":"c2","email":',
        '',
        '{"customerId":"c3","favouriteColour":"blauw"}',
        '{"customerId":"c4","consent":[{"purpose":"marketing","channel":"fax"}]}',
        '{"customerId":"c5"}',
        '{"customerId":"c6","consent":[{"purpose":"marketing","channel":"email","granted":"ja"}]}',
      ].join('\n'),
    );
    const plan = readCustomersFile(path, NOW);
    expect(plan.valid.map((r) => r.line)).toEqual([1]);
    expect(plan.invalid.map((p) => p.line)).toEqual([2, 4, 5, 6, 7]);
    expect(plan.invalid[0]?.reason).toBe('not valid JSON');
    expect(plan.invalid[1]?.reason).toMatch(/Unrecognized key/);
    expect(plan.invalid[2]?.reason).toMatch(/^consent\.0: channel /);
    expect(plan.invalid[3]?.reason).toBe('the row has neither profile fields nor consent');
    expect(plan.invalid[4]?.reason).toBe('consent.0.granted is not true or false');
    expect(reasons(plan.invalid)).not.toMatch(/blauw|anna/);
  });
});

describe('JSON lines, line by line', () => {
  /** `parseJsonLines` as it was before its one-pass rewrite: split, trim, parse. */
  function reference(text: string) {
    const rows: { line: number; row: unknown }[] = [];
    const problems: { line: number; reason: string }[] = [];
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (line === '') continue;
      try {
        rows.push({ line: i + 1, row: JSON.parse(line) });
      } catch {
        problems.push({ line: i + 1, reason: 'not valid JSON' });
      }
    }
    return { rows, problems };
  }

  it.each([
    ['plain lines, a trailing newline', '{"customerId":"c1"}\n{"customerId":"c2"}\n'],
    ['CRLF, blank and whitespace lines', '{"customerId":"c1"}\r\n\r\n  \r\n\t{"customerId":"c2"}  \r\n'],
    [
      'a byte-order mark and a non-breaking space',
      '\uFEFF{"customerId":"c1"}\n\u00A0{"customerId":"c2"}\u00A0',
    ],
    ['broken lines and lone braces', '{\n}\n{"a":1}}\n[1]\n"x"\n{"customerId":"c1"}'],
    ['no newline at the end', '{"customerId":"c1"}'],
    ['nothing', ''],
  ])('%s: read as the split-and-trim reference reads them', (_name, text) => {
    expect(parseJsonLines(text)).toEqual(reference(text));
  });

  it('reads a customers file, ASCII or not, as its UTF-8 text', () => {
    for (const text of [
      '{"customerId":"c1","attributes":{"city":"Gent"}}\n',
      '{"customerId":"c1","attributes":{"city":"Liège"}}\n',
    ]) {
      const plan = readCustomersFile(file('customers.jsonl', text), NOW);
      expect(plan.valid[0]?.events[0]?.detail).toEqual(JSON.parse(text));
    }
  });
});

describe('Amazon Pinpoint endpoint export', () => {
  const endpoint = (over: Record<string, unknown>) =>
    JSON.stringify({
      ApplicationId: 'app-1',
      EndpointStatus: 'ACTIVE',
      OptOut: 'NONE',
      EffectiveDate: '2025-11-01T10:00:00.000Z',
      ...over,
    });
  const exportText = [
    endpoint({
      Id: 'e1',
      ChannelType: 'EMAIL',
      Address: 'old@example.nl',
      EffectiveDate: '2024-01-01T00:00:00.000Z',
      User: { UserId: 'u1', UserAttributes: { FirstName: ['Anna'] } },
    }),
    endpoint({
      Id: 'e2',
      ChannelType: 'SMS',
      Address: '+31612345678',
      OptOut: 'ALL',
      EffectiveDate: '2025-10-01T08:00:00.000Z',
      Location: { Country: 'NL', City: 'Utrecht' },
      User: { UserId: 'u1' },
    }),
    endpoint({
      Id: 'e3',
      ChannelType: 'GCM',
      Address: 'fcm-token-123456789',
      Demographic: { Locale: 'nl_NL', Timezone: 'Europe/Amsterdam', Platform: 'android' },
      Attributes: { Interests: ['tuin', 'wonen'], 'App Version': ['3.2'] },
      User: { UserId: 'u1', UserAttributes: { FirstName: ['Anna'], Tier: ['gold'] } },
    }),
    endpoint({
      Id: 'e4',
      ChannelType: 'EMAIL',
      Address: 'anna@example.nl',
      EffectiveDate: '2025-12-01T00:00:00.000Z',
      User: { UserId: 'u1' },
    }),
    endpoint({
      Id: 'e5',
      ChannelType: 'EMAIL',
      Address: 'weg@example.nl',
      EndpointStatus: 'INACTIVE',
      User: { UserId: 'u2' },
    }),
    endpoint({ Id: 'e6', ChannelType: 'APNS', Address: 'apns-token-abcdef12', User: { UserId: 'u2' } }),
    endpoint({ Id: 'e7', ChannelType: 'VOICE', Address: '+31201234567', User: { UserId: 'u2' } }),
    endpoint({ Id: 'e8', ChannelType: 'EMAIL', Address: 'anoniem@example.nl' }),
    'kapot',
    endpoint({ Id: 'e10', ChannelType: 'EMAIL', Address: 'geen-adres', User: { UserId: 'u3' } }),
  ].join('\n');

  it('merges the endpoints of one user into one profile; OptOut ALL withdraws consent on that channel', () => {
    const plan = parsePinpointExport(exportText, NOW);
    const u1 = plan.valid.find((r) => r.customerId === 'u1');
    expect(u1?.line).toBe(1);
    expect(u1?.events).toEqual([
      {
        source: 'contact.profiles',
        detailType: 'CustomerProfileUpdated',
        detail: {
          customerId: 'u1',
          email: 'anna@example.nl',
          phone: '+31612345678',
          pushEndpoints: [{ platform: 'fcm', token: 'fcm-token-123456789' }],
          timezone: 'Europe/Amsterdam',
          locale: 'nl-NL',
          attributes: {
            Interests: ['tuin', 'wonen'],
            App_Version: '3.2',
            country: 'NL',
            city: 'Utrecht',
            FirstName: 'Anna',
            Tier: 'gold',
          },
        },
      },
      {
        source: 'contact.consent',
        detailType: 'ConsentWithdrawn',
        detail: {
          customerId: 'u1',
          purpose: 'marketing',
          channel: 'sms',
          source: 'pinpoint-import',
          occurredAt: '2025-10-01T08:00:00.000Z',
        },
      },
    ]);
  });

  it('skips inactive endpoints, endpoints without a user and unsupported channels, with the reason', () => {
    const plan = parsePinpointExport(exportText, NOW);
    expect(plan.skipped).toEqual([
      { line: 5, reason: 'endpoint is INACTIVE' },
      { line: 7, reason: 'channel VOICE is not supported' },
      { line: 8, reason: 'endpoint without User.UserId' },
    ]);
    expect(plan.valid.find((r) => r.customerId === 'u2')?.events[0]?.detail).toEqual({
      customerId: 'u2',
      pushEndpoints: [{ platform: 'apns', token: 'apns-token-abcdef12' }],
    });
    expect(plan.invalid).toEqual([
      { line: 9, reason: 'not valid JSON' },
      { line: 10, reason: 'email is not a valid email address' },
    ]);
    expect(plan.rows).toBe(3);
    expect(reasons([...plan.invalid, ...plan.skipped])).not.toMatch(/@example|\+31|token/);
  });

  it('grants consent for opted-in channels only when asked (--grant), never where a channel opted out', () => {
    const plan = parsePinpointExport(exportText, NOW, { grant: ['marketing'] });
    const consent = plan.valid
      .find((r) => r.customerId === 'u1')
      ?.events.filter((e) => e.source === 'contact.consent')
      .map((e) => [e.detailType, e.detail.channel]);
    expect(consent).toEqual([
      ['ConsentWithdrawn', 'sms'],
      ['ConsentGranted', 'email'],
      ['ConsentGranted', 'push'],
    ]);
  });

  it('reads the gzip files the export job writes to S3', () => {
    const plan = readPinpointFile(file('export.jsonl.gz', gzipSync(exportText)), NOW);
    expect(plan.valid.map((r) => r.customerId).sort()).toEqual(['u1', 'u2']);
  });
});

describe('putting events on the bus', () => {
  /** A fake EventBridge: refuses the entries the script says, records every call. */
  function fakeClient(script: (entry: { Source?: string }, attempt: number) => string | undefined) {
    const calls: { Entries: { Source?: string; EventBusName?: string; Time?: Date; Detail?: string }[] }[] =
      [];
    const attempts = new Map<string, number>();
    const client = {
      send: async (command: PutEventsCommand) => {
        const input = command.input as (typeof calls)[number];
        calls.push(input);
        const Entries = input.Entries.map((e) => {
          const n = (attempts.get(e.Source ?? '') ?? 0) + 1;
          attempts.set(e.Source ?? '', n);
          const code = script(e, n);
          return code ? { ErrorCode: code, ErrorMessage: 'refused' } : { EventId: `id-${e.Source}` };
        });
        return { FailedEntryCount: Entries.filter((e) => 'ErrorCode' in e).length, Entries };
      },
    };
    return { client: client as unknown as EventBridgeClient, calls };
  }

  it('sends at most 10 entries per call, with bus and time, retries throttled entries and reports the rest', async () => {
    const events = Array.from({ length: 23 }, (_, i) => ({
      source: `s${i}`,
      detailType: 'T',
      detail: { customerId: `c${i}` },
      time: NOW,
    }));
    const { client, calls } = fakeClient((e, attempt) =>
      e.Source === 's3' && attempt === 1
        ? 'ThrottlingException'
        : e.Source === 's7'
          ? 'MalformedDetail'
          : undefined,
    );
    const result = await putEvents(client, events, { concurrency: 2 });
    expect(result).toEqual({ sent: 22, failed: [{ index: 7, code: 'MalformedDetail' }] });
    expect(calls.every((c) => c.Entries.length <= 10)).toBe(true);
    expect(calls.map((c) => c.Entries.length).sort((a, b) => a - b)).toEqual([1, 3, 10, 10]);
    expect(calls[0]?.Entries[0]).toMatchObject({
      EventBusName: 'contact-triggers',
      Time: new Date(NOW),
      Detail: '{"customerId":"c0"}',
    });
  });

  it('validates only, sending nothing, on a dry run', async () => {
    const plan = readCustomersFile(file('c.jsonl', '{"customerId":"c1","email":"anna@example.nl"}\n'), NOW);
    const run = await runImport(plan, { dryRun: true });
    expect(run.put).toBeUndefined();
    expect(importSummary('c.jsonl', run)).toEqual([
      'import c.jsonl: 1 row',
      '  1 valid customer → 1 event (1 profile update, 0 consent events)',
      '  dry run: nothing was sent',
    ]);
  });

  it('loads valid rows and reports what EventBridge refused, by line', async () => {
    const plan = readCustomersFile(
      file(
        'c.jsonl',
        '{"customerId":"c1","email":"anna@example.nl"}\n{"customerId":"c2","email":"bram@example.nl"}\n',
      ),
      NOW,
    );
    let n = 0;
    const { client } = fakeClient(() => (++n === 2 ? 'InvalidArgument' : undefined));
    const run = await runImport(plan, {
      target: { client, where: 'a fake bus', local: true },
      progress: false,
    });
    const summary = importSummary('c.jsonl', run);
    expect(summary[2]).toMatch(/^ {2}sent 1 event to a fake bus in \d+\.\d s$/);
    expect(summary.slice(3)).toEqual(['  1 event refused by EventBridge:', '    line 2: InvalidArgument']);
  });

  it.each([
    [
      'an endpoint override',
      { AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4999' },
      'http://127.0.0.1:4999',
      true,
    ],
    [
      'AWS credentials and no override: the deployed bus',
      { AWS_ACCESS_KEY_ID: 'AKIA…', HOME: '/nonexistent' },
      'the deployed contact-triggers bus',
      false,
    ],
  ])('targets %s', async (_, env, where, local) => {
    const target = await busTarget(undefined, env);
    expect([target.where, target.local]).toEqual([where, local]);
  });
});
