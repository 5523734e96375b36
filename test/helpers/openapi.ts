/**
 * Checks HTTP answers against Twilio's own OpenAPI description of Verify v2, so the emulator is held to the
 * contract the real service publishes rather than to what our own code happens to expect.
 *
 * The spec is Twilio's own file from its twilio-oai repository, as Twilio ships it inside the `@twilio/cli-core`
 * npm package (a pinned devDependency; the twilio CLI builds its commands from these files), found through
 * Node's module resolution so any clone that ran `npm install` has it. `@twilio-alpha/mcp` ships the same file
 * too, but an older cut of it (no `passkeys` on services, no `options` on new factors, both of which Twilio now
 * returns), so the emulator's answers would fail against it.
 * Twilio's response schemas are written for code generators and are loose: no `required`, no
 * `additionalProperties`, so an empty object would pass and the contract would prove nothing.
 * This helper therefore tightens each documented object to "exactly these fields".
 * Guess: real Twilio answers carry every documented field (null when empty). Every example the spec gives for
 * the Verify Push operations does, and contract-spec.test.ts checks that they all pass the tightened schemas.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is the module object, whose `default` is the plugin.
const addFormats = formatsPlugin.default;

/** Where `@twilio/cli-core` keeps Twilio's OpenAPI files (the package has no exports map, so the path resolves). */
const SPEC_MODULE = '@twilio/cli-core/src/services/twilio-api/twilio_verify_v2.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SpecResponse {
  content?: { 'application/json'?: { schema?: JsonObject; examples?: Record<string, { value: Json }> } };
}
interface SpecOperation {
  operationId?: string;
  responses?: Record<string, SpecResponse>;
}
interface Spec {
  paths: Record<string, Record<string, SpecOperation | Json>>;
  components: { schemas: Record<string, JsonObject> };
}

export interface MatchedOperation {
  /** Upper-case HTTP method. */
  method: string;
  /** The spec's path template, e.g. `/v2/Services/{ServiceSid}/Webhooks/{Sid}`. */
  template: string;
  operation: SpecOperation;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
const SCHEMA_ID = 'twilio-verify-v2';

/**
 * Keywords passed through to ajv. Everything else in the spec (`description`, `example`, `default`,
 * `x-twilio`, `nullable` once translated) is documentation for code generators, not a constraint.
 */
const KEPT_KEYWORDS = new Set([
  'type',
  'enum',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'items',
  'oneOf',
  'anyOf',
  'allOf',
]);

let cachedSpec: Spec | undefined;

/** Twilio's Verify v2 OpenAPI document, parsed once per test file. */
export function loadVerifySpec(): Spec {
  if (cachedSpec) return cachedSpec;
  let text: string;
  try {
    text = readFileSync(createRequire(import.meta.url).resolve(SPEC_MODULE), 'utf8');
  } catch (cause) {
    throw new Error(`Twilio's OpenAPI file ${SPEC_MODULE} was not found; run \`npm install\` (it is a devDependency)`, {
      cause,
    });
  }
  cachedSpec = JSON.parse(text) as Spec;
  return cachedSpec;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * OpenAPI 3.0 schema → JSON Schema (draft-07) for ajv:
 * - `nullable: true` becomes a `null` member of `type` (and of `enum`, since an enum that omits null would
 *   reject it even when the field is documented as nullable);
 * - `$ref: #/components/schemas/X` points at the same schema registered under our own id;
 * - `format: uri-map` (Twilio's `links`) becomes "an object whose values are absolute URIs";
 * - every documented object property is required and no other property is allowed (see the file comment).
 */
export function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObject(node)) return node;

  const ref = node['$ref'];
  if (typeof ref === 'string') {
    // OpenAPI 3.0 ignores siblings of $ref, so nothing else on this node matters.
    return { $ref: ref.replace('#/components/schemas/', `${SCHEMA_ID}#/definitions/`) };
  }

  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isObject(value)) {
      const properties: JsonObject = {};
      for (const [name, schema] of Object.entries(value)) properties[name] = toJsonSchema(schema);
      out['properties'] = properties;
      out['required'] = Object.keys(value);
      out['additionalProperties'] = false;
    } else if (key === 'format' && value === 'uri-map') {
      out['additionalProperties'] = { type: 'string', format: 'uri' };
    } else if (KEPT_KEYWORDS.has(key)) {
      out[key] = toJsonSchema(value);
    }
  }

  if (node['nullable'] === true) {
    const type = out['type'];
    if (typeof type === 'string') out['type'] = [type, 'null'];
    const values = out['enum'];
    if (Array.isArray(values) && !values.includes(null)) out['enum'] = [...values, null];
  }
  return out;
}

