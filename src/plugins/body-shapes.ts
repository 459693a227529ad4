/**
 * preValidation helpers for bodies parsed losslessly (src/plugins/json-body.ts): a JSON number
 * arrives as its source text, and an empty body as undefined.
 */
import type { FastifyRequest } from 'fastify';

/**
 * A count, not money: whole-number text becomes the number the schema checks (as pydantic's lax
 * mode takes "60" for an int); anything else fails validation as before.
 */
export function wholeNumberField(field: string): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    const value = body && typeof body === 'object' ? body[field] : undefined;
    if (typeof value === 'string' && /^\d{1,12}$/.test(value)) body![field] = Number(value);
  };
}

/** An optional body: no body (or an empty one) is {}. */
export async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
