/**
 * Role checks on the token (spec §2.5–2.6): every call needs
 * ActivityFeed.Read; DLP.All also needs ActivityFeed.ReadDlp. Missing → AF10001
 * with the token's permission set in the message.
 */
import type { ContentType } from '../content-types.js';
import type { ApiCall } from '../context.js';
import { AfError } from '../errors.js';

export function requireReadRole(call: ApiCall): void {
  if (!call.roles.includes('ActivityFeed.Read')) throw new AfError('AF10001', [call.roles.join(' ')]);
}

export function requireDlpRole(call: ApiCall, contentType: ContentType): void {
  if (contentType === 'DLP.All' && !call.roles.includes('ActivityFeed.ReadDlp')) {
    throw new AfError('AF10001', [call.roles.join(' ')]);
  }
}