/**
 * Twilio's error body. The spec documents it once (a 429 on Verifications) without `required`; every Twilio
 * error we know of carries all four fields, and twilio-node's RestException reads exactly these.
 */
const TWILIO_ERROR_SCHEMA = {
  type: 'object',
  properties: {
    code: { type: 'integer' },
    message: { type: 'string', minLength: 1 },
    more_info: { type: 'string', format: 'uri' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    // Guess: some Twilio errors add a `details` object; allowed but not required.
    details: { type: ['object', 'null'] },
  },
  required: ['code', 'message', 'more_info', 'status'],
  additionalProperties: false,
};

/**
 * Guess: Twilio writes UTC timestamps as `YYYY-MM-DDTHH:MM:SSZ` (every example in the spec, and what
 * twilio-node's own serializer sends). Anything else — milliseconds, offsets — is a sign the emulator leaked
 * `Date.prototype.toISOString()`.
 */
const TWILIO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function createAjv(spec: Spec): Ajv {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true, verbose: true });
  addFormats(ajv, ['uri', 'int32', 'int64']);
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (value: string) => TWILIO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
  });
  const definitions: JsonObject = {};
  for (const [name, schema] of Object.entries(spec.components.schemas)) definitions[name] = toJsonSchema(schema);
  ajv.addSchema({ $id: SCHEMA_ID, definitions });
  return ajv;
}

let cachedAjv: Ajv | undefined;
function sharedAjv(): Ajv {
  cachedAjv ??= createAjv(loadVerifySpec());
  return cachedAjv;
}

function templateRegExp(template: string): RegExp {
  const pattern = template
    .split('/')
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}$`);
}

/** Path part of a URL or path, without query string. */
export function pathOf(urlOrPath: string): string {
  return new URL(urlOrPath, 'http://placeholder.invalid').pathname;
}

/**
 * The spec operation a concrete request hits. Where templates overlap (`/v2/Attempts/Summary` and
 * `/v2/Attempts/{Sid}`), the one with more literal segments wins, as in any router.
 */
export function findOperation(method: string, urlOrPath: string): MatchedOperation | undefined {
  const spec = loadVerifySpec();
  const path = pathOf(urlOrPath);
  const lower = method.toLowerCase();
  // Path items also hold `servers`, `description` and `x-twilio`; only HTTP methods name operations.
  if (!HTTP_METHODS.has(lower)) return undefined;
  let best: MatchedOperation | undefined;
  let bestLiterals = -1;
  for (const [template, item] of Object.entries(spec.paths)) {
    const operation = item[lower];
    if (!isObject(operation as Json)) continue;
    if (!templateRegExp(template).test(path)) continue;
    const literals = template.split('/').filter((segment) => !segment.startsWith('{')).length;
    if (literals > bestLiterals) {
      best = { method: method.toUpperCase(), template, operation: operation as SpecOperation };
      bestLiterals = literals;
    }
  }
  return best;
}

const validatorCache = new Map<string, ValidateFunction>();

/** Compiles a JSON Schema (already converted from OpenAPI) once per key. */
function compileCached(key: string, schema: object): ValidateFunction {
  let validate = validatorCache.get(key);
  if (!validate) {
    validate = sharedAjv().compile(schema);
    validatorCache.set(key, validate);
  }
  return validate;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(body)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let detail = error.message ?? error.keyword;
  if (error.keyword === 'additionalProperties') detail += `: "${String(params['additionalProperty'])}"`;
  if (error.keyword === 'required') detail += ` (missing "${String(params['missingProperty'])}")`;
  if (error.keyword === 'enum') detail += ` ${JSON.stringify(params['allowedValues'])}`;
  const got = error.keyword === 'required' || error.keyword === 'additionalProperties' ? '' : ` — got ${JSON.stringify(error.data)}`;
  return `  at ${where}: ${detail}${got}`;
}

/** Why `body` does not match the spec for this answer, or an empty list when it does. */
export function specViolations(method: string, urlOrPath: string, status: number, body: unknown): string[] {
  const matched = findOperation(method, urlOrPath);
  if (!matched) return [`no operation in Twilio's spec for ${method.toUpperCase()} ${pathOf(urlOrPath)}`];
  const label = `${matched.method} ${matched.template}`;

  if (status >= 400) {
    const validate = compileCached('twilio-error', TWILIO_ERROR_SCHEMA);
    const problems = validate(body) ? [] : (validate.errors ?? []).map(describeError);
    const error = body as { status?: unknown; code?: unknown; more_info?: unknown };
    if (problems.length === 0 && error.status !== status) {
      problems.push(`  at /status: ${String(error.status)} differs from the HTTP status ${status}`);
    }
    // Twilio links each error to its page in the error dictionary (format shown in every documented error).
    if (problems.length === 0 && error.more_info !== `https://www.twilio.com/docs/errors/${String(error.code)}`) {
      problems.push(`  at /more_info: expected Twilio's page for error ${String(error.code)}, got ${String(error.more_info)}`);
    }
    return problems.length === 0 ? [] : [`${label} → ${status} is not a Twilio error body:`, ...problems];
  }

  const response = matched.operation.responses?.[String(status)];
  if (!response) {
    const documented = Object.keys(matched.operation.responses ?? {}).join(', ');
    return [`${label} answered ${status}; the spec documents only ${documented}`];
  }
  const schema = response.content?.['application/json']?.schema;
  if (!schema) {
    // 204 and friends: the spec documents no body, so any content is a contract break.
    const empty = body === undefined || body === null || body === '' || (typeof body === 'object' && Object.keys(body).length === 0);
    return empty ? [] : [`${label} → ${status} must have no body, got ${JSON.stringify(body).slice(0, 200)}`];
  }
  const validate = compileCached(`${label} ${status}`, toJsonSchema(schema) as object);
  if (validate(body)) return [];
  return [`${label} → ${status} does not match Twilio's schema:`, ...(validate.errors ?? []).map(describeError)];
}

