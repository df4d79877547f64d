import { describe, expect, it } from 'vitest';
import { objectMembers } from './envelope.js';

describe('objectMembers', () => {
  it('ends a string value only at a quote that no backslash escapes, however many backslashes precede it', () => {
    const text = String.raw`{"a":"x\\","b":"q\"}\\\"{","c":{"d":"]\\\\"},"e":[1,"\""]}`;
    expect(objectMembers(text)).toEqual(
      new Map([
        ['a', String.raw`"x\\"`],
        ['b', String.raw`"q\"}\\\"{"`],
        ['c', String.raw`{"d":"]\\\\"}`],
        ['e', String.raw`[1,"\""]`],
      ]),
    );
    const parsed = JSON.parse(text) as Record<string, unknown>;
    for (const [key, value] of objectMembers(text) ?? []) expect(JSON.parse(value)).toEqual(parsed[key]);
  });

  it('keeps number and literal texts verbatim and skips whitespace around members', () => {
    expect(objectMembers('{ "t" : 1.50 , "ok" : true , "n":null }')).toEqual(
      new Map([
        ['t', '1.50'],
        ['ok', 'true'],
        ['n', 'null'],
      ]),
    );
    expect(objectMembers('[1]')).toBeUndefined();
    expect(objectMembers('{"a":')).toBeUndefined();
  });
});
