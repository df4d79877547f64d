/** Messages between ThreadStore and its worker thread, and how errors cross between them. */
import { StoreNotFoundError, StoreVersionError } from '../errors.js';
import type { Store } from '../types.js';

export type StoreMethod = {
  [K in keyof Store]: Store[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Store];

export interface StoreCall {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

export interface ErrorShape {
  name: string;
  message: string;
  stack?: string;
  /** SQLite's error code (SQLITE_BUSY, SQLITE_FULL…) and the like. */
  code?: string;
  file?: string;
  found?: number;
  known?: number;
}

export type StoreReply =
  | { ready: true }
  | { startError: ErrorShape }
  | { id: number; result: unknown }
  | { id: number; error: ErrorShape };

export function serializeError(err: unknown): ErrorShape {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const shape: ErrorShape = { name: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') shape.code = code;
  if (err instanceof StoreNotFoundError) shape.file = err.file;
  if (err instanceof StoreVersionError)
    Object.assign(shape, { file: err.file, found: err.found, known: err.known });
  return shape;
}

/** The error again, as the class the caller can test for (StoreNotFoundError, StoreVersionError, TypeError…). */
export function deserializeError(shape: ErrorShape): Error {
  let err: Error;
  if (shape.name === 'StoreNotFoundError' && shape.file !== undefined)
    err = new StoreNotFoundError(shape.file);
  else if (shape.name === 'StoreVersionError' && shape.file !== undefined)
    err = new StoreVersionError(shape.file, shape.found ?? 0, shape.known ?? 0);
  else {
    const Known = { TypeError, RangeError, SyntaxError }[shape.name as 'TypeError'] ?? Error;
    err = new Known(shape.message);
    if (Known === Error && shape.name !== 'Error') err.name = shape.name;
  }
  if (shape.stack) err.stack = shape.stack;
  if (shape.code !== undefined) (err as Error & { code?: string }).code = shape.code;
  return err;
}
