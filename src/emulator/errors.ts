/**
 * The Activity API's error envelope `{"error":{"code","message"}}` and the
 * message templates of the reference page's Errors table. HTTP statuses are
 * undocumented for most codes (spec §11.1); where a status has been observed it
 * is used, elsewhere 400 (the tolerant guess every collector handles).
 */
export type AfCode =
  | 'AF10001'
  | 'AF20001'
  | 'AF20002'
  | 'AF20003'
  | 'AF20010'
  | 'AF20011'
  | 'AF20012'
  | 'AF20013'
  | 'AF20020'
  | 'AF20021'
  | 'AF20022'
  | 'AF20023'
  | 'AF20024'
  | 'AF20030'
  | 'AF20031'
  | 'AF20050'
  | 'AF20051'
  | 'AF20052'
  | 'AF20055'
  | 'AF429'
  | 'AF50000'
  | 'AF50005'
  | 'AF50006';

interface AfSpec {
  status: number;
  template: string;
}

export const AF_ERRORS: Record<AfCode, AfSpec> = {
  // Observed: 401 with the token's permission set in the message.
  AF10001: {
    status: 401,
    template: 'The permission set ({0}) sent in the request does not include the expected permission.',
  },
  AF20001: { status: 400, template: 'Missing parameter: {0}.' },
  AF20002: { status: 400, template: 'Invalid parameter type: {0}. Expected type: {1}' },
  AF20003: { status: 400, template: 'Expiration {0} provided is set to past date and time.' },
  AF20010: {
    status: 400,
    template:
      'The tenant ID passed in the URL ({0}) does not match the tenant ID passed in the access token ({1}).',
  },
  AF20011: {
    status: 400,
    template: 'Specified tenant ID ({0}) does not exist in the system or has been deleted.',
  },
  // Observed (Defender for Cloud Apps troubleshooting table): 400.
  AF20012: { status: 400, template: 'Specified tenant ID ({0}) is incorrectly configured in the system.' },
  AF20013: { status: 400, template: 'The tenant ID passed in the URL ({0}) is not a valid GUID.' },
  AF20020: { status: 400, template: 'The specified content type is not valid.' },
  AF20021: { status: 400, template: 'The webhook endpoint {{0}) could not be validated. {1}' },
  AF20022: { status: 400, template: 'No subscription found for the specified content type.' },
  AF20023: { status: 400, template: 'The subscription was disabled by {0}.' },
  // Observed by several collectors: 400 with this exact text.
  AF20024: { status: 400, template: 'The subscription is already enabled. No property change.' },
  AF20030: {
    status: 400,
    template:
      'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.',
  },
  AF20031: { status: 400, template: 'Invalid nextPage Input: {0}.' },
  AF20050: { status: 404, template: 'The specified content ({0}) does not exist.' },
  AF20051: {
    status: 404,
    template:
      'Content requested with the key {0} has already expired. Content older than 7 days cannot be retrieved.',
  },
  AF20052: { status: 400, template: 'Content ID {0} in the URL is invalid.' },
  AF20055: {
    status: 400,
    template:
      'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past and the start time before the end time.',
  },
  // Microsoft's sample shows 403; the throttle module may answer 429 instead.
  AF429: { status: 403, template: 'Too many requests. Method={0}, PublisherId={1}' },
  AF50000: { status: 500, template: 'An internal error occurred. Retry the request.' },
  AF50005: { status: 500, template: 'An internal error occurred. Retry the request.' },
  AF50006: { status: 503, template: 'An internal error occurred. Retry the request.' },
};

/** A failure the API answers with the AF envelope. */
export class AfError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: AfCode,
    args: readonly string[] = [],
    options: { status?: number; headers?: Record<string, string>; message?: string } = {},
  ) {
    const spec = AF_ERRORS[code];
    super(options.message ?? fill(spec.template, args));
    this.status = options.status ?? spec.status;
    this.headers = options.headers ?? {};
  }

  body(): string {
    return JSON.stringify({ error: { code: this.code, message: this.message } });
  }
}

function fill(template: string, args: readonly string[]): string {
  return template.replace(/\{(\d)\}/g, (whole, i: string) => args[Number(i)] ?? whole);
}

/** The ASP.NET-style 401 the API sends for a missing or unusable bearer token (not the AF envelope). */
export class UnauthorizedError extends Error {
  constructor(readonly reason: string) {
    super('Authorization has been denied for this request.');
  }
}
