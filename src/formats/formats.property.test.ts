/**
 * Every registered format against random and hostile records: encoding never
 * throws, every event is one line, and the line parses in its own format
 * (JSON for ECS/OCSF/Splunk/raw, our strict CEF/LEEF parsers for CEF/LEEF),
 * reading back exactly the values the format meant to emit.
 */
import fc from 'fast-check';
import { ip, isoTime } from '../../test/helpers/record-arbitraries.js';
import { describe, expect, it } from 'vitest';
import { parseCef, parseLeef } from '../../test/helpers/cef-leef-parser.js';
import { cefExtensions, eventClassId, eventTitle, replaceControls, truncate } from './cef.js';
import type { FormatInput } from './index.js';
import { FORMATS, toFormatInput } from './index.js';
import { leefAttributes } from './leef.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

/** Characters that break naive encoders: CEF/LEEF separators, escapes, line breaks, controls, non-BMP text. */
const hostileChar = fc.oneof(
  fc.constantFrom(
    '|',
    '=',
    '\\',
    '\n',
    '\r',
    '\t',
    '^',
    ' ',
    '"',
    "'",
    '\u0000',
    '\u001b',
    '\u2028',
    '\u00e9',
  ),
  fc.constantFrom('😀', '\ud83d', 'ä', '中', '<', '>', '&', '{', '}', '[', ']', ',', ':', '%', 'x09'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileChar, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: hostileChar, maxLength: 10 }), fc.integer({ min: 1000, max: 6000 }))
      .map(([s, n]) => (s + '|=\\\n\t^😀'.repeat(n / 8)).slice(0, n)),
  },
);

/** Any JSON value, with hostile strings inside. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
    // Keys that trip naive String()/template coercion and reference-preserving JSON.
    fc.dictionary(fc.constantFrom('toString', 'valueOf', 'constructor', '$ref', '$id'), tie('value'), {
      maxKeys: 2,
    }),
  ),
})).value;

/** A value of the right wire type most of the time, of any type sometimes. */
const sometimes = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: anyValue });

const email = fc.oneof(fc.emailAddress(), hostileString);

const attachment = fc.record(
  {
    FileName: sometimes(hostileString),
    FileType: sometimes(fc.constantFrom('exe;zip', 'eml;mime', 'pdf')),
    FileVerdict: sometimes(fc.constantFrom(0, 1, -1, -2, -3, '1', '2')),
    MalwareFamily: sometimes(hostileString),
    SHA256: sometimes(fc.stringMatching(/^[0-9A-F]{64}$/)),
  },
  { requiredKeys: [] },
);

const entity = fc.record(
  {
    Type: fc.constantFrom(
      'mailMessage',
      'mail-message',
      'mailbox',
      'mailCluster',
      'url',
      'ip',
      'file',
      'filehash',
      'x',
    ),
    Url: sometimes(hostileString),
    Urls: sometimes(fc.array(hostileString, { maxLength: 3 })),
    NetworkMessageId: sometimes(fc.uuid()),
    NetworkMessageIds: sometimes(fc.array(fc.uuid(), { maxLength: 3 })),
    Address: sometimes(ip),
    Name: sometimes(hostileString),
    Subject: sometimes(hostileString),
    Recipient: sometimes(email),
  },
  { requiredKeys: ['Type'] },
);

/** Records shaped like the four Defender record types (and others), with wrong types mixed in. */
const defenderRecord = fc
  .record(
    {
      Id: sometimes(fc.uuid()),
      RecordType: sometimes(fc.constantFrom(28, 41, 47, 64, 86, 6, 15, 999, '28')),
      CreationTime: sometimes(isoTime),
      Operation: sometimes(
        fc.constantFrom('TIMailData', 'TIUrlClickData', 'AtpDetection', 'AirInvestigationData'),
      ),
      OrganizationId: sometimes(fc.uuid()),
      UserType: sometimes(fc.integer({ min: -1, max: 11 })),
      UserKey: sometimes(hostileString),
      UserId: sometimes(email),
      Workload: sometimes(fc.constantFrom('ThreatIntelligence', 'AirInvestigation', 'Exchange')),
      ClientIP: sometimes(ip),
      Subject: sometimes(hostileString),
      P1Sender: sometimes(email),
      P2Sender: sometimes(email),
      Recipients: sometimes(fc.array(email, { maxLength: 4 })),
      SenderIp: sometimes(ip),
      Verdict: sometimes(hostileString),
      DetectionType: sometimes(fc.constantFrom('Inline', 'Delayed', 'ZAP', 0, 1, 2)),
      DeliveryAction: sometimes(fc.constantFrom('Blocked', 'Delivered', 'DeliveredAsSpam')),
      LatestDeliveryLocation: sometimes(hostileString),
      ThreatsAndDetectionTech: sometimes(fc.array(hostileString, { maxLength: 3 })),
      AttachmentData: sometimes(fc.array(attachment, { maxLength: 3 })),
      Url: sometimes(hostileString),
      UserIp: sometimes(ip),
      URLClickAction: sometimes(fc.constantFrom(0, 1, 2, 3, 4, 5, '2')),
      FileData: sometimes(
        fc.record({
          FileName: sometimes(hostileString),
          FilePath: sometimes(hostileString),
          SHA256: sometimes(fc.base64String({ minLength: 44, maxLength: 44 })),
          FileSize: sometimes(fc.nat().map(String)),
        }),
      ),
      InvestigationName: sometimes(hostileString),
      Status: sometimes(hostileString),
      Data: sometimes(
        fc
          .record({ AlertDisplayName: hostileString, Entities: fc.array(entity, { maxLength: 3 }) })
          .map((d) => JSON.stringify(d)),
      ),
      Actions: sometimes(
        fc.array(
          fc.oneof(fc.record({ ActionId: hostileString, Entities: fc.array(entity) }), hostileString),
          { maxLength: 2 },
        ),
      ),
      EventDeepLink: sometimes(hostileString),
    },
    { requiredKeys: [] },
  )
  .chain((base) =>
    fc.dictionary(hostileString, anyValue, { maxKeys: 3 }).map((extra) => ({ ...extra, ...base })),
  );

