/** A push body that does not decode; the handler answers 400 with the message. */
export class LokiPushDecodeError extends Error {}
