// Typed errors the admin API and data plane translate into HTTP responses, so the validation code
// never needs to know about HTTP and the HTTP code never needs to parse error messages.

/** 400: the body or a query parameter is malformed; `field` names what is wrong. */
export class InvalidRequestError extends Error {
  readonly status = 400;
  readonly type = 'invalid_request';
  constructor(
    readonly field: string,
    /** The message without the field prefix. */
    readonly detail: string,
  ) {
    super(field ? `${field}: ${detail}` : detail);
    this.name = 'InvalidRequestError';
  }
}

/** 404: the route (public model name) is not defined. */
export class RouteNotFoundError extends Error {
  readonly status = 404;
  readonly type = 'route_not_found';
  constructor(readonly route: string) {
    super(`route '${route}' is not defined`);
    this.name = 'RouteNotFoundError';
  }
}

/** 409: the request is well-formed but conflicts with the route's current backends. */
export class RouteConflictError extends Error {
  readonly status = 409;
  readonly type = 'conflict';
  constructor(
    readonly field: string,
    /** The message without the field prefix. */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'RouteConflictError';
  }
}

/** 413: the request body exceeds the gateway's limit. */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  readonly type = 'request_too_large';
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** 408: the client did not send its whole body in time; the connection is closed after the answer. */
export class RequestTimeoutError extends Error {
  readonly status = 408;
  readonly type = 'request_timeout';
  constructor(readonly timeoutMs: number) {
    super(`request body not received within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** 500: the change is made in memory but the state file could not be written; retry the request. */
export class StateNotSavedError extends Error {
  readonly status = 500;
  readonly type = 'state_not_saved';
  constructor(cause: Error) {
    super(
      `the change was not saved to the gateway's state file (${cause.message}); it may be lost at the next restart, retry the request`,
      { cause },
    );
    this.name = 'StateNotSavedError';
  }
}

export type GatewayHttpError =
  | InvalidRequestError
  | RouteNotFoundError
  | RouteConflictError
  | BodyTooLargeError
  | RequestTimeoutError
  | StateNotSavedError;

export function isGatewayHttpError(error: unknown): error is GatewayHttpError {
  return (
    error instanceof InvalidRequestError ||
    error instanceof RouteNotFoundError ||
    error instanceof RouteConflictError ||
    error instanceof BodyTooLargeError ||
    error instanceof RequestTimeoutError ||
    error instanceof StateNotSavedError
  );
}
