/**
 * The sink registry: every sink type by its `type:` id, and the validation of a configuration's `sinks:`
 * list (each entry by its own type's schema, names unique, the format one the sink can carry).
 */
import type { z } from 'zod';
import { SINK_SECRET } from './config.js';
import { elasticsearchSink, opensearchSink } from './elasticsearch/index.js';
import { fileSink } from './file/index.js';
import { sentinelSink } from './sentinel/index.js';
import { splunkHecSink } from './splunk-hec/index.js';
import { syslogSink } from './syslog/index.js';
import type { SinkDefinition, SinkType } from './types.js';
import { webhookSink } from './webhook.js';

export type { CommonSinkConfig } from './config.js';
export type * from './types.js';
export { SINK_TYPES } from './types.js';

/** Every sink type, in documentation order. */
export const SINKS: readonly SinkDefinition[] = [
  syslogSink,
  splunkHecSink,
  elasticsearchSink,
  opensearchSink,
  sentinelSink,
  fileSink,
  webhookSink,
];

/** The definition of a sink type, or undefined. */
export function getSinkDefinition(type: string): SinkDefinition | undefined {
  return SINKS.find((s) => s.type === type);
}

/** A sink entry once validated: the common keys (camelCase) and its type's own. */
export type SinkConfig = SinkDefinition['configSchema'] extends z.ZodType<infer C> ? C : never;

export interface SinkIssue {
  /** Path inside `sinks:`, e.g. `[1, 'url']`. */
  path: (string | number)[];
  message: string;
}

/**
 * Validates the `sinks:` list. Returns the parsed entries and every problem found, each with its path.
 * @example const { sinks, issues } = parseSinks(yaml.sinks ?? []);
 */
export function parseSinks(entries: readonly unknown[]): {
  sinks: SinkConfig[];
  /** Position in `sinks:` of each parsed entry. */
  positions: number[];
  issues: SinkIssue[];
} {
  const sinks: SinkConfig[] = [];
  const positions: number[] = [];
  const issues: SinkIssue[] = [];
  const names = new Map<string, number>();
  const types = SINKS.map((s) => s.type).join(', ');
  entries.forEach((entry, i) => {
    const type = (entry as { type?: unknown } | null)?.type;
    const def = typeof type === 'string' ? getSinkDefinition(type) : undefined;
    if (!def) {
      issues.push({
        path: [i, 'type'],
        message:
          type === undefined ? `give the sink a type: ${types}` : `unknown sink type; use one of ${types}`,
      });
      return;
    }
    const parsed = def.configSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys)
            issues.push({ path: [i, ...path, key], message: 'unknown key; remove it or check its spelling' });
        } else issues.push({ path: [i, ...path], message: issue.message });
      }
      return;
    }
    const config = parsed.data;
    if (def.formats !== undefined && !def.formats.includes(config.format)) {
      issues.push({
        path: [i, 'format'],
        message: `a ${def.type} sink carries ${def.formats.join(', ')}; choose one of them`,
      });
    }
    const first = names.get(config.name);
    if (first !== undefined) {
      issues.push({
        path: [i, 'name'],
        message: `same name as sinks[${first}]; give each sink its own name`,
      });
    } else names.set(config.name, i);
    sinks.push(config);
    positions.push(i);
  });
  return { sinks, positions, issues };
}

/** A secret reference left in a parsed sink configuration, for the loader to resolve. */
export interface SinkSecretRef {
  env?: string;
  file?: string;
}

/**
 * Every secret reference in a parsed sink configuration, with the path to it (camelCase keys as parsed,
 * given back in snake_case for messages), so the loader can replace each by its Secret.
 */
export function sinkSecretRefs(
  config: unknown,
): { path: (string | number)[]; ref: SinkSecretRef; set: (value: unknown) => void }[] {
  const found: { path: (string | number)[]; ref: SinkSecretRef; set: (value: unknown) => void }[] = [];
  // Parsed keys are camelCase versions of the file's snake_case; user-chosen keys (header names such as
  // `Authorization` or `x-api-key`) are given back as they are.
  const snake = (key: string) =>
    /^[a-z][A-Za-z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
  const walk = (value: unknown, path: (string | number)[], set: (v: unknown) => void): void => {
    if (value === null || typeof value !== 'object') return;
    if ((value as Record<symbol, unknown>)[SINK_SECRET] === true) {
      found.push({ path, ref: value as SinkSecretRef, set });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i], (x) => (value[i] = x)));
      return;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) walk(record[key], [...path, snake(key)], (x) => (record[key] = x));
  };
  walk(config, [], () => undefined);
  return found;
}

/** Whether a sink type exists (for messages elsewhere). */
export function isSinkType(type: string): type is SinkType {
  return getSinkDefinition(type) !== undefined;
}