/** Throws, listing every mismatch, when `body` is not what Twilio's spec says this answer looks like. */
export function expectMatchesSpec(method: string, urlOrPath: string, status: number, body: unknown): void {
  const problems = specViolations(method, urlOrPath, status, body);
  if (problems.length === 0) return;
  const shown = JSON.stringify(body, null, 2) ?? String(body);
  throw new Error(`${problems.join('\n')}\nbody:\n${shown.length > 4000 ? `${shown.slice(0, 4000)}…` : shown}`);
}

/** The spec's own example answers for an operation and status, used to check this helper itself. */
export function specExamples(method: string, template: string, status: number): Array<{ name: string; value: unknown }> {
  const operation = loadVerifySpec().paths[template]?.[method.toLowerCase()] as SpecOperation | undefined;
  const examples = operation?.responses?.[String(status)]?.content?.['application/json']?.examples ?? {};
  return Object.entries(examples).map(([name, example]) => ({ name, value: example.value }));
}

/**
 * The Verify Push operations the emulator serves (method, spec template, success status). The contract suite
 * must exercise each one through the real SDK, and the spec's own examples for each must pass this helper.
 */
export const PUSH_OPERATIONS: ReadonlyArray<{ method: string; template: string; status: number }> = [
  { method: 'POST', template: '/v2/Services', status: 201 },
  { method: 'GET', template: '/v2/Services', status: 200 },
  { method: 'GET', template: '/v2/Services/{Sid}', status: 200 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/AccessTokens', status: 201 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/AccessTokens/{Sid}', status: 200 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Entities', status: 201 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Entities', status: 200 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Entities/{Identity}', status: 200 },
  { method: 'DELETE', template: '/v2/Services/{ServiceSid}/Entities/{Identity}', status: 204 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Factors', status: 201 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Factors', status: 200 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Factors/{Sid}', status: 200 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Factors/{Sid}', status: 200 },
  { method: 'DELETE', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Factors/{Sid}', status: 204 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges', status: 201 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges', status: 200 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges/{Sid}', status: 200 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges/{Sid}', status: 200 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Entities/{Identity}/Challenges/{ChallengeSid}/Notifications', status: 201 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Webhooks', status: 201 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Webhooks', status: 200 },
  { method: 'GET', template: '/v2/Services/{ServiceSid}/Webhooks/{Sid}', status: 200 },
  { method: 'POST', template: '/v2/Services/{ServiceSid}/Webhooks/{Sid}', status: 200 },
  { method: 'DELETE', template: '/v2/Services/{ServiceSid}/Webhooks/{Sid}', status: 204 },
];
