// One error type for everything a caller can be told about: a code, an HTTP
// status and details. The HTTP layer turns it into {"error":{code,message,details}}.

export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'bad_request'
  | 'unsupported_media_type'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const statusOf: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  bad_request: 400,
  unsupported_media_type: 415,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = statusOf[code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);

/** Field errors keyed by field name ('' for the input as a whole). */
export type FieldErrors = Record<string, string[]>;

/** Structural enough for zod's errors, without tying this module to a zod version. */
interface IssueList {
  issues: readonly { code: string; path: readonly PropertyKey[]; message: string; keys?: readonly string[] }[];
}

/** Field errors from a schema's issues; each unknown field is named on its own. */
export function fieldErrorsOf(error: IssueList, what = 'the input'): FieldErrors {
  const fields: FieldErrors = Object.create(null) as FieldErrors;
  const add = (key: string, message: string) => (fields[key] ??= []).push(message);
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys ?? []) add(key, `is not a field of ${what}`);
    else add(issue.path.map(String).join('.'), issue.message);
  }
  return { ...fields };
}

/** One line naming every issue: `field: message; other: message`. */
export function describeIssues(error: IssueList): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * The one way a refused input is reported, whatever refused it (an HTTP body
 * or query, a socket subscription, an operator's lot): a 400
 * `validation_failed` whose message names every bad field and whose details
 * list them (`details.fields`).
 */
export function validationError(what: string, problems: IssueList | FieldErrors): AppError {
  const fields = 'issues' in problems && Array.isArray(problems.issues) ? fieldErrorsOf(problems as IssueList, `${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`) : (problems as FieldErrors);
  const summary = Object.entries(fields)
    .map(([field, messages]) => `${field || what}: ${messages.join(', ')}`)
    .join('; ');
  return new AppError('validation_failed', `invalid ${what}: ${summary}`, { fields });
}
