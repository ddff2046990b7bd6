import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { scanOrThrow } from '../pii-scan-teardown.ts';
import { captureFile } from '../support/log-capture.ts';
import { customerNames, scanLogDir, scanText } from '../support/pii-scan.ts';

// The log scan must be able to fail: these tests plant personal data and watch it being caught, and
// check that what the suite writes really reaches the captured logs.

describe('the PII scan of the test logs', () => {
  it.each([
    [
      'an email address',
      '{"level":"WARN","message":"bounce","to":"anna.jansen@example.nl"}',
      'email address',
    ],
    ['an E.164 phone number', 'sms to +31612345678 failed', 'phone number'],
    ['a Dutch mobile as typed', 'phone 06-12 34 56 78 invalid', 'phone number'],
    ['an APNs device token', `endpoint token ${'a1'.repeat(32)}`, 'push token'],
    ['an FCM registration token', `token dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx`, 'push token'],
    ['a test push token', 'registered token-c-4f3e2d1c', 'push token'],
    ['a test customer’s first name', 'hallo Anna, welkom', 'customer name'],
    ['a sample-data surname', 'name: Jansen', 'customer name'],
  ])('catches %s', (_what, line, kind) => {
    const hits = scanText(`clean line\n${line}\nclean again`, 'planted.log');
    expect(hits.map((h) => [h.line, h.kind])).toContainEqual([2, kind]);
    // The report masks what it found.
    for (const hit of hits) expect(hit.excerpt).toContain('<redacted>');
  });

  it.each([
    '{"level":"INFO","message":"decided","campaignId":"welcome","outcome":"sent","customerId":"c-12ab"}',
    'units per send: 0.5 RRU, 3 WRU',
    'messageId ses-359926845 at 2026-03-10T12:00:00.000Z, arn:aws:sns:eu-west-1:000000000000:app/GCM/shop',
    'Tests  57 passed (57)',
    // SQS message ids are UUIDs; some start with digits that look like a Dutch mobile number.
    '{"level":"WARN","message":"will retry","messageId":"0612345678c4-4381-a277-8f50dbd9a04d"}',
    '{"level":"WARN","message":"will retry","messageId":"06123456-7890-4fc5-ae40-262f94676d75"}',
  ])('lets an ordinary log line through: %s', (line) => {
    expect(scanText(line)).toEqual([]);
  });

  it('knows the sample data’s names', () => {
    expect(customerNames()).toEqual(expect.arrayContaining(['Anna', 'Jansen', 'Sophie']));
  });

  it('fails the run from its teardown when a log holds personal data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pii-'));
    writeFileSync(join(dir, 'worker-1.log'), 'ok\nsent to bram@example.nl\n');
    expect(scanLogDir(dir)).toHaveLength(1);
    const report = join(dir, 'report.json');
    expect(() => scanOrThrow(dir, report)).toThrow(/personal data in the test logs \(1 hits/);
    expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({ hits: 1 });
    expect(readFileSync(report, 'utf8')).not.toContain('bram@');
    writeFileSync(join(dir, 'worker-1.log'), 'ok\n');
    expect(() => scanOrThrow(dir, report)).not.toThrow();
  });

  it('captures what this process writes, the Powertools logger included', () => {
    const marker = `capture-check-${Date.now()}`;
    new Logger({ serviceName: 'pii-scan-test' }).info(marker);
    console.log(marker);
    const captured = readFileSync(captureFile(), 'utf8');
    expect(captured.split(marker).length - 1).toBeGreaterThanOrEqual(2);
  });
});