const anyRecord = fc.oneof(
  { weight: 3, arbitrary: defenderRecord },
  { weight: 1, arbitrary: fc.dictionary(hostileString, anyValue, { maxKeys: 6 }) },
);

/** CEF/LEEF carry text only after control characters became spaces; that is what they mean to emit. */
const meant = (pairs: [string, string][]): Record<string, string> =>
  Object.fromEntries(pairs.map(([k, v]) => [k, replaceControls(v)]));

/**
 * A CEF/LEEF header field as meant: control characters become spaces, then each
 * line break becomes one space (CRLF is one line break, not two) and so does
 * each tab, and the result is cut to the field's limit before escaping.
 */
const headerMeant = (text: string, max: number): string =>
  truncate(replaceControls(text).replace(/\r\n|[\r\n\t]/g, ' '), max);

function checkOne(formatId: string, input: FormatInput, line: string): void {
  expect(typeof line).toBe('string');
  expect(line).not.toMatch(/[\r\n]/);
  switch (formatId) {
    case 'cef': {
      const parsed = parseCef(line);
      expect(parsed.deviceVendor).toBe('Microsoft');
      expect(Number(parsed.severity)).toBeGreaterThanOrEqual(0);
      expect(Number(parsed.severity)).toBeLessThanOrEqual(10);
      expect(parsed.signatureId).toBe(headerMeant(eventClassId(input.event), 1023));
      expect(parsed.name).toBe(headerMeant(eventTitle(input.event), 512));
      expect(parsed.extensions).toEqual(meant(cefExtensions(input.event)));
      break;
    }
    case 'leef': {
      const parsed = parseLeef(line);
      expect(parsed.delimiter).toBe('\t');
      expect(parsed.eventId).toBe(headerMeant(eventClassId(input.event), 255));
      expect(Number(parsed.attributes.sev)).toBeGreaterThanOrEqual(1);
      expect(Number(parsed.attributes.sev)).toBeLessThanOrEqual(10);
      expect(parsed.attributes).toEqual(meant(leefAttributes(input.event)));
      break;
    }
    case 'splunk': {
      const parsed = JSON.parse(line) as { time?: unknown; event: unknown; fields: Record<string, unknown> };
      if ('time' in parsed) expect(Number.isFinite(parsed.time)).toBe(true);
      if (input.record !== null && typeof input.record === 'object' && !Array.isArray(input.record)) {
        expect(parsed.event).toEqual(input.record);
      } else {
        expect(parsed.event).toBe(input.raw);
      }
      for (const value of Object.values(parsed.fields)) {
        expect(
          typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string')),
        ).toBe(true);
      }
      break;
    }
    default:
      expect(JSON.parse(line)).toBeTypeOf('object');
  }
}

describe('every format, on random and hostile records', () => {
  for (const format of FORMATS) {
    it(`${format.id}: never throws, emits one line, and the line parses back to what was meant`, () => {
      fc.assert(
        fc.property(anyRecord, (record) => {
          const input = toFormatInput(JSON.stringify(record));
          checkOne(format.id, input, format.encode(input));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('splunk keeps a pretty-printed record as received, on one line', () => {
    fc.assert(
      fc.property(defenderRecord, (record) => {
        const input = toFormatInput(JSON.stringify(record, null, 2));
        checkOne('splunk', input, FORMATS.find((f) => f.id === 'splunk')!.encode(input));
      }),
      { numRuns: 50 },
    );
  });

  it('text that is not a JSON object still encodes in every format without a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileString.filter((s) => !/[\r\n]/.test(s)),
          anyValue.map((v) => JSON.stringify(v)),
        ),
        (raw) => {
          const input = toFormatInput(raw);
          for (const format of FORMATS.filter((f) => f.id !== 'raw'))
            checkOne(format.id, input, format.encode(input));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
