/**
 * Compiles the parts of the OCSF 1.3.0 schema that atp-siem emits into
 * `src/formats/standards/ocsf-1.3.0.json`, the table the validator
 * (`src/formats/standards/ocsf-validate.ts`) reads.
 *
 * Input is the schema's own published source, the ocsf/ocsf-schema repository
 * at v1.3.0, read either from a checkout or straight out of a git directory:
 *
 *   node --import tsx scripts/gen-ocsf-schema.ts --git-dir <repo.git> [--ref v1.3.0]
 *   node --import tsx scripts/gen-ocsf-schema.ts --dir <checkout>
 *
 * Resolution follows the schema's rules: a class or object `extends` its
 * parent (the child's attribute definitions deep-merged over the parent's);
 * `$include` pulls in the attributes of an include or a profile file (profile
 * attributes are tagged with their profile and are valid only when that
 * profile is applied, unless the including item sets `"profile": null`); every
 * attribute is the dictionary's definition with the item's definition merged
 * over it (so a class's `activity_id` enum adds to the dictionary's 0/99).
 * The generated enums — class_uid, category_uid, type_uid and the observable
 * type_id — are built the way the schema server builds them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { OcsfAttr as Attr } from '../src/formats/standards/ocsf-validate.js';

type Json = Record<string, unknown>;

/** The classes atp-siem emits (class_uid). */
const CLASSES = [4009, 4012, 2004, 2005, 6003];

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const gitDir = opt('--git-dir');
const dir = opt('--dir');
const ref = opt('--ref') ?? 'v1.3.0';
if (!gitDir && !dir) {
  console.error('usage: gen-ocsf-schema.ts (--git-dir <dir> [--ref <ref>] | --dir <checkout>)');
  process.exit(2);
}

