/**
 * The contract helper itself: it must accept what Twilio documents and reject what Twilio would never send.
 * Without these, a helper that accepts everything would make the whole contract suite pass vacuously.
 */
import { describe, expect, it } from 'vitest';
import { PUSH_OPERATIONS, findOperation, specExamples, specViolations } from '../helpers/openapi.js';

const SERVICE = 'VA0123456789abcdef0123456789abcdef';
const CHALLENGE = 'YC0123456789abcdef0123456789abcdef';
const challengePath = `/v2/Services/${SERVICE}/Entities/user-12345678/Challenges/${CHALLENGE}`;

/** A copy of the spec's own challenge example, to break one field at a time. */
function exampleChallenge(): Record<string, unknown> {
  const [example] = specExamples('GET', '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges/{Sid}', 200);
  expect(example).toBeDefined();
  return structuredClone(example?.value as Record<string, unknown>);
}

function concretePath(template: string): string {
  return template
    .replace('{ServiceSid}', SERVICE)
    .replace('{Identity}', 'user-12345678')
    .replace('{ChallengeSid}', CHALLENGE)
    .replace('{Sid}', 'XX0123456789abcdef0123456789abcdef');
}

describe('Twilio OpenAPI contract helper', () => {
  it.each(PUSH_OPERATIONS)('finds $method $template from a concrete path', ({ method, template }) => {
    expect(findOperation(method, `http://127.0.0.1:1234${concretePath(template)}?PageSize=5`)?.template).toBe(template);
  });

  it('accepts every example the spec gives for the operations the emulator serves', () => {
    let checked = 0;
    for (const { method, template, status } of PUSH_OPERATIONS) {
      for (const example of specExamples(method, template, status)) {
        expect(specViolations(method, concretePath(template), status, example.value), `${template} ${example.name}`).toEqual([]);
        checked += 1;
      }
    }
    // Only the DELETEs (no body) have no example; everything else must have been checked.
    const withBody = PUSH_OPERATIONS.filter((operation) => operation.status !== 204).length;
    expect(checked).toBeGreaterThanOrEqual(withBody);
  });

  it('prefers a literal path segment over a template parameter', () => {
    expect(findOperation('GET', '/v2/Attempts/Summary')?.template).toBe('/v2/Attempts/Summary');
    expect(findOperation('GET', '/v2/Attempts/VL0123456789abcdef0123456789abcdef')?.template).toBe('/v2/Attempts/{Sid}');
  });

  it('reports a path the spec does not describe', () => {
    expect(specViolations('GET', '/v2/Nowhere', 200, {})).toHaveLength(1);
    expect(findOperation('PATCH', challengePath)).toBeUndefined();
  });

  it('rejects an empty object, a missing field and an unknown field', () => {
    expect(specViolations('GET', challengePath, 200, {}).length).toBeGreaterThan(1);

    const missing = exampleChallenge();
    delete missing['hidden_details'];
    expect(specViolations('GET', challengePath, 200, missing).join('\n')).toContain('hidden_details');

    const extra = { ...exampleChallenge(), transaction_id: 'abc' };
    expect(specViolations('GET', challengePath, 200, extra).join('\n')).toContain('transaction_id');
  });

  it('allows null where the spec says nullable, and only there', () => {
    expect(specViolations('GET', challengePath, 200, { ...exampleChallenge(), date_responded: null })).toEqual([]);
    expect(specViolations('GET', challengePath, 200, { ...exampleChallenge(), metadata: null })).toEqual([]);
    // `status` is a $ref to a non-nullable enum.
    expect(specViolations('GET', challengePath, 200, { ...exampleChallenge(), status: null })).not.toEqual([]);
    expect(specViolations('GET', challengePath, 200, { ...exampleChallenge(), status: 'cancelled' })).not.toEqual([]);
  });

  it('checks sid patterns, date-time shape, URIs and link maps', () => {
    const cases: Array<[string, unknown]> = [
      ['sid', 'YC123'],
      ['factor_sid', `YE${'0'.repeat(32)}`],
      ['date_created', '2015-07-30T20:00:00.123Z'],
      ['expiration_date', 'tomorrow'],
      ['url', '/v2/relative'],
      ['links', { notifications: 'not a url' }],
      ['links', { notifications: 42 }],
    ];
    for (const [field, value] of cases) {
      expect(specViolations('GET', challengePath, 200, { ...exampleChallenge(), [field]: value }), field).not.toEqual([]);
    }
  });

  it('checks list answers, including their meta block', () => {
    const listPath = `/v2/Services/${SERVICE}/Entities/user-12345678/Challenges`;
    const [full] = specExamples('GET', '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges', 200).filter((e) => e.name === 'readFull');
    const body = structuredClone(full?.value as { meta: Record<string, unknown> });
    expect(specViolations('GET', listPath, 200, body)).toEqual([]);
    expect(specViolations('GET', listPath, 200, { ...body, meta: { ...body.meta, next_page_url: '?Page=1' } })).not.toEqual([]);
    const noKey = { ...body, meta: { ...body.meta } };
    delete noKey.meta['key'];
    expect(specViolations('GET', listPath, 200, noKey)).not.toEqual([]);
  });

  it('expects no body on 204 and rejects undocumented success statuses', () => {
    const factorPath = `/v2/Services/${SERVICE}/Entities/user-12345678/Factors/YF0123456789abcdef0123456789abcdef`;
    expect(specViolations('DELETE', factorPath, 204, '')).toEqual([]);
    expect(specViolations('DELETE', factorPath, 204, { sid: 'x' })).not.toEqual([]);
    expect(specViolations('GET', challengePath, 201, exampleChallenge())).not.toEqual([]);
  });

  it("checks error answers against Twilio's error shape", () => {
    const good = { code: 20404, message: 'Not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 };
    expect(specViolations('GET', challengePath, 404, good)).toEqual([]);
    expect(specViolations('GET', challengePath, 404, { ...good, status: 400 })).not.toEqual([]);
    expect(specViolations('GET', challengePath, 404, { ...good, more_info: 'https://www.twilio.com/docs/errors/60200' })).not.toEqual([]);
    expect(specViolations('GET', challengePath, 404, { code: '20404', message: 'x', more_info: good.more_info, status: 404 })).not.toEqual([]);
    expect(specViolations('GET', challengePath, 404, { message: 'Not found', status: 404 })).not.toEqual([]);
    expect(specViolations('GET', challengePath, 404, 'Not Found')).not.toEqual([]);
  });
});
