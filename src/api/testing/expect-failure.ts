import { expect } from 'vitest';
import { ConnectorError } from '../errors.js';

/** Awaits a promise that must reject with a ConnectorError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}