function listFiles(): string[] {
  if (gitDir)
    return execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', ref], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
  return execFileSync('git', ['-C', dir as string, 'ls-files'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

function readJson(path: string): Json {
  const text = gitDir
    ? execFileSync('git', ['--git-dir', gitDir, 'show', `${ref}:${path}`], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      })
    : readFileSync(join(dir as string, path), 'utf8');
  return JSON.parse(text) as Json;
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Right wins; objects merge key by key, everything else is replaced. */
function deepMerge(left: unknown, right: unknown): unknown {
  if (!isObj(left) || !isObj(right)) return right === undefined ? left : right;
  const out: Json = { ...left };
  for (const [k, v] of Object.entries(right)) out[k] = deepMerge(left[k], v);
  return out;
}

const files = listFiles().filter((f) => f.endsWith('.json') && !f.startsWith('extensions/'));
const version = readJson('version.json')['version'] as string;
const dictionary = readJson('dictionary.json');
const dictAttrs = dictionary['attributes'] as Record<string, Json>;
const types = (dictionary['types'] as Json)['attributes'] as Record<string, Json>;
const categories = readJson('categories.json')['attributes'] as Record<string, Json>;

const events = new Map<string, Json>();
const objects = new Map<string, Json>();
for (const f of files) {
  if (f.startsWith('events/')) {
    const e = readJson(f);
    events.set(e['name'] as string, e);
  } else if (f.startsWith('objects/')) {
    const o = readJson(f);
    objects.set(o['name'] as string, o);
  }
}

/** The attributes of one item with its `$include`s resolved (not its parent). */
function ownAttributes(item: Json): Record<string, Json> {
  const attrs = { ...((item['attributes'] as Record<string, Json> | undefined) ?? {}) };
  const includes = (attrs['$include'] as unknown as string[] | undefined) ?? [];
  delete attrs['$include'];
  let merged: Record<string, Json> = {};
  for (const path of includes) {
    const inc = readJson(path);
    const profile = inc['meta'] === 'profile' ? (inc['name'] as string) : null;
    for (const [name, def] of Object.entries((inc['attributes'] as Record<string, Json>) ?? {})) {
      const tagged = profile && !('profile' in def) ? { ...def, profile } : def;
      merged[name] = deepMerge(merged[name], tagged) as Json;
    }
  }
  merged = deepMerge(merged, attrs) as Record<string, Json>;
  return merged;
}

interface Resolved {
  attributes: Record<string, Json>;
  profiles: string[];
  constraints: Json | undefined;
}

function resolve(item: Json, pool: Map<string, Json>): Resolved {
  const parentName = item['extends'] as string | undefined;
  const parent: Resolved =
    parentName && pool.has(parentName)
      ? resolve(pool.get(parentName) as Json, pool)
      : { attributes: {}, profiles: [], constraints: undefined };
  const own = ownAttributes(item);
  return {
    attributes: deepMerge(parent.attributes, own) as Record<string, Json>,
    profiles: [...new Set([...parent.profiles, ...((item['profiles'] as string[] | undefined) ?? [])])],
    // A child that states its constraints (even `{}`) replaces its parent's.
    constraints: 'constraints' in item ? (item['constraints'] as Json) : parent.constraints,
  };
}

const PRIMITIVE_TYPES = new Set(Object.keys(types));
const reachedObjects = new Set<string>();

function compileAttrs(attrs: Record<string, Json>): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const name of Object.keys(attrs).sort()) {
    const def = deepMerge(dictAttrs[name] ?? {}, attrs[name]) as Json;
    if (!dictAttrs[name]) throw new Error(`attribute ${name} is not in the dictionary`);
    const t = def['object_type'] ? (def['object_type'] as string) : (def['type'] as string);
    const a: Attr = { t, r: (def['requirement'] as Attr['r'] | undefined) ?? 'optional' };
    if (def['is_array']) a.a = true;
    if (isObj(def['enum']))
      a.e = Object.fromEntries(
        Object.entries(def['enum']).map(([id, v]) => [id, (v as Json)['caption'] as string]),
      );
    if (typeof def['sibling'] === 'string') a.s = def['sibling'];
    if (typeof def['profile'] === 'string') a.p = def['profile'];
    if (!PRIMITIVE_TYPES.has(t) && t !== 'object') reachedObjects.add(t);
    out[name] = a;
  }
  return out;
}

const categoryByName = new Map(Object.entries(categories).map(([k, v]) => [k, v]));
const classes: Record<string, unknown> = {};
const wanted = new Set(CLASSES);
/** A class's category, inherited along `extends` when the class names none. */
function categoryOf(ev: Json): string | undefined {
  const own = ev['category'] as string | undefined;
  if (own && own !== 'other') return own;
  const parent = events.get(ev['extends'] as string);
  return parent ? categoryOf(parent) : own;
}
for (const ev of events.values()) {
  const cat = categoryByName.get(categoryOf(ev) ?? '');
  if (!cat || typeof ev['uid'] !== 'number') continue;
  const categoryUid = cat['uid'] as number;
  const classUid = categoryUid * 1000 + (ev['uid'] as number);
  if (!wanted.has(classUid)) continue;
  const r = resolve(ev, events);
  const attrs = compileAttrs(r.attributes);
  const caption = ev['caption'] as string;
  const activities = attrs['activity_id']?.e ?? {};
  // Generated enums, as the schema server generates them.
  attrs['class_uid'] = { ...(attrs['class_uid'] as Attr), e: { [classUid]: caption } };
  attrs['category_uid'] = {
    ...(attrs['category_uid'] as Attr),
    e: { [categoryUid]: cat['caption'] as string },
  };
  attrs['type_uid'] = {
    ...(attrs['type_uid'] as Attr),
    e: Object.fromEntries(
      Object.entries(activities).map(([id, c]) => [String(classUid * 100 + Number(id)), `${caption}: ${c}`]),
    ),
  };
  classes[String(classUid)] = {
    name: ev['name'],
    caption,
    category_uid: categoryUid,
    category_name: cat['caption'],
    profiles: r.profiles,
    constraints: r.constraints ?? {},
    attributes: attrs,
  };
}
const missing = CLASSES.filter((c) => !(String(c) in classes));
if (missing.length) throw new Error(`classes not found: ${missing.join(', ')}`);

/** Observable type ids, collected from every source the schema server collects them from. */
const observableTypes: Record<string, string> = { '0': 'Unknown', '99': 'Other' };
for (const [, t] of Object.entries(types))
  if (typeof t['observable'] === 'number') observableTypes[String(t['observable'])] = t['caption'] as string;
for (const [, d] of Object.entries(dictAttrs))
  if (typeof d['observable'] === 'number') observableTypes[String(d['observable'])] = d['caption'] as string;
for (const o of objects.values())
  if (typeof o['observable'] === 'number') observableTypes[String(o['observable'])] = o['caption'] as string;
for (const item of [...events.values(), ...objects.values()])
  for (const [name, d] of Object.entries((item['attributes'] as Record<string, Json>) ?? {}))
    if (isObj(d) && typeof d['observable'] === 'number')
      observableTypes[String(d['observable'])] =
        `${item['caption'] as string} ${(dictAttrs[name]?.['caption'] as string) ?? name}`;

const compiledObjects: Record<string, unknown> = {};
const done = new Set<string>();
while ([...reachedObjects].some((o) => !done.has(o))) {
  for (const name of [...reachedObjects]) {
    if (done.has(name)) continue;
    done.add(name);
    const obj = objects.get(name);
    if (!obj) throw new Error(`object ${name} not found`);
    const r = resolve(obj, objects);
    const attrs = compileAttrs(r.attributes);
    if (name === 'observable' && attrs['type_id'])
      attrs['type_id'] = { ...attrs['type_id'], e: observableTypes };
    compiledObjects[name] = {
      caption: obj['caption'],
      profiles: r.profiles,
      constraints: r.constraints ?? {},
      attributes: attrs,
    };
  }
}

/** Each dictionary type reduced to its base (string_t, integer_t, long_t, float_t, boolean_t, json_t) and range. */
const compiledTypes: Record<string, { base: string; range?: [number, number] }> = {};
for (const [name, t] of Object.entries(types)) {
  let base = name;
  while (types[base]?.['type']) base = types[base]?.['type'] as string;
  compiledTypes[name] = {
    base,
    ...(Array.isArray(t['range']) ? { range: t['range'] as [number, number] } : {}),
  };
}

const sortKeys = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
const table = {
  version,
  source: `github.com/ocsf/ocsf-schema ${ref}`,
  types: compiledTypes,
  classes,
  objects: sortKeys(compiledObjects),
};
const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, '..', 'src', 'formats', 'standards', `ocsf-${version}.json`);
// Written as prettier writes it, so `prettier --check .` keeps passing on the committed file.
const options = (await resolveConfig(target)) ?? {};
writeFileSync(target, await format(JSON.stringify(table), { ...options, filepath: target }));
console.log(
  `wrote ${target}: ${Object.keys(classes).length} classes, ${Object.keys(compiledObjects).length} objects`,
);
