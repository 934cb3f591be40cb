// Hub failures as user-facing errors (exit 1): who refused what, and what to do.
import { SeraError } from '../errors.js';

export class HubError extends SeraError {
  readonly status: number | undefined;
  constructor(message: string, hint?: string, status?: number) {
    super(message, hint);
    this.status = status;
  }
}

/** Maps an HTTP status from the Hub to a HubError naming the repository (and file). */
export function hubStatusError(status: number, what: string, endpoint: string, hasToken: boolean): HubError {
  if (status === 401) {
    return new HubError(`the Hub at ${endpoint} refused access to ${what} (401 Unauthorized)`,
      hasToken ? 'the token in HF_TOKEN was not accepted: check that it is valid and has read access'
        : 'set HF_TOKEN to a Hugging Face access token with read access (private and gated models need one)', status);
  }
  if (status === 403) {
    return new HubError(`the Hub at ${endpoint} denied access to ${what} (403 Forbidden)`,
      "gated models need their license accepted on the model's Hub page by the account that owns HF_TOKEN", status);
  }
  if (status === 404) {
    return new HubError(`${what} was not found on the Hub at ${endpoint} (404 Not Found)`,
      hasToken ? 'check the model id and the revision after @' : 'check the model id and the revision after @; private models answer 404 without a token: set HF_TOKEN', status);
  }
  if (status === 416) {
    return new HubError(`the Hub at ${endpoint} rejected a byte range of ${what} (416)`, 'delete the partial download from the cache folder and run again', status);
  }
  return new HubError(`the Hub at ${endpoint} answered ${status} for ${what}`, status >= 500 ? 'the Hub has a problem; try again later' : undefined, status);
}
