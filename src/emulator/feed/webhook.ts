/**
 * Webhook validation during start (spec §3.2): an HTTPS POST with
 * `Webhook-ValidationCode` (and `Webhook-AuthID` when set); anything but 200
 * fails the start with AF20021. Notification push is not emulated.
 */
import { randomBytes } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ServerContext } from '../context.js';
import { AfError } from '../errors.js';

export async function validateWebhook(
  ctx: ServerContext,
  address: string,
  authId: string | null,
): Promise<void> {
  if (!/^https:\/\//i.test(address))
    throw new AfError('AF20021', [address, 'The address must begin with HTTPS.']);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new AfError('AF20021', [address, 'The endpoint did not return HTTP 200.']);
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i.test(url.hostname);
  if (!loopback && !ctx.settings.allowRemoteWebhooks) {
    ctx.log.warn({ address }, 'Webhook address is not on loopback; not called.');
    throw new AfError('AF20021', [address, 'The endpoint did not return HTTP 200.']);
  }
  const code = randomBytes(16).toString('hex');
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Webhook-ValidationCode': code,
  };
  if (authId !== null) headers['Webhook-AuthID'] = authId;
  let status = 0;
  try {
    const ca = ctx.settings.webhookCa;
    const response = await undiciFetch(url, {
      method: 'POST',
      dispatcher: ca ? new Agent({ connect: { ca } }) : undefined,
      headers,
      body: JSON.stringify({ validationCode: code }),
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual',
    });
    status = response.status;
    await response.body?.cancel();
  } catch (err) {
    ctx.log.debug({ address, err: (err as Error).message }, 'Webhook validation call failed.');
  }
  if (status !== 200) throw new AfError('AF20021', [address, 'The endpoint did not return HTTP 200.']);
}
