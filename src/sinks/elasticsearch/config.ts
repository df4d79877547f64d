/**
 * Configuration of the `elasticsearch` and `opensearch` sinks: one schema builder for both, since they
 * share every key; OpenSearch refuses the two that only make sense for Elastic (API keys, o365_compat).
 */
import { z } from 'zod';
import type { Secret } from '../../config/secret.js';
import type { FormatId } from '../../formats/index.js';
import {
  checkEndpointUrl,
  commonSinkConfig,
  commonSinkShape,
  sinkSecretSchema,
  tlsSchema,
  type CommonSinkConfig,
  type TlsConfig,
} from '../config.js';
import { DEFAULT_INDEX, O365_COMPAT_INDEX, checkIndexName, dataStreamParts } from './documents.js';

export type SearchProduct = 'elasticsearch' | 'opensearch';

/** The JSON formats a search sink can store (text formats such as CEF have no document to index). */
export const SEARCH_FORMATS = ['ecs', 'ocsf', 'raw'] as const satisfies readonly FormatId[];

export type SearchAuth =
  | { kind: 'api_key'; apiKey: Secret }
  | { kind: 'basic'; username: string; password: Secret }
  | { kind: 'bearer'; token: Secret };

export interface SearchSinkConfig extends CommonSinkConfig {
  urls: string[];
  auth: SearchAuth | undefined;
  /** Target name; may hold `{record_type}`. */
  index: string;
  o365Compat: boolean;
  pipeline: string | undefined;
  compression: boolean;
  /** `install`: auto puts the template on the first send when the cluster has none of that name; never leaves it to `sinks setup`. */
  template: { name: string; priority: number; install: 'auto' | 'never' };
  tls: TlsConfig | undefined;
}

const urlSchema = z
  .string({ error: 'set url to the cluster URL, such as https://es.example:9200' })
  .superRefine((text, ctx) => {
    checkEndpointUrl(text, ctx, {
      what: 'the URL',
      example: 'https://host:9200',
      credentials: 'credentials go under auth:',
    });
  });

const authSchema = (product: SearchProduct) =>
  z
    .strictObject({
      api_key: sinkSecretSchema.optional(),
      username: z.string().min(1, 'username is empty').optional(),
      password: sinkSecretSchema.optional(),
      bearer: sinkSecretSchema.optional(),
    })
    .superRefine((a, ctx) => {
      const methods = [a.api_key, a.username ?? a.password, a.bearer].filter((x) => x !== undefined).length;
      if (methods !== 1) {
        ctx.addIssue({
          code: 'custom',
          message:
            product === 'opensearch'
              ? 'set auth to username + password, or bearer'
              : 'set auth to one of api_key, username + password, or bearer',
        });
      } else if ((a.username === undefined) !== (a.password === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'set auth.username and auth.password together' });
      } else if (product === 'opensearch' && a.api_key !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['api_key'],
          message: 'OpenSearch has no API keys: use username + password, or bearer (a JWT)',
        });
      }
    })
    .transform((a): SearchAuth => {
      if (a.api_key) return { kind: 'api_key', apiKey: a.api_key };
      if (a.bearer) return { kind: 'bearer', token: a.bearer };
      return { kind: 'basic', username: a.username as string, password: a.password as Secret };
    });

const templateSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,200}$/, 'a template name is lowercase letters, digits, ., - and _')
      .optional(),
    // Above the built-in logs-*-* (100) and Fleet's integration templates (up to 200): spec §2.7.
    priority: z
      .number({ error: 'set template.priority to a whole number' })
      .int('set template.priority to a whole number')
      .min(0, 'template.priority cannot be negative')
      .default(250),
    // Without our template, dynamic mapping types a field by its first value and then refuses documents
    // where a record carries another type there (o365.audit.Policy: 1 then "Bulk"): those would all be
    // dead-lettered. So by default the sink installs the template before its first bulk if it is missing.
    install: z.enum(['auto', 'never'], { error: 'set template.install to auto or never' }).default('auto'),
  })
  .prefault({});

/** A template name derived from the target, so two sinks writing the same target share one template. */
function defaultTemplateName(index: string): string {
  const ds = dataStreamParts(index);
  const base = ds ? `${ds.type}-${ds.dataset}` : index;
  return `atp-siem-${base.replaceAll('{record_type}', 'by_record_type').replace(/^[._-]+/, '')}`.slice(
    0,
    200,
  );
}

/**
 * The strict schema of one `elasticsearch` or `opensearch` sink entry.
 * @example searchSinkSchema('elasticsearch').parse({ name: 'es', type: 'elasticsearch', url: 'https://es:9200', ... })
 */
export function searchSinkSchema(product: SearchProduct): z.ZodType<SearchSinkConfig> {
  return z
    .strictObject({
      ...commonSinkShape,
      type: z.literal(product),
      url: z.union([urlSchema, z.array(urlSchema).min(1, 'list at least one URL').max(16)]),
      auth: authSchema(product).optional(),
      index: z.string().min(1, 'index is empty').optional(),
      o365_compat: z.boolean({ error: 'set o365_compat to true or false' }).default(false),
      pipeline: z.string().min(1).optional(),
      compression: z.boolean({ error: 'set compression to true or false' }).default(true),
      template: templateSchema,
      tls: tlsSchema.optional(),
    })
    .superRefine((c, ctx) => {
      if (c.format !== undefined && !(SEARCH_FORMATS as readonly string[]).includes(c.format)) {
        ctx.addIssue({
          code: 'custom',
          path: ['format'],
          message: `${product} stores JSON documents: set format to ${SEARCH_FORMATS.join(', ')} (${c.format} is a text format)`,
        });
      }
      if (c.o365_compat) {
        if (product === 'opensearch') {
          ctx.addIssue({
            code: 'custom',
            path: ['o365_compat'],
            message:
              "o365_compat feeds Elastic's o365 integration, which OpenSearch does not have; remove it",
          });
        }
        if (c.format !== undefined && c.format !== 'raw') {
          ctx.addIssue({
            code: 'custom',
            path: ['format'],
            message:
              "o365_compat sends the record as received for the o365 integration's pipeline to map: set format: raw or leave format out",
          });
        }
        const index = c.index ?? O365_COMPAT_INDEX;
        if (!/^logs-o365\.audit-[^-]+$/.test(index)) {
          ctx.addIssue({
            code: 'custom',
            path: ['index'],
            message: `o365_compat writes to the o365 integration's data stream logs-o365.audit-<namespace>, such as ${O365_COMPAT_INDEX}`,
          });
        }
      }
      const problem = checkIndexName(c.index ?? DEFAULT_INDEX);
      if (problem) ctx.addIssue({ code: 'custom', path: ['index'], message: problem });
    })
    .transform((c): SearchSinkConfig => {
      const defaultFormat: FormatId = c.o365_compat ? 'raw' : 'ecs';
      const index = c.index ?? (c.o365_compat ? O365_COMPAT_INDEX : DEFAULT_INDEX);
      return {
        ...commonSinkConfig(c, product, defaultFormat),
        urls: (Array.isArray(c.url) ? c.url : [c.url]).map((u) => u.replace(/\/+$/, '')),
        auth: c.auth,
        index,
        o365Compat: c.o365_compat,
        pipeline: c.pipeline,
        compression: c.compression,
        template: {
          name: c.template.name ?? defaultTemplateName(index),
          priority: c.template.priority,
          install: c.template.install,
        },
        tls: c.tls,
      };
    }) as unknown as z.ZodType<SearchSinkConfig>;
}
