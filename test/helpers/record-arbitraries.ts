/**
 * fast-check generators of wire values shared by the format property tests: a `CreationTime`-like UTC time
 * without zone, and a client IP as the API sends it (IPv4, IPv6, IPv4 with a port, or the empty markers).
 */
import fc from 'fast-check';

export const isoTime = fc
  .date({ min: new Date('2015-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19));

export const ip = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((a) => `${a}:443`),
  fc.constantFrom('', '<null>'),
);
